//! Bucket policies: the IAM policy language as S3 bucket policies use it,
//! as a pure library (no I/O, no gateway types), so the access decision
//! and its tests need nothing but a request description.
//!
//! # Layout
//!
//! - [`model`] — a parsed policy: statements, principals, conditions.
//! - [`parse`] — JSON → model, validated as S3 validates PutBucketPolicy
//!   ([`parse::Malformed`] carries AWS's MalformedPolicy messages).
//! - [`actions`] — the S3 actions and condition keys a policy may name.
//! - [`wildcard`] — `*`/`?` matching and policy variables (`${aws:username}`).
//! - [`conditions`] — the condition operators, CIDR blocks and IAM dates.
//! - [`context`] — the condition keys of a gateway request (headers, query,
//!   peer, time, tags).
//! - [`eval`] — one request against one policy: Deny beats Allow; how our
//!   owners are named as principals.
//! - [`public`] — whether a policy is public (GetBucketPolicyStatus, Public
//!   Access Block).

pub mod actions;
pub mod conditions;
pub mod context;
pub mod eval;
pub mod model;
pub mod parse;
pub mod public;
pub mod wildcard;

#[cfg(test)]
mod tests;

pub use eval::{Request, Requester, Verdict, evaluate};
pub use model::Policy;
pub use parse::{MAX_POLICY_BYTES, Malformed, parse};
pub use public::is_public;
