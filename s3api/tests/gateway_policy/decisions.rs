//! Bucket policies deciding requests: unsigned `curl`-style reads, another
//! owner's access, conditions on the source address and the listing
//! prefix, and Deny over Allow.

use crate::support::{SECRET, Stack, make_bucket};
use crate::{failure, put, raw, set_policy, tenant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_read_policy_serves_unsigned_gets_only() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "site").await;
    put(&s3, "site", "index.html", b"<h1>hi</h1>").await;
    assert_eq!(raw(stack.s3, "GET /site/index.html", &[], b"").await.0, 403);

    set_policy(
        &s3,
        "site",
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}"#,
    )
    .await;
    let (status, body) = raw(stack.s3, "GET /site/index.html", &[], b"").await;
    assert_eq!((status, body.as_str()), (200, "<h1>hi</h1>"));
    assert_eq!(raw(stack.s3, "HEAD /site/index.html", &[], b"").await.0, 200);
    // Nothing else is granted.
    assert_eq!(raw(stack.s3, "GET /site?list-type=2", &[], b"").await.0, 403);
    assert_eq!(raw(stack.s3, "PUT /site/evil", &[], b"x").await.0, 403);
    assert_eq!(raw(stack.s3, "DELETE /site/index.html", &[], b"").await.0, 403);
    assert_eq!(raw(stack.s3, "GET /site?policy", &[], b"").await.0, 403);
    // Another owner reads too (Principal "*"), and writes nothing.
    let alice = tenant(&stack, "alice", "FDFSALICEKEY00000001").await;
    let got = alice.get_object().bucket("site").key("index.html").send().await.unwrap();
    assert_eq!(crate::support::body(got).await, b"<h1>hi</h1>");
    let e = alice.delete_object().bucket("site").key("index.html").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");

    // Deleting the policy takes the grant away.
    s3.delete_bucket_policy().bucket("site").send().await.unwrap();
    assert_eq!(raw(stack.s3, "GET /site/index.html", &[], b"").await.0, 403);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_ip_deny_blocks_even_the_owner_who_keeps_the_policy_calls() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "fenced").await;
    put(&s3, "fenced", "k", b"data").await;
    // Our client is on 127.0.0.1: outside 10.0.0.0/8.
    set_policy(
        &s3,
        "fenced",
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::fenced","arn:aws:s3:::fenced/*"],
            "Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#,
    )
    .await;
    let e = s3.get_object().bucket("fenced").key("k").send().await.unwrap_err();
    assert_eq!(failure(&e).0, 403);
    let e = s3.list_objects_v2().bucket("fenced").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    // The owner can still read and replace the policy.
    s3.get_bucket_policy().bucket("fenced").send().await.unwrap();
    set_policy(
        &s3,
        "fenced",
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::fenced/*",
            "Condition":{"NotIpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}"#,
    )
    .await;
    let got = s3.get_object().bucket("fenced").key("k").send().await.unwrap();
    assert_eq!(crate::support::body(got).await, b"data");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_owner_lists_only_the_prefix_granted() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "shared").await;
    put(&s3, "shared", "pub/a", b"a").await;
    put(&s3, "shared", "priv/b", b"b").await;
    let alice = tenant(&stack, "alice", "FDFSALICEKEY00000001").await;
    set_policy(
        &s3,
        "shared",
        r#"{"Sid":"ListPub","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::alice:root"},"Action":"s3:ListBucket",
            "Resource":"arn:aws:s3:::shared","Condition":{"StringEquals":{"s3:prefix":"pub/"}}},
           {"Sid":"ReadPub","Effect":"Allow","Principal":{"AWS":["alice"]},"Action":["s3:GetObject"],
            "Resource":"arn:aws:s3:::shared/pub/*"}"#,
    )
    .await;
    let listed = alice.list_objects_v2().bucket("shared").prefix("pub/").send().await.unwrap();
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["pub/a"]);
    let e = alice.list_objects_v2().bucket("shared").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    let e = alice.list_objects_v2().bucket("shared").prefix("priv/").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    alice.get_object().bucket("shared").key("pub/a").send().await.unwrap();
    let e = alice.get_object().bucket("shared").key("priv/b").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    // Named principals are not anonymous requests.
    assert_eq!(raw(stack.s3, "GET /shared/pub/a", &[], b"").await.0, 403);
    // Another tenant gets nothing.
    let bob = tenant(&stack, "bob", "FDFSBOBKEY0000000001").await;
    let e = bob.get_object().bucket("shared").key("pub/a").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deny_beats_allow() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "mixed").await;
    put(&s3, "mixed", "open/x", b"x").await;
    put(&s3, "mixed", "secret/y", b"y").await;
    set_policy(
        &s3,
        "mixed",
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::mixed/secret/*"},
           {"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::mixed/*"}"#,
    )
    .await;
    assert_eq!(raw(stack.s3, "GET /mixed/open/x", &[], b"").await.0, 200);
    assert_eq!(raw(stack.s3, "GET /mixed/secret/y", &[], b"").await.0, 403);
    // The Deny names every principal: the owner too.
    let e = s3.get_object().bucket("mixed").key("secret/y").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    s3.get_object().bucket("mixed").key("open/x").send().await.unwrap();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_grants_unsigned_uploads_under_a_prefix() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "drop").await;
    set_policy(
        &s3,
        "drop",
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::drop/inbox/*",
            "Condition":{"StringEqualsIfExists":{"s3:x-amz-acl":"bucket-owner-full-control"}}}"#,
    )
    .await;
    let (status, body) = raw(stack.s3, "PUT /drop/inbox/a.txt", &[], b"hello").await;
    assert_eq!(status, 200, "{body}");
    let got = s3.get_object().bucket("drop").key("inbox/a.txt").send().await.unwrap();
    assert_eq!(crate::support::body(got).await, b"hello");
    // Outside the prefix, or with another ACL header: refused.
    assert_eq!(raw(stack.s3, "PUT /drop/other.txt", &[], b"x").await.0, 403);
    let acl = [("x-amz-acl", "public-read")];
    assert_eq!(raw(stack.s3, "PUT /drop/inbox/b.txt", &acl, b"x").await.0, 403);
    // Reading back is not granted.
    assert_eq!(raw(stack.s3, "GET /drop/inbox/a.txt", &[], b"").await.0, 403);
    stack.stop().await;
}

/// `s3:ExistingObjectTag/<key>` tests the addressed object's own tags: an
/// unsigned read is allowed for the object tagged `public=yes` only, and
/// follows a later PutObjectTagging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_object_tag_condition_reads_the_objects_tags() {
    use aws_sdk_s3::types::{Tag, Tagging};
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "tagged").await;
    let body = aws_sdk_s3::primitives::ByteStream::from_static(b"open");
    s3.put_object()
        .bucket("tagged")
        .key("open")
        .tagging("public=yes")
        .body(body)
        .send()
        .await
        .unwrap();
    put(&s3, "tagged", "closed", b"closed").await;
    set_policy(
        &s3,
        "tagged",
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::tagged/*",
            "Condition":{"StringEquals":{"s3:ExistingObjectTag/public":"yes"}}}"#,
    )
    .await;
    let (status, body) = raw(stack.s3, "GET /tagged/open", &[], b"").await;
    assert_eq!((status, body.as_str()), (200, "open"));
    assert_eq!(raw(stack.s3, "GET /tagged/closed", &[], b"").await.0, 403);
    // Tagging the other object opens it too.
    let tag = Tag::builder().key("public").value("yes").build().unwrap();
    let tagging = Tagging::builder().tag_set(tag).build().unwrap();
    s3.put_object_tagging().bucket("tagged").key("closed").tagging(tagging).send().await.unwrap();
    assert_eq!(raw(stack.s3, "GET /tagged/closed", &[], b"").await.0, 200);
    stack.stop().await;
}

/// A Range S3 ignores sends the request down the ignored-Range route,
/// which decides access as the hook does: a public object is served whole
/// to an unsigned reader and to another owner, a private one is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignored_range_is_decided_like_any_read() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "ranged").await;
    put(&s3, "ranged", "pub/a", b"0123456789").await;
    put(&s3, "ranged", "private", b"secret").await;
    let bad = [("Range", "bytes=5-2")];
    assert_eq!(raw(stack.s3, "GET /ranged/pub/a", &bad, b"").await.0, 403);
    set_policy(
        &s3,
        "ranged",
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ranged/pub/*"}"#,
    )
    .await;
    let (status, body) = raw(stack.s3, "GET /ranged/pub/a", &bad, b"").await;
    assert_eq!((status, body.as_str()), (200, "0123456789"));
    assert_eq!(raw(stack.s3, "GET /ranged/private", &bad, b"").await.0, 403);
    let alice = tenant(&stack, "alice", "FDFSALICEKEY00000001").await;
    let got = alice.get_object().bucket("ranged").key("pub/a").range("bytes=5-2").send().await;
    assert_eq!(crate::support::body(got.unwrap()).await, b"0123456789");
    let e = alice.get_object().bucket("ranged").key("private").range("bytes=5-2").send().await;
    assert_eq!(failure(&e.unwrap_err()).1, "AccessDenied");
    // Virtual-hosted too: the route finds the bucket in the Host.
    let vhost = |key: &str| {
        let host = format!("ranged.localhost:{}", stack.s3.port());
        format!(
            "GET /{key} HTTP/1.1\r\nHost: {host}\r\nRange: bytes=5-2\r\nConnection: close\r\n\r\n"
        )
    };
    for (key, want) in [("pub/a", 200), ("private", 403)] {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut conn = tokio::net::TcpStream::connect(stack.s3).await.unwrap();
        conn.write_all(vhost(key).as_bytes()).await.unwrap();
        let mut reply = String::new();
        conn.read_to_string(&mut reply).await.unwrap();
        let status: u16 = reply.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_eq!(status, want, "{key}: {reply}");
    }
    // The owner still reads it, as before.
    let got = s3.get_object().bucket("ranged").key("private").range("bytes=5-2").send().await;
    assert_eq!(crate::support::body(got.unwrap()).await, b"secret");
    stack.stop().await;
}
