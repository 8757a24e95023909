//! The AWS SDK for Rust (`aws-sdk-s3`) against fdfs's S3 gateway: create a
//! bucket, put an object, get it back, list the bucket.
//!
//! How to run it, from the repository root:
//!
//! ```text
//! cargo run --release -- server        # prints the access key pair once
//! export FDFS_ACCESS_KEY_ID=... FDFS_SECRET_ACCESS_KEY=...   # as printed
//! cargo run --manifest-path examples/rust-sdk/Cargo.toml
//! ```
//!
//! The endpoint is `http://127.0.0.1:9000` unless `FDFS_S3_ENDPOINT` says
//! otherwise; `FDFS_BUCKET` names the bucket (default `rust-sdk-example`).
//! The client is configured by hand (no `aws-config`, so no profile files or
//! instance metadata are consulted): the endpoint, a region (any name;
//! `us-east-1` is the usual), path-style addressing and the key pair.

use std::env;
use std::error::Error;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let endpoint =
        env::var("FDFS_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:9000".to_owned());
    let bucket = env::var("FDFS_BUCKET").unwrap_or_else(|_| "rust-sdk-example".to_owned());
    let (Ok(key_id), Ok(secret)) =
        (env::var("FDFS_ACCESS_KEY_ID"), env::var("FDFS_SECRET_ACCESS_KEY"))
    else {
        return Err(
            "set FDFS_ACCESS_KEY_ID and FDFS_SECRET_ACCESS_KEY (fdfs server prints them)".into()
        );
    };

    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(key_id, secret, None, None, "fdfs-example"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    let s3 = Client::from_conf(config);

    // Creating a bucket we already own is an error worth ignoring here, so
    // the example can run twice.
    match s3.create_bucket().bucket(&bucket).send().await {
        Ok(_) => println!("created bucket {bucket}"),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_bucket_already_owned_by_you()) => {
            println!("bucket {bucket} exists already")
        }
        Err(e) => return Err(e.into()),
    }

    let put = s3
        .put_object()
        .bucket(&bucket)
        .key("hello.txt")
        .content_type("text/plain")
        .metadata("author", "rust-sdk-example")
        .body(ByteStream::from_static(b"hello from aws-sdk-s3\n"))
        .send()
        .await?;
    println!("put hello.txt: etag {}", put.e_tag().unwrap_or("-"));

    let got = s3.get_object().bucket(&bucket).key("hello.txt").send().await?;
    let meta = got.metadata().cloned().unwrap_or_default();
    let body = got.body.collect().await?.into_bytes();
    println!("get hello.txt: {:?} metadata {meta:?}", String::from_utf8_lossy(&body));

    // The paginator follows continuation tokens (1,000 keys a page).
    let mut pages = s3.list_objects_v2().bucket(&bucket).into_paginator().send();
    while let Some(page) = pages.next().await {
        for obj in page?.contents() {
            println!("list: {} {} bytes", obj.key().unwrap_or("?"), obj.size().unwrap_or(0));
        }
    }
    Ok(())
}
