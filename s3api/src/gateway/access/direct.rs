//! The access decision for requests `s3s` never sees, so its hook never
//! runs for them: a form POST (POST object) is read in the HTTP layer
//! (`gateway::browser`), and asks here before it stores anything. Same
//! rules, same per-request verdict for the handlers it then calls.

use http::HeaderMap;
use s3s::S3Result;

use super::request::{AccessRequest, Principal};
use super::{Inner, Resolved, actions, authorize, resolve, verdict};
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
