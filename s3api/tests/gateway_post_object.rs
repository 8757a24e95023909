//! POST object (browser form uploads) over a plain socket, with the form
//! and its policy built and signed here (SigV4 and SigV2; the SDK has no
//! presigned POST): the file lands under the key with `${filename}`, with
//! the form's Content-Type and metadata; the three success replies (204,
//! 201 PostResponse, 303 redirect); every policy violation refused with
//! AWS's code and nothing stored; anonymous and other owners' forms
//! only where the bucket's ACL grants writes; and a 20 MiB file that the gateway is
//! already uploading before the client has sent all of it (streamed, not
//! gathered first).

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use fdfs_s3api::crypto::MasterKey;
use fdfs_s3api::index::AccessKey;
use md5::Digest as _;
use support::sigv4::{REGION, amz_dates, exchange, header, hex, hmac, now, signing_key};
use support::{KEY_ID, SECRET, Stack, body, make_bucket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BUCKET: &str = "forms";
const BOUNDARY: &str = "----fdfsFormBoundaryX7qL2";

/// `YYYY-MM-DDTHH:MM:SSZ` of unix seconds `t`.
fn iso(t: u64) -> String {
    let (_, a) = amz_dates(t);
    format!(
        "{}-{}-{}T{}:{}:{}.000Z",
        &a[0..4],
        &a[4..6],
        &a[6..8],
        &a[9..11],
        &a[11..13],
        &a[13..15]
    )
}

/// A signed SigV4 form: the policy of `conditions` (JSON array items)
/// plus the credential conditions, valid `ttl` seconds (negative:
/// expired), and its signature fields, then `fields`.
fn signed_fields(conditions: &[&str], ttl: i64, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    signed_fields_as(KEY_ID, SECRET, conditions, ttl, fields)
}

/// [`signed_fields`] signed by key `id` with `secret`.
fn signed_fields_as(
    id: &str,
    secret: &str,
    conditions: &[&str],
    ttl: i64,
    fields: &[(&str, &str)],
) -> Vec<(String, String)> {
    let t = now();
    let (day, amz) = amz_dates(t);
    let credential = format!("{id}/{day}/{REGION}/s3/aws4_request");
    let expiration = iso(t.saturating_add_signed(ttl));
    let mut conds: Vec<String> = conditions.iter().map(|c| (*c).to_string()).collect();
    conds.push(format!("{{\"x-amz-credential\": \"{credential}\"}}"));
    conds.push("{\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"}".into());
    conds.push(format!("{{\"x-amz-date\": \"{amz}\"}}"));
    let policy =
        format!("{{\"expiration\": \"{expiration}\", \"conditions\": [{}]}}", conds.join(", "));
    let policy = base64::engine::general_purpose::STANDARD.encode(policy);
    let key = if secret == SECRET { signing_key(&day) } else { signing_key_of(secret, &day) };
    let signature = hex(&hmac(&key, policy.as_bytes()));
    let mut out: Vec<(String, String)> =
        fields.iter().map(|(n, v)| ((*n).to_string(), (*v).to_string())).collect();
    out.push(("x-amz-credential".into(), credential));
    out.push(("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()));
    out.push(("x-amz-date".into(), amz));
    out.push(("policy".into(), policy));
    out.push(("x-amz-signature".into(), signature));
    out
}

fn signing_key_of(secret: &str, day: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    let k = hmac(&k, REGION.as_bytes());
    let k = hmac(&k, b"s3");
    hmac(&k, b"aws4_request")
}

/// The multipart body of `fields` then the file.
fn form(fields: &[(String, String)], filename: &str, file: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, v) in fields {
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    out
}

fn head(addr: SocketAddr, len: usize) -> String {
    format!(
        "POST /{BUCKET} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; \
         boundary={BOUNDARY}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    )
}

/// POSTs `body` to `path` on `host`, with `extra` header lines.
async fn post_to(
    addr: SocketAddr,
    host: &str,
    path: &str,
    extra: &str,
    body: &[u8],
) -> (u16, String, String) {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; \
         boundary={BOUNDARY}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    read_reply(conn).await
}

/// POSTs `body` to the bucket: status, raw head, body.
async fn post(addr: SocketAddr, body: &[u8]) -> (u16, String, String) {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(head(addr, body.len()).as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    read_reply(conn).await
}

async fn read_reply(mut conn: tokio::net::TcpStream) -> (u16, String, String) {
    let mut reply = Vec::new();
    conn.read_to_end(&mut reply).await.unwrap();
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let (h, b) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let status = h.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, h.to_string(), b.to_string())
}

fn etag(data: &[u8]) -> String {
    format!("\"{}\"", hex(&md5::Md5::digest(data)))
}

#[tokio::test]
async fn signed_forms_store_and_reply_as_aws() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let conditions = [
        "{\"bucket\": \"forms\"}",
        "[\"starts-with\", \"$key\", \"uploads/\"]",
        "[\"starts-with\", \"$Content-Type\", \"image/\"]",
        "{\"x-amz-meta-owner\": \"alice\"}",
        "[\"content-length-range\", 1, 1048576]",
        "[\"starts-with\", \"$success_action_status\", \"\"]",
    ];

    // 201 with a PostResponse; ${filename} from the file part.
    let file = b"\x89PNG fake image \r\n-- with dashes";
    let fields = signed_fields(
        &conditions,
        300,
        &[
            ("key", "uploads/${filename}"),
            ("Content-Type", "image/png"),
            ("x-amz-meta-owner", "alice"),
            ("success_action_status", "201"),
        ],
    );
    let (status, head, reply) = post(stack.s3, &form(&fields, "cat.png", file)).await;
    assert_eq!(status, 201, "{head}\n{reply}");
    assert!(reply.contains("<Bucket>forms</Bucket><Key>uploads/cat.png</Key>"), "{reply}");
    assert!(
        reply.contains(&format!("<ETag>{}</ETag>", etag(file).replace('"', "&quot;"))),
        "{reply}"
    );
    assert_eq!(header(&head, "etag"), Some(etag(file).as_str()));
    let got = s3.get_object().bucket(BUCKET).key("uploads/cat.png").send().await.unwrap();
    assert_eq!(got.content_type(), Some("image/png"));
    assert_eq!(got.metadata().unwrap().get("owner").map(String::as_str), Some("alice"));
    assert_eq!(body(got).await, file);

    // Default: 204 with ETag and Location.
    let fields = signed_fields(
        &conditions,
        300,
        &[("key", "uploads/b.png"), ("Content-Type", "image/gif"), ("x-amz-meta-owner", "alice")],
    );
    let (status, head, _) = post(stack.s3, &form(&fields, "x", b"second")).await;
    assert_eq!(status, 204, "{head}");
    assert_eq!(header(&head, "etag"), Some(etag(b"second").as_str()));
    assert!(header(&head, "location").unwrap().ends_with("/forms/uploads/b.png"), "{head}");

    // success_action_redirect: 303 to it with bucket, key and etag.
    let mut conds = conditions.to_vec();
    conds.push("[\"starts-with\", \"$success_action_redirect\", \"https://app.example/\"]");
    let fields = signed_fields(
        &conds,
        300,
        &[
            ("key", "uploads/c.png"),
            ("Content-Type", "image/png"),
            ("x-amz-meta-owner", "alice"),
            ("success_action_redirect", "https://app.example/done?x=1"),
        ],
    );
    let (status, head, _) = post(stack.s3, &form(&fields, "x", b"third")).await;
    assert_eq!(status, 303, "{head}");
    assert_eq!(
        header(&head, "location"),
        Some(
            "https://app.example/done?x=1&bucket=forms&key=uploads%2Fc.png&etag=%22dd5c8bf51558ffcbe5007071908e9524%22"
        )
    );
    let got = s3.get_object().bucket(BUCKET).key("uploads/c.png").send().await.unwrap();
    assert_eq!(body(got).await, b"third");

    // Virtual-hosted style, from a page the bucket's CORS rules allow:
    // the reply carries the Access-Control-* headers the page needs.
    let rule = aws_sdk_s3::types::CorsRule::builder()
        .allowed_origins("https://app.example")
        .allowed_methods("POST")
        .expose_headers("ETag")
        .build()
        .unwrap();
    let cors = aws_sdk_s3::types::CorsConfiguration::builder().cors_rules(rule).build().unwrap();
    s3.put_bucket_cors().bucket(BUCKET).cors_configuration(cors).send().await.unwrap();
    let fields = signed_fields(
        &conditions,
        300,
        &[("key", "uploads/d.png"), ("Content-Type", "image/png"), ("x-amz-meta-owner", "alice")],
    );
    let vhost = format!("{BUCKET}.localhost:{}", stack.s3.port());
    let origin = "Origin: https://app.example\r\n";
    let (status, head, reply) =
        post_to(stack.s3, &vhost, "/", origin, &form(&fields, "x", b"fourth")).await;
    assert_eq!(status, 204, "{head}\n{reply}");
    assert_eq!(header(&head, "access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(header(&head, "access-control-expose-headers"), Some("ETag"));
    let port = stack.s3.port();
    let location = header(&head, "location").unwrap();
    assert!(location.ends_with(&format!("localhost:{port}/uploads/d.png")), "{head}");
    let got = s3.get_object().bucket(BUCKET).key("uploads/d.png").send().await.unwrap();
    assert_eq!(body(got).await, b"fourth");

    // A `tagging` field (AWS's Tagging XML) tags the object.
    let mut conds = conditions.to_vec();
    conds.push("[\"starts-with\", \"$tagging\", \"\"]");
    let tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>web site</Value></Tag>\
                   </TagSet></Tagging>";
    let fields = signed_fields(
        &conds,
        300,
        &[
            ("key", "uploads/e.png"),
            ("Content-Type", "image/png"),
            ("x-amz-meta-owner", "alice"),
            ("tagging", tagging),
        ],
    );
    let (status, head, _) = post(stack.s3, &form(&fields, "x", b"fifth")).await;
    assert_eq!(status, 204, "{head}");
    let tags = s3.get_object_tagging().bucket(BUCKET).key("uploads/e.png").send().await.unwrap();
    let tags: Vec<_> = tags.tag_set().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [("team", "web site")]);
    stack.stop().await;
}

#[tokio::test]
async fn policy_violations_are_refused_and_store_nothing() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let conditions = [
        "{\"bucket\": \"forms\"}",
        "[\"starts-with\", \"$key\", \"in/\"]",
        "[\"content-length-range\", 2, 10]",
    ];
    let ok = |key: &'static str| signed_fields(&conditions, 300, &[("key", key)]);

    let mut cases: Vec<(Vec<u8>, u16, &str, &str)> = vec![
        (form(&ok("out/a"), "f", b"abc"), 403, "AccessDenied", "Policy Condition failed"),
        (form(&ok("in/a"), "f", b"a"), 400, "EntityTooSmall", ""),
        (form(&ok("in/a"), "f", b"0123456789a"), 400, "EntityTooLarge", ""),
        (
            form(&signed_fields(&conditions, -10, &[("key", "in/a")]), "f", b"abc"),
            403,
            "AccessDenied",
            "Policy expired",
        ),
        (
            form(
                &signed_fields(&conditions, 300, &[("key", "in/a"), ("x-amz-meta-a", "1")]),
                "f",
                b"abc",
            ),
            403,
            "AccessDenied",
            "Extra input fields: x-amz-meta-a",
        ),
    ];
    // A tampered signature, an unknown key, no file, no signature at all.
    let mut tampered = ok("in/a");
    tampered.last_mut().unwrap().1 = "0".repeat(64);
    cases.push((form(&tampered, "f", b"abc"), 403, "SignatureDoesNotMatch", ""));
    let mut unknown = ok("in/a");
    for (n, v) in &mut unknown {
        if n == "x-amz-credential" {
            *v = v.replace(KEY_ID, "NOSUCHKEY0000000000X");
        }
    }
    cases.push((form(&unknown, "f", b"abc"), 403, "InvalidAccessKeyId", ""));
    let mut no_file = Vec::new();
    for (n, v) in ok("in/a") {
        no_file.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    no_file.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    cases.push((no_file, 400, "InvalidArgument", "file"));
    let anonymous = vec![("key".to_string(), "in/a".to_string())];
    cases.push((form(&anonymous, "f", b"abc"), 403, "AccessDenied", ""));
    cases.push((b"not a form".to_vec(), 400, "MalformedPOSTRequest", ""));

    for (body, status, code, message) in cases {
        let (got, head, reply) = post(stack.s3, &body).await;
        assert_eq!(got, status, "{code}: {head}\n{reply}");
        assert!(reply.contains(&format!("<Code>{code}</Code>")), "{code}: {reply}");
        assert!(reply.contains(message), "{message}: {reply}");
    }
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0));

    // A form's Content-MD5 is verified as a PUT's: a wrong one stores
    // nothing.
    let md5_conditions = [
        "{\"bucket\": \"forms\"}",
        "[\"starts-with\", \"$key\", \"in/\"]",
        "[\"starts-with\", \"$Content-MD5\", \"\"]",
    ];
    let wrong = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"other"));
    let fields = signed_fields(&md5_conditions, 300, &[("key", "in/md5"), ("Content-MD5", &wrong)]);
    let (status, _, reply) = post(stack.s3, &form(&fields, "f", b"abc")).await;
    assert_eq!(status, 400, "{reply}");
    assert!(reply.contains("<Code>BadDigest</Code>"), "{reply}");
    let right = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(b"abc"));
    let fields = signed_fields(&md5_conditions, 300, &[("key", "in/md5"), ("Content-MD5", &right)]);
    let (status, _, reply) = post(stack.s3, &form(&fields, "f", b"abc")).await;
    assert_eq!(status, 204, "{reply}");
    s3.delete_object().bucket(BUCKET).key("in/md5").send().await.unwrap();

    // SigV2: AWSAccessKeyId + base64 HMAC-SHA1 of the policy.
    let policy = format!(
        "{{\"expiration\": \"{}\", \"conditions\": [{{\"bucket\": \"forms\"}}, [\"eq\", \"$key\", \"v2.txt\"], \
         [\"starts-with\", \"$AWSAccessKeyId\", \"\"]]}}",
        iso(now() + 300)
    );
    let policy = base64::engine::general_purpose::STANDARD.encode(policy);
    let mut mac = <hmac::Hmac<sha1::Sha1> as hmac::Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
    hmac::Mac::update(&mut mac, policy.as_bytes());
    let sig =
        base64::engine::general_purpose::STANDARD.encode(hmac::Mac::finalize(mac).into_bytes());
    let v2: Vec<(String, String)> =
        [("key", "v2.txt"), ("AWSAccessKeyId", KEY_ID), ("policy", &policy), ("signature", &sig)]
            .iter()
            .map(|(n, v)| ((*n).to_string(), (*v).to_string()))
            .collect();
    let (status, head, reply) = post(stack.s3, &form(&v2, "f", b"v2 body")).await;
    assert_eq!(status, 204, "{head}\n{reply}");
    let got = s3.get_object().bucket(BUCKET).key("v2.txt").send().await.unwrap();
    assert_eq!(body(got).await, b"v2 body");
    stack.stop().await;
}

#[tokio::test]
async fn a_20_mib_file_streams_through() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let file: Vec<u8> =
        (0..20 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let fields = signed_fields(
        &["{\"bucket\": \"forms\"}", "{\"key\": \"big.bin\"}"],
        300,
        &[("key", "big.bin")],
    );
    let data = form(&fields, "big.bin", &file);
    let mut conn = tokio::net::TcpStream::connect(stack.s3).await.unwrap();
    conn.write_all(head(stack.s3, data.len()).as_bytes()).await.unwrap();
    // Send all but the last 2 MiB; the upload must already be under way
    // (its intent recorded), which a gateway gathering the file first
    // would not have begun.
    let held = data.len() - 2 * 1024 * 1024;
    conn.write_all(&data[..held]).await.unwrap();
    let mut started = false;
    for _ in 0..100 {
        let intents = stack.index.read(|ix| ix.stale_intents(i64::MAX, 10)).await.unwrap();
        if intents.iter().any(|i| i.key == "big.bin") {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started, "the upload did not start before the body was complete");
    conn.write_all(&data[held..]).await.unwrap();
    let (status, head, reply) = read_reply(conn).await;
    assert_eq!(status, 204, "{head}\n{reply}");
    assert_eq!(header(&head, "etag"), Some(etag(&file).as_str()));
    let got = s3.get_object().bucket(BUCKET).key("big.bin").send().await.unwrap();
    assert_eq!(got.content_length(), Some(file.len() as i64));
    assert!(body(got).await == file);
    stack.stop().await;
}

#[tokio::test]
async fn forms_follow_the_access_decision() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let bob = AccessKey {
        access_key_id: "BOBKEY00000000000001".into(),
        secret: "bob-secret-0123456789abcdefghij".into(),
        owner: "bob".into(),
        admin: false,
        created_ms: 0,
    };
    let master = MasterKey::for_data_dir(&stack.dir.path().join("gateway")).unwrap();
    let b = bob.clone();
    stack.index.write(move |ix| ix.create_access_key(&b, &master)).await.unwrap();
    let anonymous = vec![("key".to_string(), "anon.txt".to_string())];
    let conditions = ["{\"bucket\": \"forms\"}", "[\"starts-with\", \"$key\", \"\"]"];
    let by_bob = || {
        signed_fields_as(&bob.access_key_id, &bob.secret, &conditions, 300, &[("key", "bob.txt")])
    };

    // The form's `acl` is the object's canned ACL: public-read answers
    // an unsigned GET, the default (private) does not.
    let with_acl = signed_fields(
        &[
            "{\"bucket\": \"forms\"}",
            "[\"starts-with\", \"$key\", \"\"]",
            "{\"acl\": \"public-read\"}",
        ],
        300,
        &[("key", "public.txt"), ("acl", "public-read")],
    );
    let (status, _, reply) = post(stack.s3, &form(&with_acl, "f", b"for all")).await;
    assert_eq!(status, 204, "{reply}");
    let private = signed_fields(&conditions, 300, &[("key", "private.txt")]);
    let (status, _, reply) = post(stack.s3, &form(&private, "f", b"for me")).await;
    assert_eq!(status, 204, "{reply}");
    let get = |key: &str| {
        format!("GET /{BUCKET}/{key} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", stack.s3)
    };
    let (status, _, reply) = exchange(stack.s3, &get("public.txt")).await;
    assert_eq!((status, reply.as_str()), (200, "for all"));
    assert_eq!(exchange(stack.s3, &get("private.txt")).await.0, 403);

    // A private bucket: neither an anonymous form nor another owner's.
    for form_fields in [anonymous.clone(), by_bob()] {
        let (status, _, reply) = post(stack.s3, &form(&form_fields, "f", b"x")).await;
        assert_eq!(status, 403, "{reply}");
        assert!(reply.contains("<Code>AccessDenied</Code>"), "{reply}");
    }

    // Public writes: both are taken.
    let acl = format!("owner\nFULL_CONTROL id {}\nWRITE group AllUsers", canonical_id("owner"));
    stack.index.write(move |ix| ix.set_bucket_acl(BUCKET, Some(&acl))).await.unwrap();
    let (status, _, reply) = post(stack.s3, &form(&anonymous, "f", b"from nobody")).await;
    assert_eq!(status, 204, "{reply}");
    let (status, _, reply) = post(stack.s3, &form(&by_bob(), "f", b"from bob")).await;
    assert_eq!(status, 204, "{reply}");
    let got = s3.get_object().bucket(BUCKET).key("anon.txt").send().await.unwrap();
    assert_eq!(body(got).await, b"from nobody");
    let got = s3.get_object().bucket(BUCKET).key("bob.txt").send().await.unwrap();
    assert_eq!(body(got).await, b"from bob");
    stack.stop().await;
}

/// The canonical ID the gateway gives owner `name` (see `access::canonical`).
fn canonical_id(name: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::new().chain_update(b"fdfs-owner\0").chain_update(name).finalize();
    hex(&d)
}

#[tokio::test]
async fn a_connection_carries_forms_one_after_another() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let conditions = ["{\"bucket\": \"forms\"}", "[\"starts-with\", \"$key\", \"\"]"];
    let mut conn = tokio::net::TcpStream::connect(stack.s3).await.unwrap();
    for (i, last) in [(1, false), (2, false), (3, true)] {
        let key = format!("k{i}");
        let data =
            form(&signed_fields(&conditions, 300, &[("key", &key)]), "f", b"same connection");
        let close = if last { "Connection: close\r\n" } else { "" };
        let head = format!(
            "POST /{BUCKET} HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; \
             boundary={BOUNDARY}\r\nContent-Length: {}\r\n{close}\r\n",
            stack.s3,
            data.len()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        conn.write_all(&data).await.unwrap();
        // A 204 has no body: its head is the whole reply.
        let mut reply = Vec::new();
        while !reply.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            assert_eq!(conn.read(&mut byte).await.unwrap(), 1, "closed after {i}");
            reply.push(byte[0]);
        }
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 204"), "{i}: {reply}");
    }
    for i in 1..=3 {
        let got = s3.get_object().bucket(BUCKET).key(format!("k{i}")).send().await.unwrap();
        assert_eq!(body(got).await, b"same connection");
    }
    stack.stop().await;
}
