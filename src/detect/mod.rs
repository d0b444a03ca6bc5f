//! Detections: facts derived at ingest, single-event rules (data, in `assets/rules`),
//! per-account baselines and bursts (code) → findings, one per (rule, account, burst).
//! Pure given events: the index supplies rows and the events behind them through
//! [`RowSource`] and [`EventSource`]. Imports only `model` and `query`. The analyst's Sigma
//! rules ([`sigma`]) run in the same pass over the rows and produce the same findings.

pub mod engine;
pub mod execclass;
pub mod facts;
pub mod facts_objects;
pub mod finding;
pub mod hit;
pub mod options;
pub mod row;
pub mod rules;
pub mod sigma;
pub mod stateful;
pub mod tactic;

pub use engine::{EventSource, detect};
pub use finding::{Family, Finding, Severity};
pub use options::DetectOptions;
pub use row::{RowSource, Rows};
