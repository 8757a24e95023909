//! Deciding one request against one policy.
//!
//! A statement applies when its principal, action, resource and every
//! condition match. Any applying Deny makes the verdict
//! [`Verdict::ExplicitDeny`] (it beats every Allow, whatever the order);
//! otherwise any applying Allow makes it [`Verdict::Allow`]; otherwise
//! the policy has no opinion and the caller's other rules (ownership,
//! ACLs) decide.
//!
//! # Principals
//!
//! Our tenants are owners, not AWS accounts. A signed request's principal
//! goes by every name a policy author might reasonably write for it
//! ([`Requester::new`]): the owner name (`"alice"`), the IAM account-root
//! form (`"arn:aws:iam::alice:root"`), any IAM user of that account
//! (`"arn:aws:iam::alice:user/<name>"`), and the owner's canonical ID
//! when the caller knows one (`{"CanonicalUser": "<id>"}`). `"*"` (or
//! `{"AWS": "*"}`) is everyone, anonymous requests included; named
//! principals never match an anonymous request.

use std::collections::BTreeMap;

use super::conditions;
use super::model::{Effect, Match, Policy, Principals, Statement};
use super::wildcard::{self, Vars};

/// The outcome of evaluating a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A Deny statement applies.
    ExplicitDeny,
    /// An Allow statement applies and no Deny does.
    Allow,
    /// No statement applies.
    NoOpinion,
}

/// Who signed a request, by the names a policy may call them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// The owner (tenant) the key acts as.
    pub owner: String,
    /// The owner's canonical user ID, when known.
    pub canonical_id: Option<String>,
}

impl Requester {
    pub fn new(owner: impl Into<String>, canonical_id: Option<String>) -> Self {
        Requester { owner: owner.into(), canonical_id }
    }

    /// Whether a principal `name` from a policy designates this requester.
    pub fn is_named(&self, name: &str) -> bool {
        if name == self.owner || self.canonical_id.as_deref() == Some(name) {
            return true;
        }
        let Some(rest) = name.strip_prefix("arn:aws:iam::") else {
            return false;
        };
        let Some((account, what)) = rest.split_once(':') else {
            return false;
        };
        account == self.owner && (what == "root" || what.starts_with("user/"))
    }
}

/// One request as the policy language sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `s3:GetObject`, ...
    pub action: String,
    /// The bucket the request addresses.
    pub bucket: String,
    /// The object key, for object operations.
    pub key: Option<String>,
    /// `None` for an anonymous (unsigned) request.
    pub requester: Option<Requester>,
    /// Condition key (lowercased) → the request's values for it. Keys
    /// absent here are absent from the request.
    pub values: BTreeMap<String, Vec<String>>,
}

impl Request {
    /// The resource ARN: `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    pub fn resource(&self) -> String {
        match &self.key {
            Some(key) => format!("arn:aws:s3:::{}/{key}", self.bucket),
            None => format!("arn:aws:s3:::{}", self.bucket),
        }
    }

    /// Sets one single-valued condition key.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_ascii_lowercase(), vec![value.into()]);
    }

    /// The value of a policy variable (`aws:username`), if the request has
    /// one.
    fn variable(&self, name: &str) -> Option<String> {
        self.values.get(&name.to_ascii_lowercase())?.first().cloned()
    }
}

/// Evaluates `policy` for `req`.
pub fn evaluate(policy: &Policy, req: &Request) -> Verdict {
    let resource = req.resource();
    let mut allowed = false;
    for st in &policy.statements {
        if applies(policy, st, req, &resource) {
            match st.effect {
                Effect::Deny => {
                    tracing::debug!(sid = st.sid.as_deref(), action = %req.action, "policy denies");
                    return Verdict::ExplicitDeny;
                }
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed { Verdict::Allow } else { Verdict::NoOpinion }
}

fn applies(policy: &Policy, st: &Statement, req: &Request, resource: &str) -> bool {
    let var_fn = |name: &str| req.variable(name);
    // Policy variables exist from version 2012-10-17 on; older (or
    // unversioned) policies keep `${...}` literally, as IAM does.
    let var: Vars<'_> = (policy.version.as_deref() == Some("2012-10-17")).then_some(&var_fn);
    principal_matches(&st.principal, req.requester.as_ref())
        && list_matches(&st.action, |pattern| wildcard::matches(pattern, &req.action, true))
        && list_matches(&st.resource, |pattern| resource_matches(pattern, resource, var))
        && st.conditions.iter().all(|c| {
            let values = req.values.get(&c.key).map(Vec::as_slice);
            conditions::holds(c, values, var)
        })
}

fn principal_matches(p: &Match<Principals>, who: Option<&Requester>) -> bool {
    let named = |list: &Vec<String>| who.is_some_and(|w| list.iter().any(|n| w.is_named(n)));
    match p {
        Match::Is(Principals::Anyone) => true,
        Match::Is(Principals::Named(list)) => named(list),
        Match::Not(Principals::Anyone) => false,
        Match::Not(Principals::Named(list)) => !named(list),
    }
}

fn list_matches(m: &Match<Vec<String>>, hit: impl Fn(&str) -> bool) -> bool {
    match m {
        Match::Is(list) => list.iter().any(|p| hit(p)),
        Match::Not(list) => !list.iter().any(|p| hit(p)),
    }
}

/// A Resource pattern against the request's ARN, after substituting
/// variables; a variable the request lacks makes the pattern match
/// nothing.
fn resource_matches(pattern: &str, resource: &str, var: Vars<'_>) -> bool {
    let pattern = match var {
        Some(var) => match wildcard::substitute(pattern, var) {
            Some(p) => p,
            None => return false,
        },
        None => pattern.to_string(),
    };
    wildcard::matches(&pattern, resource, false)
}
