//! Detection settings: history thresholds of the baselines, burst sizes, the analyst's pod
//! networks. Shared by the engine and the stateful detectors; imports only `model`.

use crate::model::Micros;

/// Detection settings (documented in the README).
#[derive(Debug, Clone)]
pub struct DetectOptions {
    /// An account's history must hold this many events before anything it does is "new".
    pub min_history_events: u32,
    /// … spread over at least this long (microseconds).
    pub min_history_span: i64,
    /// Bursts: this many events inside `burst_window` (microseconds).
    pub burst_min: usize,
    pub burst_window: i64,
    /// Pod networks given by the analyst, on top of the pod IPs learned from the data.
    pub pod_cidrs: Vec<ipnet::IpNet>,
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            min_history_events: 5,
            min_history_span: Micros::HOUR,
            burst_min: 10,
            burst_window: 5 * Micros::MINUTE,
            pod_cidrs: Vec::new(),
        }
    }
}
