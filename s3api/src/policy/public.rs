//! Whether a policy is public, as GetBucketPolicyStatus, BlockPublicPolicy
//! and RestrictPublicBuckets need it.
//!
//! AWS calls a policy non-public when every Allow statement grants only
//! to fixed values: named principals, or `*` restricted by a condition
//! that pins the caller to something fixed. We follow that definition:
//! an Allow statement is public when its principal is `*` (or it uses
//! NotPrincipal) and none of its conditions is restricting. A restricting
//! condition is one that is not `...IfExists` and not `ForAllValues:`
//! (both hold for requests without the key), and is either
//!
//! - `IpAddress` on `aws:SourceIp` with every block at least a /8 (IPv4)
//!   or a /32 (IPv6) — `0.0.0.0/0`-like ranges are still public; or
//! - an equality (`StringEquals`, `StringEqualsIgnoreCase`, `ArnEquals`,
//!   or `StringLike`/`ArnLike` without a wildcard) on a key that names
//!   the caller or its origin: `aws:SourceArn`, `aws:SourceVpc`,
//!   `aws:SourceVpce`, `aws:SourceOwner`, `aws:SourceAccount`,
//!   `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:PrincipalOrgID`,
//!   `aws:userid`, `aws:username`.
//!
//! Deny statements never make a policy public.

use super::conditions::parse_cidr;
use super::model::{Condition, Effect, Match, Operator, Policy, Principals, SetQualifier};
use super::wildcard;

const FIXED_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:userid",
    "aws:username",
];

/// Whether `policy` grants public access.
pub fn is_public(policy: &Policy) -> bool {
    policy.statements.iter().any(|st| {
        let open = matches!(st.principal, Match::Is(Principals::Anyone) | Match::Not(_));
        st.effect == Effect::Allow && open && !st.conditions.iter().any(restricting)
    })
}

fn restricting(c: &Condition) -> bool {
    if c.if_exists || c.qualifier == Some(SetQualifier::ForAllValues) || c.values.is_empty() {
        return false;
    }
    if c.key == "aws:sourceip" {
        return c.operator == Operator::IpAddress
            && c.values.iter().all(|v| {
                parse_cidr(v).is_some_and(|b| b.prefix >= if b.addr.is_ipv4() { 8 } else { 32 })
            });
    }
    if !FIXED_KEYS.contains(&c.key.as_str()) {
        return false;
    }
    match c.operator {
        Operator::StringEquals | Operator::StringEqualsIgnoreCase => true,
        Operator::ArnEquals | Operator::StringLike | Operator::ArnLike => {
            c.values.iter().all(|v| !wildcard::has_wildcard(v))
        }
        _ => false,
    }
}
