//! An identity's requests as sessions of commands: requests from one source address with
//! one client, split where the identity was idle longer than a gap, each request written as
//! the command that made it ([`super::kubectl`]). The chatter kubectl makes around a command
//! is folded into it: API discovery (`/api`, `/apis/…`, `/openapi/…`), the `get` of an
//! object just before an exec, log, patch or delete of it, a list just before the watch of
//! the same resources; identical commands in a row (or a loop of a few) are one line with a count.

use std::collections::HashMap;

use serde::Serialize;

use super::Req;
use super::kubectl::{CommandLine, command_line};
use crate::model::Micros;

/// Requests this close before a command on the same object belong to it.
const CHATTER_MICROS: i64 = 3_000_000;

/// A command repeated within this many lines is counted on its earlier line (a workload's
/// polling loop reads as its few requests, each with a count).
const RECENT: usize = 4;

/// One rebuilt command (several identical requests in a row count as one).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Command {
    pub time: Micros,
    /// The last repetition, when `count` > 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<Micros>,
    /// The command as the actor would have typed it (kubectl, else curl).
    pub command: String,
    /// The kubectl equivalent, when kubectl makes this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubectl: Option<String>,
    pub curl: String,
    pub count: usize,
    /// Response code of the first request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    /// Requests of this line the authorizer denied (or answered 401/403).
    pub denied: usize,
    /// Every request of the line, chatter folded into it included.
    pub audit_ids: Vec<String>,
    /// The audit ID of the request that made the command (its first, chatter excluded): the
    /// event the workbench opens from the line.
    #[serde(skip)]
    pub event: String,
}

impl Command {
    /// The kubectl command that makes the same request, when the actor's client was another
    /// (a stolen token used with curl or a script): what the analyst reads it as.
    pub fn kubectl_equivalent(&self) -> Option<&str> {
        self.kubectl.as_deref().filter(|k| *k != self.command)
    }
}

/// Requests from one address with one client, without an idle gap.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ActorSession {
    /// 1-based, in order of start.
    pub session: usize,
    pub start: Micros,
    pub end: Micros,
    pub user: String,
    pub source_ip: String,
    /// The user agent.
    pub client: String,
    pub client_family: String,
    /// The credential ids used (bound token JTI, certificate hash).
    pub credentials: Vec<String>,
    pub requests: usize,
    /// Discovery requests and other chatter folded into commands.
    pub folded: usize,
    pub denied: usize,
    pub commands: Vec<Command>,
}

/// Groups `reqs` (in time order) into sessions split by idle gaps of more than `gap`
/// microseconds.
pub fn sessions(reqs: &[Req], gap: i64) -> Vec<ActorSession> {
    let mut by_origin: HashMap<(String, &str), Vec<&Req>> = HashMap::new();
    let mut order = Vec::new();
    for r in reqs {
        let key = (r.peer_str(), r.ua.as_str());
        let list = by_origin.entry(key.clone()).or_default();
        if list.is_empty() {
            order.push(key);
        }
        list.push(r);
    }
    let mut out = Vec::new();
    for key in order {
        let Some(list) = by_origin.get(&key) else {
            continue;
        };
        let mut start = 0;
        for i in 1..=list.len() {
            let split = i == list.len() || list[i].time.0 - list[i - 1].time.0 > gap;
            if split {
                out.push(session(&list[start..i]));
                start = i;
            }
        }
    }
    out.sort_by_key(|s| (s.start, s.source_ip.clone(), s.client.clone()));
    for (i, s) in out.iter_mut().enumerate() {
        s.session = i + 1;
    }
    out
}

fn denied(r: &Req) -> bool {
    r.decision == "forbid" || matches!(r.code, Some(401 | 403))
}

fn session(reqs: &[&Req]) -> ActorSession {
    let first = reqs.first().copied().cloned().unwrap_or_default();
    let lines: Vec<CommandLine> = reqs.iter().map(|r| command_line(r)).collect();
    let kubectl_client = first.ua_family.eq_ignore_ascii_case("kubectl");
    let mut commands: Vec<Command> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut folded = 0;
    for (i, (r, line)) in reqs.iter().zip(&lines).enumerate() {
        if kubectl_client && (line.discovery || is_chatter(r, reqs.get(i + 1).copied())) {
            folded += 1;
            pending.push(r.audit_id.clone());
            continue;
        }
        let shown = line.shown(r).to_owned();
        let recent = commands.len().saturating_sub(RECENT);
        if let Some(last) = commands[recent..]
            .iter_mut()
            .rev()
            .find(|c| c.command == shown)
        {
            last.count += 1;
            last.last = Some(r.time);
            last.denied += usize::from(denied(r));
            last.audit_ids.append(&mut pending);
            last.audit_ids.push(r.audit_id.clone());
            continue;
        }
        let mut audit_ids = std::mem::take(&mut pending);
        audit_ids.push(r.audit_id.clone());
        commands.push(Command {
            time: r.time,
            last: None,
            command: shown,
            kubectl: line.kubectl.clone(),
            curl: line.curl.clone(),
            count: 1,
            code: r.code,
            denied: usize::from(denied(r)),
            audit_ids,
            event: r.audit_id.clone(),
        });
    }
    if let Some(last) = commands.last_mut() {
        last.audit_ids.append(&mut pending);
    }
    let mut credentials: Vec<String> = reqs
        .iter()
        .filter(|r| !r.credential.is_empty())
        .map(|r| r.credential.clone())
        .collect();
    credentials.sort();
    credentials.dedup();
    ActorSession {
        session: 0,
        start: first.time,
        end: reqs.last().map_or(first.time, |r| r.time),
        user: first.user.clone(),
        source_ip: first.peer_str(),
        client: first.ua.clone(),
        client_family: first.ua_family.clone(),
        credentials,
        requests: reqs.len(),
        folded,
        denied: reqs.iter().filter(|r| denied(r)).count(),
        commands,
    }
}

/// Is `r` what kubectl sends before the command `next`: the `get` of the object it then
/// execs into, reads the logs of, patches, applies or deletes, or the list before a watch?
fn is_chatter(r: &Req, next: Option<&Req>) -> bool {
    let Some(n) = next else { return false };
    if n.time.0 - r.time.0 > CHATTER_MICROS
        || r.resource != n.resource
        || r.namespace != n.namespace
    {
        return false;
    }
    let same_object = r.name == n.name && !r.name.is_empty();
    let get_before_action = r.verb == "get"
        && r.subresource.is_empty()
        && same_object
        && (matches!(
            n.subresource.as_str(),
            "exec" | "attach" | "portforward" | "log"
        ) || matches!(n.verb.as_str(), "patch" | "update" | "delete"));
    let list_before_watch =
        r.verb == "list" && n.verb == "watch" && r.name.is_empty() && n.subresource.is_empty();
    get_before_action || list_before_watch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(t: i64, verb: &str, resource: &str, ns: &str, name: &str, ip: &str) -> Req {
        Req {
            time: Micros(t * 1_000_000),
            audit_id: format!("id-{t}"),
            verb: verb.into(),
            resource: resource.into(),
            namespace: ns.into(),
            name: name.into(),
            peer: ip.parse().ok(),
            ua: "kubectl/v1.30.2 (linux/amd64) kubernetes/3968350".into(),
            ua_family: "kubectl".into(),
            ..Req::default()
        }
    }

    #[test]
    fn sessions_split_by_idle_gap_and_by_address() {
        let reqs = vec![
            req(0, "list", "pods", "shop", "", "198.51.100.77"),
            req(5, "list", "pods", "shop", "", "10.244.2.7"),
            req(10, "list", "secrets", "", "", "198.51.100.77"),
            req(4000, "list", "nodes", "", "", "198.51.100.77"),
        ];
        let s = sessions(&reqs, 1_800_000_000);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].source_ip, "198.51.100.77");
        assert_eq!(s[0].commands.len(), 2);
        assert_eq!(s[0].commands[1].command, "kubectl get secrets -A");
        assert_eq!(s[1].source_ip, "10.244.2.7");
        assert_eq!(s[2].commands[0].command, "kubectl get nodes");
        assert_eq!(
            s.iter().map(|x| x.session).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn discovery_and_the_get_before_an_exec_fold_into_the_command() {
        let mut api = req(0, "get", "", "", "", "198.51.100.77");
        api.path = "/api".into();
        let mut apis = req(0, "get", "", "", "", "198.51.100.77");
        apis.path = "/apis/apps/v1".into();
        let get = req(1, "get", "pods", "shop", "web-0", "198.51.100.77");
        let mut exec = req(2, "create", "pods", "shop", "web-0", "198.51.100.77");
        exec.subresource = "exec".into();
        exec.stream = "exec".into();
        let reqs = vec![api, apis, get, exec];
        let s = sessions(&reqs, 1_800_000_000);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].folded, 3);
        assert_eq!(s[0].commands.len(), 1, "{:?}", s[0].commands);
        assert!(
            s[0].commands[0]
                .command
                .starts_with("kubectl exec -n shop web-0")
        );
        assert_eq!(s[0].commands[0].audit_ids.len(), 4);
        assert_eq!(s[0].commands[0].event, "id-2", "the exec, not the chatter");
    }

    #[test]
    fn repeated_commands_count_and_denials_are_counted() {
        let mut reqs: Vec<Req> = (0..3)
            .map(|t| req(t, "get", "secrets", "shop", "db", "1.2.3.4"))
            .collect();
        reqs[1].decision = "forbid".into();
        let s = sessions(&reqs, 60_000_000);
        assert_eq!(s[0].commands.len(), 1);
        assert_eq!(s[0].commands[0].count, 3);
        assert_eq!(s[0].commands[0].denied, 1);
        assert_eq!(s[0].denied, 1);
        assert_eq!(s[0].commands[0].last, Some(Micros(2_000_000)));
    }
}
