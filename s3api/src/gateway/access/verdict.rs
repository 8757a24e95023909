//! How the access decision reaches the handlers.
//!
//! The decision runs in `s3s`'s access hook, before the handler; the
//! handlers keep asking `owner_of` and `bucket::check_owner` as they
//! always did. `check_owner` compares the bucket's owner with the
//! requester and has no request at hand, so the hook leaves its verdict
//! in a per-request task-local [`Granted`]: the buckets a requester who
//! does not own them was allowed into (by an ACL, a grant or a policy),
//! and whether an anonymous request was allowed at all. [`Scoped`] wraps
//! each HTTP request's service future in a fresh one, so nothing leaks
//! from one request to the next; outside a scope (background work, the
//! in-process services of tests) nothing is granted and only owners
//! pass, as before.

use std::cell::RefCell;

use hyper::body::Incoming;
use tokio::task::futures::TaskLocalFuture;

tokio::task_local! {
    static GRANTED: RefCell<Granted>;
}

/// What the access decision allowed beyond ownership, for one request.
#[derive(Debug, Default, Clone)]
pub(crate) struct Granted {
    /// Buckets the requester may act on though another owns them.
    buckets: Vec<String>,
    /// An unsigned request was allowed.
    anonymous: bool,
}

/// Records that this request may act on `bucket` without owning it.
pub(crate) fn grant_bucket(bucket: &str) {
    let _ = GRANTED.try_with(|g| g.borrow_mut().buckets.push(bucket.to_string()));
}

/// Records that this unsigned request was allowed.
pub(crate) fn grant_anonymous() {
    let _ = GRANTED.try_with(|g| g.borrow_mut().anonymous = true);
}

/// Whether the access decision let this request act on `bucket`.
pub(crate) fn bucket_granted(bucket: &str) -> bool {
    GRANTED.try_with(|g| g.borrow().buckets.iter().any(|b| b == bucket)).unwrap_or(false)
}

/// Whether the access decision let this unsigned request through.
pub(crate) fn anonymous_granted() -> bool {
    GRANTED.try_with(|g| g.borrow().anonymous).unwrap_or(false)
}

/// A service that runs each request in its own [`Granted`] scope.
#[derive(Clone, Debug)]
pub(crate) struct Scoped<S> {
    inner: S,
}

impl<S> Scoped<S> {
    /// `inner`, each request scoped.
    pub(crate) fn new(inner: S) -> Self {
        Self { inner }
    }
}

impl<S> hyper::service::Service<http::Request<Incoming>> for Scoped<S>
where
    S: hyper::service::Service<http::Request<Incoming>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = TaskLocalFuture<RefCell<Granted>, S::Future>;

    fn call(&self, req: http::Request<Incoming>) -> Self::Future {
        GRANTED.scope(RefCell::new(Granted::default()), self.inner.call(req))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::{
        GRANTED, Granted, anonymous_granted, bucket_granted, grant_anonymous, grant_bucket,
    };

    #[tokio::test]
    async fn grants_live_in_their_scope_only() {
        // Outside a scope nothing is granted, and granting is a no-op.
        grant_bucket("b");
        assert!(!bucket_granted("b"));
        GRANTED
            .scope(RefCell::new(Granted::default()), async {
                assert!(!bucket_granted("b") && !anonymous_granted());
                grant_bucket("b");
                grant_anonymous();
                tokio::task::yield_now().await;
                assert!(bucket_granted("b") && !bucket_granted("c") && anonymous_granted());
            })
            .await;
        GRANTED
            .scope(RefCell::new(Granted::default()), async { assert!(!bucket_granted("b")) })
            .await;
    }
}
