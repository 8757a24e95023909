//! Unit tests of the policy library: parsing and its refusals, evaluation
//! and the condition operators, public-ness, and a property test that
//! parsing never panics.

mod conditions;
mod context;
mod eval;
mod parsing;
mod props;
mod public;

use super::{Policy, Request, Requester, parse};

/// Parses a policy of bucket `b` that the test expects to be valid.
fn policy(json: &str) -> Policy {
    parse(json, "b").unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// A request of `action` on `b` (and `key`), by `who` (None: anonymous).
fn request(action: &str, key: Option<&str>, who: Option<&str>) -> Request {
    let mut r = Request {
        action: action.to_string(),
        bucket: "b".to_string(),
        key: key.map(str::to_string),
        requester: who.map(|o| Requester::new(o, Some(format!("canon-{o}")))),
        ..Request::default()
    };
    if let Some(o) = who {
        r.set("aws:username", o);
    }
    r
}

/// A one-statement policy.
fn statement(body: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{body}]}}"#)
}
