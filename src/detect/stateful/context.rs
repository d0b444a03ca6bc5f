//! What the data teaches as it streams: pod addresses (from `status.podIP` in pod bodies),
//! node addresses (kubelets' and the control plane's own, `status.hostIP`, node status), which
//! node each pod runs on. Learned in time order, so each event is judged with what was known
//! at its time.

use rustc_hash::{FxHashMap, FxHashSet};

use super::super::options::DetectOptions;
use super::super::row::{Actor, EMPTY, Ip, Row, Sym, Vocab};

pub struct Context {
    pod_ips: FxHashSet<Ip>,
    host_ips: FxHashSet<Ip>,
    /// (namespace, pod name) → every pod IP it had (a restarted pod keeps its name).
    pod_ips_of: FxHashMap<(Sym, Sym), Vec<Ip>>,
    /// (namespace, pod name) → node it runs on.
    pod_node: FxHashMap<(Sym, String), String>,
    pod_cidrs: Vec<ipnet::IpNet>,
}

impl Context {
    pub fn new(opts: &DetectOptions) -> Context {
        Context {
            pod_ips: FxHashSet::default(),
            host_ips: FxHashSet::default(),
            pod_ips_of: FxHashMap::default(),
            pod_node: FxHashMap::default(),
            pod_cidrs: opts.pod_cidrs.clone(),
        }
    }

    pub fn observe(&mut self, v: &Vocab, r: &Row) {
        if matches!(r.actor, Actor::Node | Actor::ControlPlane) && !r.peer.is_none() {
            self.host_ips.insert(r.peer);
        }
        for f in r.facts.iter().map(|f| v.s(*f)) {
            if let Some(ip) = f.strip_prefix("podip:") {
                let ip = Ip::parse(ip);
                self.pod_ips.insert(ip);
                if r.resource == v.k.pods && r.name != EMPTY {
                    let ips = self.pod_ips_of.entry((r.namespace, r.name)).or_default();
                    if !ips.contains(&ip) {
                        ips.push(ip);
                    }
                }
            } else if let Some(ip) = f.strip_prefix("hostip:") {
                self.host_ips.insert(Ip::parse(ip));
            } else if let Some(node) = f.strip_prefix("on-node:")
                && r.resource == v.k.pods
            {
                self.pod_node
                    .insert((r.namespace, v.s(r.name).to_owned()), node.to_owned());
            }
        }
    }

    pub fn is_host_ip(&self, ip: Ip) -> bool {
        self.host_ips.contains(&ip)
    }

    /// A pod's address, not a node's: learned from the data or inside `--pod-cidr`.
    pub fn is_pod_ip(&self, ip: Ip) -> bool {
        if ip.is_none() || self.is_host_ip(ip) {
            return false;
        }
        self.pod_ips.contains(&ip)
            || ip
                .addr()
                .is_some_and(|a| self.pod_cidrs.iter().any(|n| n.contains(&a)))
    }

    /// The addresses a pod had.
    pub fn ips_of(&self, namespace: Sym, pod: Sym) -> Option<&[Ip]> {
        self.pod_ips_of.get(&(namespace, pod)).map(Vec::as_slice)
    }

    pub fn node_of(&self, namespace: Sym, pod: &str) -> Option<&str> {
        self.pod_node
            .get(&(namespace, pod.to_owned()))
            .map(String::as_str)
    }
}
