//! CORS as browsers meet it: the configuration through aws-sdk-s3
//! (PutBucketCors validated as AWS, GetBucketCors 404
//! NoSuchCORSConfiguration without one, DeleteBucketCors), preflights
//! (`OPTIONS`, never signed) over a plain socket answered from the first
//! matching rule or refused 403, and the `Access-Control-*` headers on
//! actual requests with an `Origin` — signed, presigned and failing ones,
//! path-style and virtual-hosted-style.

mod support;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
use support::sigv4::{amz_dates, exchange, header, now, presigned_query};
use support::{SECRET, Stack, make_bucket};

const BUCKET: &str = "web";

fn rule(origins: &[&str], methods: &[&str]) -> aws_sdk_s3::types::builders::CorsRuleBuilder {
    let mut b = CorsRule::builder();
    for o in origins {
        b = b.allowed_origins(*o);
    }
    for m in methods {
        b = b.allowed_methods(*m);
    }
    b
}

fn config(rules: Vec<CorsRule>) -> CorsConfiguration {
    CorsConfiguration::builder().set_cors_rules(Some(rules)).build().unwrap()
}

/// The configuration the tests below run against: the app may PUT and
/// POST with some headers, anyone may GET and HEAD.
fn app_rules() -> CorsConfiguration {
    config(vec![
        rule(&["https://app.example", "https://*.app.example"], &["PUT", "POST", "DELETE"])
            .id("app")
            .allowed_headers("Content-Type")
            .allowed_headers("x-amz-*")
            .expose_headers("ETag")
            .expose_headers("x-amz-version-id")
            .max_age_seconds(600)
            .build()
            .unwrap(),
        rule(&["*"], &["GET", "HEAD"]).build().unwrap(),
    ])
}

fn options(host: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let lines: String = headers.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    format!("OPTIONS {path} HTTP/1.1\r\nHost: {host}\r\n{lines}Connection: close\r\n\r\n")
}

#[tokio::test]
async fn configuration_round_trip_and_validation() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;

    let err = s3.get_bucket_cors().bucket(BUCKET).send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchCORSConfiguration"));

    s3.put_bucket_cors().bucket(BUCKET).cors_configuration(app_rules()).send().await.unwrap();
    let got = s3.get_bucket_cors().bucket(BUCKET).send().await.unwrap();
    let rules = got.cors_rules();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].id(), Some("app"));
    assert_eq!(rules[0].allowed_origins(), ["https://app.example", "https://*.app.example"]);
    assert_eq!(rules[0].allowed_methods(), ["PUT", "POST", "DELETE"]);
    assert_eq!(rules[0].allowed_headers(), ["Content-Type", "x-amz-*"]);
    assert_eq!(rules[0].expose_headers(), ["ETag", "x-amz-version-id"]);
    assert_eq!(rules[0].max_age_seconds(), Some(600));
    assert_eq!(rules[1].allowed_origins(), ["*"]);
    assert!(rules[1].allowed_headers().is_empty());

    // Refused as AWS refuses them; the stored configuration stays.
    let refused = [
        (config(vec![rule(&["*"], &["PATCH"]).build().unwrap()]), "InvalidRequest"),
        (config(vec![rule(&["http://*.*.example"], &["GET"]).build().unwrap()]), "InvalidRequest"),
        (
            config(vec![rule(&["*"], &["GET"]).allowed_headers("x-*-*").build().unwrap()]),
            "InvalidRequest",
        ),
        (config(vec![rule(&["*"], &["GET"]).build().unwrap(); 101]), "MalformedXML"),
    ];
    for (bad, code) in refused {
        let err =
            s3.put_bucket_cors().bucket(BUCKET).cors_configuration(bad).send().await.unwrap_err();
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
        let e = err.into_service_error();
        assert_eq!(e.meta().code(), Some(code), "{e:?}");
    }
    s3.put_bucket_cors()
        .bucket(BUCKET)
        .cors_configuration(config(vec![rule(&["*"], &["GET"]).build().unwrap(); 100]))
        .send()
        .await
        .unwrap();
    assert_eq!(s3.get_bucket_cors().bucket(BUCKET).send().await.unwrap().cors_rules().len(), 100);

    s3.delete_bucket_cors().bucket(BUCKET).send().await.unwrap();
    s3.delete_bucket_cors().bucket(BUCKET).send().await.unwrap();
    let e = s3.get_bucket_cors().bucket(BUCKET).send().await.unwrap_err().into_service_error();
    assert_eq!(e.meta().code(), Some("NoSuchCORSConfiguration"));
    let e = s3.get_bucket_cors().bucket("nobucket").send().await.unwrap_err().into_service_error();
    assert_eq!(e.meta().code(), Some("NoSuchBucket"));
    stack.stop().await;
}

#[tokio::test]
async fn preflights_answer_from_the_rules() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    let host = stack.s3.to_string();
    let path = format!("/{BUCKET}/photos/a.jpg");

    // No configuration yet: refused.
    let ask = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "PUT")];
    let (status, _, body) = exchange(stack.s3, &options(&host, &path, &ask)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>AccessForbidden</Code>"), "{body}");

    s3.put_bucket_cors().bucket(BUCKET).cors_configuration(app_rules()).send().await.unwrap();

    // The first rule: the origin echoed, its methods, the asked headers.
    let asked = [
        ("Origin", "https://app.example"),
        ("Access-Control-Request-Method", "PUT"),
        ("Access-Control-Request-Headers", "content-type, X-Amz-Date"),
    ];
    let (status, head, body) = exchange(stack.s3, &options(&host, &path, &asked)).await;
    assert_eq!(status, 200, "{head}\n{body}");
    assert_eq!(header(&head, "access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(header(&head, "access-control-allow-methods"), Some("PUT, POST, DELETE"));
    assert_eq!(header(&head, "access-control-allow-headers"), Some("content-type, x-amz-date"));
    assert_eq!(header(&head, "access-control-expose-headers"), Some("ETag, x-amz-version-id"));
    assert_eq!(header(&head, "access-control-max-age"), Some("600"));
    assert_eq!(header(&head, "access-control-allow-credentials"), Some("true"));
    assert!(header(&head, "vary").unwrap().starts_with("Origin"), "{head}");
    assert!(header(&head, "x-amz-request-id").is_some());

    // A wildcard origin of the first rule, on the bucket itself.
    let sub = [("Origin", "https://eu.app.example"), ("Access-Control-Request-Method", "POST")];
    let (status, head, _) = exchange(stack.s3, &options(&host, &format!("/{BUCKET}"), &sub)).await;
    assert_eq!(status, 200);
    assert_eq!(header(&head, "access-control-allow-origin"), Some("https://eu.app.example"));

    // Another origin falls to the second rule: GET, `*`, no credentials.
    let other = [("Origin", "https://else.example"), ("Access-Control-Request-Method", "GET")];
    let (status, head, _) = exchange(stack.s3, &options(&host, &path, &other)).await;
    assert_eq!(status, 200);
    assert_eq!(header(&head, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&head, "access-control-allow-methods"), Some("GET, HEAD"));
    assert_eq!(header(&head, "access-control-allow-credentials"), None);
    assert_eq!(header(&head, "access-control-max-age"), None);

    // Refusals: a method, a header or an origin no rule allows.
    let refusals: [&[(&str, &str)]; 3] = [
        &[("Origin", "https://else.example"), ("Access-Control-Request-Method", "PUT")],
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "PUT"),
            ("Access-Control-Request-Headers", "authorization"),
        ],
        &[("Origin", "https://else.example"), ("Access-Control-Request-Method", "DELETE")],
    ];
    for ask in refusals {
        let (status, head, body) = exchange(stack.s3, &options(&host, &path, ask)).await;
        assert_eq!(status, 403, "{ask:?}: {body}");
        assert!(body.contains("<Code>AccessForbidden</Code>"), "{body}");
        assert!(body.contains("CORSResponse: This CORS request is not allowed."), "{body}");
        assert_eq!(header(&head, "access-control-allow-origin"), None);
    }

    // Missing Origin or request method: 400.
    let (status, _, body) =
        exchange(stack.s3, &options(&host, &path, &[("Access-Control-Request-Method", "GET")]))
            .await;
    assert_eq!(status, 400, "{body}");
    let (status, _, _) =
        exchange(stack.s3, &options(&host, &path, &[("Origin", "https://app.example")])).await;
    assert_eq!(status, 400);

    // A missing bucket is refused like a bucket without rules.
    let (status, _, _) = exchange(stack.s3, &options(&host, "/nobucket/k", &ask)).await;
    assert_eq!(status, 403);

    // Virtual-hosted style (`BUCKET.localhost`).
    let vhost = format!("{BUCKET}.localhost:{}", stack.s3.port());
    let (status, head, _) = exchange(stack.s3, &options(&vhost, "/photos/a.jpg", &asked)).await;
    assert_eq!(status, 200);
    assert_eq!(header(&head, "access-control-allow-origin"), Some("https://app.example"));

    // Deleting the configuration turns preflights off at once.
    s3.delete_bucket_cors().bucket(BUCKET).send().await.unwrap();
    let (status, _, _) = exchange(stack.s3, &options(&host, &path, &asked)).await;
    assert_eq!(status, 403);
    stack.stop().await;
}

#[tokio::test]
async fn actual_requests_carry_the_headers() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, BUCKET).await;
    s3.put_object()
        .bucket(BUCKET)
        .key("a.txt")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    let host = stack.s3.to_string();
    let (_, amz) = amz_dates(now());
    let presigned = |key: &str, origin: &str| {
        let path = format!("/{BUCKET}/{key}");
        let query = presigned_query(&host, &path, &amz, 300);
        format!(
            "GET {path}?{query} HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\n\
             Connection: close\r\n\r\n"
        )
    };

    // Without a configuration: no CORS headers.
    let (status, head, _) = exchange(stack.s3, &presigned("a.txt", "https://x.example")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&head, "access-control-allow-origin"), None);
    assert_eq!(header(&head, "vary"), None);

    s3.put_bucket_cors().bucket(BUCKET).cors_configuration(app_rules()).send().await.unwrap();

    // A presigned GET from any origin: the second rule.
    let (status, head, body) = exchange(stack.s3, &presigned("a.txt", "https://x.example")).await;
    assert_eq!((status, body.as_str()), (200, "hello"));
    assert_eq!(header(&head, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&head, "access-control-allow-methods"), Some("GET, HEAD"));
    assert!(header(&head, "vary").is_some_and(|v| v.contains("Origin")));

    // An error answer (404) carries them too.
    let (status, head, body) = exchange(stack.s3, &presigned("missing", "https://x.example")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(header(&head, "access-control-allow-origin"), Some("*"));

    // A refused (unsigned) PUT from the app origin: the first rule's
    // headers, so the page can read the error.
    let put = format!(
        "PUT /{BUCKET}/b.txt HTTP/1.1\r\nHost: {host}\r\nOrigin: https://app.example\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (status, head, _) = exchange(stack.s3, &put).await;
    assert_eq!(status, 403);
    assert_eq!(header(&head, "access-control-allow-origin"), Some("https://app.example"));
    assert_eq!(header(&head, "access-control-expose-headers"), Some("ETag, x-amz-version-id"));
    assert_eq!(header(&head, "access-control-allow-credentials"), Some("true"));

    // An origin and method no rule allows: only Vary.
    let delete = format!(
        "DELETE /{BUCKET}/b.txt HTTP/1.1\r\nHost: {host}\r\nOrigin: https://x.example\r\n\
         Connection: close\r\n\r\n"
    );
    let (_, head, _) = exchange(stack.s3, &delete).await;
    assert_eq!(header(&head, "access-control-allow-origin"), None);
    assert!(header(&head, "vary").is_some());

    // Virtual-hosted style.
    let vhost = format!("{BUCKET}.localhost:{}", stack.s3.port());
    let query = presigned_query(&vhost, "/a.txt", &amz, 300);
    let get = format!(
        "GET /a.txt?{query} HTTP/1.1\r\nHost: {vhost}\r\nOrigin: https://app.example\r\n\
         Connection: close\r\n\r\n"
    );
    let (status, head, body) = exchange(stack.s3, &get).await;
    assert_eq!((status, body.as_str()), (200, "hello"));
    assert_eq!(header(&head, "access-control-allow-origin"), Some("*"));
    stack.stop().await;
}
