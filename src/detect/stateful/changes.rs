//! Changes by identities that never made them before: secrets written or deleted, secrets
//! listed in a namespace, role bindings written, workloads, namespaces, volumes, nodes and RBAC objects deleted. "Never" is the account's own
//! history in the data (see [`super::baseline::Account::settled`]); controllers, kubelets
//! and the control plane are routine writers and not followed. A hand-driven client on a
//! workload credential, an address on the internet, or many objects at once rank higher.

use rustc_hash::{FxHashMap, FxHashSet};

use super::super::row::{Actor, EMPTY, Row, Sym, Vocab};
use super::baseline::Account;
use super::{Hits, display_family};
use crate::detect::DetectOptions;
use crate::detect::finding::Severity;
use crate::model::useragent;

pub const SECRET_WRITE: &str = "KS-SECRET-WRITE-UNUSUAL";
pub const SECRET_LIST_NS: &str = "KS-SECRET-LIST-NEW-NAMESPACE";
pub const DELETE_UNUSUAL: &str = "KS-DELETE-UNUSUAL";
pub const BINDING_UNUSUAL: &str = "KS-RBAC-BINDING-UNUSUAL";

/// Deleted kinds that are followed.
const DELETED: &[&str] = &[
    "pods",
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "namespaces",
    "nodes",
    "persistentvolumeclaims",
    "persistentvolumes",
    "rolebindings",
    "clusterrolebindings",
    "roles",
    "clusterroles",
];

/// Objects deleted within one novel run from which it is a mass deletion.
const MASS: usize = 5;

const GAP: i64 = super::super::rules::DEFAULT_GAP;

/// What an account changed so far.
#[derive(Default)]
struct Changed {
    /// Wrote a secret earlier (while its history was still settling: routine).
    wrote_secrets: bool,
    /// A run of secret writes that began after the history settled: time of the last one.
    novel_write: Option<i64>,
    listed_in: FxHashSet<Sym>,
    /// Wrote a binding earlier; a novel run of binding writes: time of the last one.
    wrote_bindings: bool,
    novel_binding: Option<i64>,
    deleted: FxHashSet<Sym>,
    /// Runs of deletions of a kind new for the account: kind → (last time, objects).
    novel_delete: FxHashMap<Sym, (i64, FxHashSet<(Sym, Sym)>)>,
}

/// The state of the three detectors.
pub struct Changes {
    secrets: Option<Sym>,
    writes: Vec<Sym>,
    deletes: Vec<Sym>,
    lists: Vec<Sym>,
    deleted: Vec<Sym>,
    bindings: Vec<Sym>,
    accounts: FxHashMap<Sym, Changed>,
}

fn syms(v: &Vocab, words: &[&str]) -> Vec<Sym> {
    words.iter().filter_map(|w| v.strings.get(w)).collect()
}

impl Changes {
    pub fn new(v: &Vocab) -> Changes {
        Changes {
            secrets: v.strings.get("secrets"),
            writes: syms(
                v,
                &["create", "update", "patch", "delete", "deletecollection"],
            ),
            deletes: syms(v, &["delete", "deletecollection"]),
            lists: syms(v, &["list", "watch"]),
            deleted: syms(v, DELETED),
            bindings: syms(v, &["rolebindings", "clusterrolebindings"]),
            accounts: FxHashMap::default(),
        }
    }

    /// Takes one row, before the baselines count it in `accounts`.
    pub fn observe(
        &mut self,
        v: &Vocab,
        opts: &DetectOptions,
        accounts: &FxHashMap<Sym, Account>,
        r: &Row,
        out: &mut Hits<'_>,
    ) {
        let secret = Some(r.resource) == self.secrets && r.subresource == EMPTY;
        let deleted = self.deletes.contains(&r.verb) && self.deleted.contains(&r.resource);
        let binding = self.bindings.contains(&r.resource)
            && r.subresource == EMPTY
            && self.writes.contains(&r.verb)
            && !self.deletes.contains(&r.verb);
        if !(secret || deleted || binding)
            || r.user == EMPTY
            || matches!(
                r.actor,
                Actor::Node | Actor::ControlPlane | Actor::Anonymous
            )
            || v.is_controller(r)
            || !v.succeeded(r)
        {
            return;
        }
        let acct = accounts.get(&r.user);
        let settled = acct.is_some_and(|a| a.settled(r.time, opts));
        let history = acct.map_or_else(|| "no history".to_owned(), |a| a.history(r.time));
        let c = self.accounts.entry(r.user).or_default();
        let ctx = Ctx {
            v,
            r,
            settled,
            history,
        };
        if secret && self.writes.contains(&r.verb) {
            secret_write(&ctx, c, out);
        } else if secret && self.lists.contains(&r.verb) && r.namespace != EMPTY {
            secret_list(&ctx, c, out);
        }
        if deleted {
            deletion(&ctx, c, out);
        }
        if binding {
            binding_write(&ctx, c, out);
        }
    }
}

struct Ctx<'a> {
    v: &'a Vocab,
    r: &'a Row,
    settled: bool,
    history: String,
}

impl Ctx<'_> {
    fn family(&self) -> &str {
        self.v.s(self.r.ua_family)
    }

    /// A hand-driven client (curl, python…; not kubectl) on a workload credential, or any
    /// client on the internet.
    fn hand_driven(&self) -> bool {
        let fam = self.family();
        self.r.peer.is_public()
            || (self.r.actor == Actor::ServiceAccount
                && (fam.is_empty() || (useragent::is_tool(fam) && fam != "kubectl")))
    }

    /// Whether a first change by this account is worth reporting: after a settled history,
    /// or a person (people have no start-up routine), or hand-driven, or kubectl on a
    /// workload credential (a token driven by hand, or a pipeline: reported, low).
    fn reportable(&self) -> bool {
        self.settled
            || self.r.actor == Actor::Human
            || self.hand_driven()
            || (self.r.actor == Actor::ServiceAccount && self.family() == "kubectl")
    }
}

/// Secret create, update, patch, delete by an account that never wrote secrets.
fn secret_write(ctx: &Ctx<'_>, c: &mut Changed, out: &mut Hits<'_>) {
    let (v, r) = (ctx.v, ctx.r);
    if v.s(r.name).starts_with("sh.helm.release.") {
        return;
    }
    let continues = c.novel_write.is_some_and(|last| r.time - last <= GAP);
    if c.wrote_secrets && !continues {
        return;
    }
    c.wrote_secrets = true;
    if !continues && !ctx.reportable() {
        return;
    }
    c.novel_write = Some(r.time);
    let sev = if ctx.hand_driven() {
        Severity::High
    } else if r.actor == Actor::ServiceAccount && ctx.family() == "kubectl" && ctx.settled {
        // kubectl on a workload credential with no history yet is often a pipeline: low.
        Severity::Medium
    } else {
        Severity::Low
    };
    let note = (!continues).then(|| {
        format!(
            "first secret write by this account ({}), with `{}`",
            ctx.history,
            display_family(ctx.family())
        )
    });
    out.add(SECRET_WRITE, r, sev, r.user, note);
}

/// A binding created or changed by an account that never wrote one.
fn binding_write(ctx: &Ctx<'_>, c: &mut Changed, out: &mut Hits<'_>) {
    let r = ctx.r;
    let continues = c.novel_binding.is_some_and(|last| r.time - last <= GAP);
    if c.wrote_bindings && !continues {
        return;
    }
    c.wrote_bindings = true;
    if !continues && !ctx.reportable() {
        return;
    }
    c.novel_binding = Some(r.time);
    let sev = if ctx.hand_driven() {
        Severity::High
    } else {
        Severity::Low
    };
    let note = (!continues).then(|| {
        format!(
            "first binding written by this account ({}), with `{}`",
            ctx.history,
            display_family(ctx.family())
        )
    });
    out.add(BINDING_UNUSUAL, r, sev, r.user, note);
}

/// Secrets listed in a namespace where the account never listed them.
fn secret_list(ctx: &Ctx<'_>, c: &mut Changed, out: &mut Hits<'_>) {
    let r = ctx.r;
    let first_here = c.listed_in.insert(r.namespace);
    if !first_here || !ctx.reportable() {
        return;
    }
    let sev = if ctx.hand_driven() {
        Severity::Medium
    } else {
        Severity::Low
    };
    let note = format!(
        "first secret list in {} by this account ({}; {} namespaces before)",
        ctx.v.s(r.namespace),
        ctx.history,
        c.listed_in.len() - 1
    );
    out.add(SECRET_LIST_NS, r, sev, r.user, Some(note));
}

/// Deletions of a kind the account never deleted; many objects at once rank higher.
fn deletion(ctx: &Ctx<'_>, c: &mut Changed, out: &mut Hits<'_>) {
    let r = ctx.r;
    let kind = r.resource;
    let run = c
        .novel_delete
        .get_mut(&kind)
        .filter(|(last, _)| r.time - *last <= GAP);
    let (objects, note) = if let Some((last, objs)) = run {
        *last = r.time;
        objs.insert((r.namespace, r.name));
        (objs.len(), None)
    } else {
        if !c.deleted.insert(kind) || !ctx.reportable() {
            return;
        }
        let mut objs = FxHashSet::default();
        objs.insert((r.namespace, r.name));
        c.novel_delete.insert(kind, (r.time, objs));
        let note = format!(
            "first delete of {} by this account ({})",
            ctx.v.s(kind),
            ctx.history
        );
        (1, Some(note))
    };
    let sev = if ctx.hand_driven() {
        Severity::High
    } else if objects >= MASS || r.verb != ctx.v.strings.get("delete").unwrap_or(EMPTY) {
        Severity::Medium
    } else {
        Severity::Low
    };
    out.add(DELETE_UNUSUAL, r, sev, r.user, note);
}
