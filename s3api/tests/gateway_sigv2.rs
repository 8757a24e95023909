//! Signature V2 in the Authorization header for every kind of request —
//! service, bucket, bucket sub-resources and objects — with a SigV2 signer
//! written here from AWS's description (HMAC-SHA1 over the verb,
//! Content-MD5, Content-Type, Date, the `x-amz-*` headers and the
//! canonical resource with its sub-resources), over a plain socket. Bucket
//! requests are signed over `/bucket/` as botocore, s3cmd and the Java SDK
//! sign them, and over the raw `/bucket` as well.

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use sha1::Sha1;
use support::sigv4::{exchange, header, http_date, now};
use support::{KEY_ID, SECRET, Stack};

const BUCKET: &str = "sigv2";

/// HMAC-SHA1 (RFC 2104).
fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha1::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha1::new().chain_update(pad(0x5c)).chain_update(inner).finalize().to_vec()
}

/// The sub-resources AWS's SigV2 signs, sorted.
const SUB_RESOURCES: &[&str] = &[
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "requestPayment",
    "tagging",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// A SigV2-signed request. `resource` is the path signed (the bucket's
/// `/bucket/` or the raw path), `target` what is sent; `headers` are sent
/// and the `content-md5`, `content-type` and `x-amz-*` ones signed.
fn signed(
    method: &str,
    target: &str,
    resource: &str,
    headers: &[(&str, &str)],
    body: &str,
    secret: &str,
) -> String {
    let date = http_date(now());
    let find = |name: &str| headers.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| *v);
    let mut amz: Vec<_> = headers.iter().filter(|(n, _)| n.starts_with("x-amz-")).collect();
    amz.sort();
    let amz: String = amz.iter().map(|(n, v)| format!("{n}:{}\n", v.trim())).collect();
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let mut subs: Vec<&str> = query
        .split('&')
        .filter(|p| SUB_RESOURCES.contains(&p.split('=').next().unwrap()))
        .collect();
    subs.sort();
    let subs = if subs.is_empty() { String::new() } else { format!("?{}", subs.join("&")) };
    let to_sign = format!(
        "{method}\n{}\n{}\n{date}\n{amz}{resource}{subs}",
        find("content-md5"),
        find("content-type")
    );
    let signature = STANDARD.encode(hmac_sha1(secret.as_bytes(), to_sign.as_bytes()));
    let lines: String = headers.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    format!(
        "{method} {target} HTTP/1.1\r\nHost: gateway\r\nDate: {date}\r\n{lines}\
         Content-Length: {}\r\nConnection: close\r\nAuthorization: AWS {KEY_ID}:{signature}\
         \r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn sigv2_signs_service_bucket_subresource_and_object_requests() {
    let stack = Stack::start().await;
    let s3 = stack.s3;
    let send = |method: &'static str, target: String, resource: String| {
        let req = signed(method, &target, &resource, &[], "", SECRET);
        async move { exchange(s3, &req).await }
    };
    let bucket = format!("/{BUCKET}");
    let slashed = format!("/{BUCKET}/");

    // The service, the bucket, as botocore signs them.
    let (status, _, body) = send("PUT", bucket.clone(), slashed.clone()).await;
    assert_eq!(status, 200, "CreateBucket: {body}");
    let (status, _, body) = send("GET", "/".into(), "/".into()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("<Name>{BUCKET}</Name>")), "{body}");
    // Signed over the raw /bucket: also accepted.
    let (status, _, body) = send("HEAD", bucket.clone(), bucket.clone()).await;
    assert_eq!(status, 200, "HeadBucket over /bucket: {body}");

    // Sub-resources, read.
    for (q, want) in [
        ("location", 200),
        ("versioning", 200),
        ("uploads", 200),
        ("versions", 200),
        ("lifecycle", 404),
        ("list-type=2&prefix=a", 200),
    ] {
        let (status, _, body) = send("GET", format!("{bucket}?{q}"), slashed.clone()).await;
        assert_eq!(status, want, "?{q}: {body}");
    }

    // Sub-resources with bodies: PutBucketVersioning, an upload, DeleteObjects.
    let xml = "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>";
    let req = signed("PUT", &format!("{bucket}?versioning"), &slashed, &[], xml, SECRET);
    let (status, _, body) = exchange(s3, &req).await;
    assert_eq!(status, 200, "PutBucketVersioning: {body}");

    // An object with metadata and a type, then a multipart upload of it.
    let meta = [("content-type", "text/plain"), ("x-amz-meta-color", "blue")];
    let key = format!("{bucket}/dir/obj.txt");
    let req = signed("PUT", &key, &key, &meta, "hello", SECRET);
    let (status, head, body) = exchange(s3, &req).await;
    assert_eq!(status, 200, "PutObject: {head}\n{body}");
    let (status, head, body) = send("GET", key.clone(), key.clone()).await;
    assert_eq!((status, body.as_str()), (200, "hello"), "{head}");
    assert_eq!(header(&head, "x-amz-meta-color"), Some("blue"));
    let (status, _, body) = send("POST", format!("{key}?uploads"), key.clone()).await;
    assert_eq!(status, 200, "CreateMultipartUpload: {body}");
    let id = body.split("<UploadId>").nth(1).and_then(|r| r.split('<').next()).unwrap();
    let (status, _, body) = send("DELETE", format!("{key}?uploadId={id}"), key.clone()).await;
    assert_eq!(status, 204, "AbortMultipartUpload: {body}");

    let delete = "<Delete><Object><Key>dir/obj.txt</Key></Object></Delete>";
    let md5 = STANDARD.encode(Md5::digest(delete.as_bytes()));
    let req = signed(
        "POST",
        &format!("{bucket}?delete"),
        &slashed,
        &[("content-md5", &md5)],
        delete,
        SECRET,
    );
    let (status, _, body) = exchange(s3, &req).await;
    assert_eq!(status, 200, "DeleteObjects: {body}");
    assert!(body.contains("<Deleted>"), "{body}");

    // A wrong secret still fails, in either form, and so does a resource
    // that leaves out a signed sub-resource.
    let req = signed("GET", &format!("{bucket}?versioning"), &slashed, &[], "", "wrong");
    let (status, _, body) = exchange(s3, &req).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");
    let req = signed("GET", "/", "/other/", &[], "", SECRET);
    assert_eq!(exchange(s3, &req).await.0, 403);

    // (The versioned bucket keeps a delete marker: another one goes.)
    let (status, _, body) = send("PUT", "/sigv2-gone".into(), "/sigv2-gone".into()).await;
    assert_eq!(status, 200, "CreateBucket over /bucket: {body}");
    let (status, _, body) = send("DELETE", "/sigv2-gone".into(), "/sigv2-gone/".into()).await;
    assert_eq!(status, 204, "DeleteBucket: {body}");
    stack.stop().await;
}
