//! What the tests of a spawned `fdfs server` / `fdfs gateway` share: an
//! aws-sdk-s3 client for its S3 port, and the values it prints at start.

use std::net::SocketAddr;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

/// A path-style client of the gateway at `s3`, signing with `id`/`secret`.
pub fn client(s3: SocketAddr, id: &str, secret: &str) -> Client {
    let creds = Credentials::new(id, secret, None, None, "test");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{s3}"))
        .force_path_style(true)
        .credentials_provider(creds)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

/// The value printed after `label: ` in a process's output.
pub fn printed(log: &str, label: &str) -> Option<String> {
    let prefix = format!("{label}: ");
    log.lines().find_map(|l| l.strip_prefix(&prefix)).map(|v| v.trim().to_string())
}
