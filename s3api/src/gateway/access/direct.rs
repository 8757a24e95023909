//! The access decision for requests `s3s`'s hook never sees: a form POST
//! (POST object) is read in the HTTP layer (`gateway::browser`), and a
//! request the ignored-Range route takes from `s3s` (a Range S3 ignores,
//! a signed unparseable date; `gateway::ignored_range`) is re-dispatched
//! to an inner service without the hook. Each asks here before anything
//! happens. Same rules, same per-request verdict for the handlers called.

use http::HeaderMap;
use s3s::S3Result;

use super::acl::Permission;
use super::actions::Scope;
use super::request::{AccessRequest, Principal};
use super::{Inner, Resolved, actions, authorize, copy_source, resolve, verdict};
use crate::gateway::transport::Transport;

/// Decides a POST object of `key` into `bucket` by the key `signer`
/// (`None`: anonymous), with the form's header fields as `headers`.
/// Returns what the handlers' `principal_of` must find in the request's
/// extensions for a signed request.
pub(crate) async fn check_post_object(
    inner: &Inner,
    bucket: &str,
    key: &str,
    signer: Option<&str>,
    transport: Option<Transport>,
    headers: &HeaderMap,
) -> S3Result<Option<Resolved>> {
    let requester = match signer {
        Some(id) => Some(resolve(inner, id.to_string()).await?),
        None => None,
    };
    let (action, scope) = actions::of("PostObject", false);
    let req = AccessRequest {
        action,
        bucket: Some(bucket.to_string()),
        key: Some(key.to_string()),
        requester: requester.clone(),
        source_ip: transport.map(|t| t.peer.ip()),
        secure_transport: transport.is_some_and(|t| t.secure),
        headers: headers.clone(),
        query: None,
    };
    authorize(inner, &req, scope).await?;
    if requester.is_none() {
        verdict::grant_anonymous();
    }
    Ok(requester.map(|p: Principal| Resolved(p)))
}

/// A request the ignored-Range route re-dispatches: operation `op` (s3s's
/// name) on `bucket`/`key`, signed by `signer` (`None`: anonymous).
#[derive(Debug)]
pub(crate) struct Forwarded<'a> {
    pub op: &'static str,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub query: Option<String>,
    pub signer: Option<&'a str>,
    pub transport: Option<Transport>,
    pub headers: &'a HeaderMap,
}

/// Decides `f` as the access hook would have (a copy's source included).
pub(crate) async fn check_forwarded(inner: &Inner, f: Forwarded<'_>) -> S3Result<()> {
    let requester = match f.signer {
        Some(id) => Some(resolve(inner, id.to_string()).await?),
        None => None,
    };
    let versioned =
        f.query.as_deref().is_some_and(|q| q.split('&').any(|p| p.starts_with("versionId=")));
    let (action, scope) = actions::of(f.op, versioned);
    let anonymous = requester.is_none();
    let req = AccessRequest {
        action,
        bucket: f.bucket,
        key: f.key,
        requester,
        source_ip: f.transport.map(|t| t.peer.ip()),
        secure_transport: f.transport.is_some_and(|t| t.secure),
        headers: f.headers.clone(),
        query: f.query,
    };
    authorize(inner, &req, scope).await?;
    if matches!(f.op, "CopyObject" | "UploadPartCopy")
        && let Some(source) = copy_source(f.headers, &req)
    {
        authorize(inner, &source, Scope::Object(Some(Permission::Read))).await?;
    }
    if anonymous {
        verdict::grant_anonymous();
    }
    Ok(())
}
