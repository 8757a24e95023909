//! The `s3s` service the accept loop serves: the [`Gateway`] with SigV4
//! from the index's keys, virtual hosts when configured, and the
//! [`IgnoredRange`] route, which needs a second, unauthenticated service
//! over the same gateway to answer a request whose signature the outer
//! one has already verified (see `ignored_range`).

use s3s::service::{S3Service, S3ServiceBuilder};

use super::Gateway;
use super::auth::IndexAuth;
use super::ignored_range::IgnoredRange;
use super::request_target::Recorder;
use super::vhost::VirtualHosts;
use crate::crypto::MasterKey;
use crate::index::IndexHandle;

/// The service for `gateway`, its keys' secrets in `index` sealed with
/// `master_key`; `hosts` turns virtual-hosted-style on.
pub(super) fn build(
    gateway: Gateway,
    index: IndexHandle,
    master_key: MasterKey,
    hosts: Option<VirtualHosts>,
) -> S3Service {
    // The inner service has no auth: it must only ever be called by the
    // route, after the outer service verified the request.
    let mut inner = S3ServiceBuilder::new(gateway.clone());
    if let Some(h) = hosts.clone() {
        inner.set_host(h);
    }
    let inner = inner.build();

    let recorder = Recorder::new(gateway.inner());
    let route = IgnoredRange::new(inner, gateway.inner(), hosts.clone());
    let mut builder = S3ServiceBuilder::new(gateway);
    builder.set_auth(IndexAuth::new(index, master_key));
    if let Some(h) = hosts {
        builder.set_host(h);
    }
    builder.set_access(recorder);
    builder.set_route(route);
    builder.build()
}
