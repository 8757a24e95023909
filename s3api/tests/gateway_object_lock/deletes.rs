//! Retention and legal hold per version, and the deletes they refuse.

use super::*;

#[tokio::test]
async fn retention_and_legal_hold_guard_deletes() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "worm").await;

    // COMPLIANCE from the headers: visible on HEAD and GET, never shortened.
    let until = in_secs(3600);
    let put = s3
        .put_object()
        .bucket("worm")
        .key("c")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(until)
        .body(ByteStream::from_static(b"kept"))
        .send()
        .await
        .unwrap();
    let vc = put.version_id().unwrap().to_string();
    let got = s3.get_object().bucket("worm").key("c").send().await.unwrap();
    assert_eq!(got.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(got.object_lock_retain_until_date().map(DateTime::secs), Some(until.secs()));
    let e = s3.delete_object().bucket("worm").key("c").version_id(&vc).send().await.unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    let e = s3
        .delete_object()
        .bucket("worm")
        .key("c")
        .version_id(&vc)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    for (mode, at, bypass) in [
        (ObjectLockRetentionMode::Compliance, in_secs(1800), false),
        (ObjectLockRetentionMode::Governance, in_secs(7200), true),
    ] {
        let e = s3
            .put_object_retention()
            .bucket("worm")
            .key("c")
            .retention(retention(mode, at))
            .bypass_governance_retention(bypass)
            .send()
            .await
            .unwrap_err();
        assert_eq!(failure(&e), (403, "AccessDenied".into()));
    }
    let longer = in_secs(7200);
    s3.put_object_retention()
        .bucket("worm")
        .key("c")
        .retention(retention(ObjectLockRetentionMode::Compliance, longer))
        .send()
        .await
        .unwrap();
    let got = s3.get_object_retention().bucket("worm").key("c").send().await.unwrap();
    assert_eq!(
        got.retention().unwrap().retain_until_date().map(DateTime::secs),
        Some(longer.secs())
    );
    let tags = file_tags(&stack, "worm", "c").await;
    assert_eq!(tag(&tags, "s3-lock-mode"), Some("COMPLIANCE"));
    assert_eq!(tag(&tags, "s3-lock-until"), Some(&*(longer.secs() * 1000).to_string()));

    // A date in the past is refused.
    let e = s3
        .put_object_retention()
        .bucket("worm")
        .key("c")
        .retention(retention(ObjectLockRetentionMode::Compliance, in_secs(-60)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (400, "InvalidArgument".into()));

    // DeleteObjects names the locked version among its errors.
    let batch = s3
        .delete_objects()
        .bucket("worm")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("c").version_id(&vc).build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(batch.errors()[0].code(), Some("AccessDenied"));
    assert!(batch.deleted().is_empty());
    // A plain DELETE of a locked object adds a delete marker, as on AWS;
    // the version stays, with its lock.
    let marker = s3.delete_object().bucket("worm").key("c").send().await.unwrap();
    assert_eq!(marker.delete_marker(), Some(true));
    let got = s3.get_object_retention().bucket("worm").key("c").version_id(&vc).send().await;
    let got = got.unwrap();
    assert_eq!(got.retention().unwrap().mode(), Some(&ObjectLockRetentionMode::Compliance));

    // GOVERNANCE: shortened or deleted only with the bypass.
    let put = s3
        .put_object()
        .bucket("worm")
        .key("g")
        .body(ByteStream::from_static(b"g"))
        .send()
        .await
        .unwrap();
    let vg = put.version_id().unwrap().to_string();
    let e = s3.get_object_retention().bucket("worm").key("g").send().await.unwrap_err();
    assert_eq!(failure(&e), (404, "NoSuchObjectLockConfiguration".into()));
    s3.put_object_retention()
        .bucket("worm")
        .key("g")
        .retention(retention(ObjectLockRetentionMode::Governance, in_secs(3600)))
        .send()
        .await
        .unwrap();
    let e = s3.delete_object().bucket("worm").key("g").version_id(&vg).send().await.unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    let e = s3
        .put_object_retention()
        .bucket("worm")
        .key("g")
        .retention(retention(ObjectLockRetentionMode::Governance, in_secs(60)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    s3.put_object_retention()
        .bucket("worm")
        .key("g")
        .retention(retention(ObjectLockRetentionMode::Governance, in_secs(60)))
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();

    // A legal hold outranks the bypass until it is lifted.
    s3.put_object_legal_hold().bucket("worm").key("g").legal_hold(hold(true)).send().await.unwrap();
    let got = s3.get_object_legal_hold().bucket("worm").key("g").send().await.unwrap();
    assert_eq!(got.legal_hold().unwrap().status(), Some(&ObjectLockLegalHoldStatus::On));
    let head = s3.head_object().bucket("worm").key("g").send().await.unwrap();
    assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::On));
    assert_eq!(tag(&file_tags(&stack, "worm", "g").await, "s3-legal-hold"), Some("ON"));
    let e = s3
        .delete_object()
        .bucket("worm")
        .key("g")
        .version_id(&vg)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e), (403, "AccessDenied".into()));
    s3.put_object_legal_hold()
        .bucket("worm")
        .key("g")
        .legal_hold(hold(false))
        .send()
        .await
        .unwrap();
    assert_eq!(tag(&file_tags(&stack, "worm", "g").await, "s3-legal-hold"), Some("OFF"));
    let v = vg.clone();
    let record = stack.index.read(move |ix| ix.get_version("worm", "g", Some(&v))).await;
    let on_disk = disk_path(&stack, record.unwrap().data.file_ids()[0]);
    assert!(on_disk.exists());
    s3.delete_object()
        .bucket("worm")
        .key("g")
        .version_id(&vg)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap();
    let e = s3.head_object().bucket("worm").key("g").version_id(&vg).send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
    // The delete queue removes the file, whose tags still carry the
    // (bypassed) GOVERNANCE retention: the gateway is the storage's lock
    // admin.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while on_disk.exists() {
        assert!(std::time::Instant::now() < deadline, "{on_disk:?} never deleted");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stack.stop().await;
}

/// GetObjectLegalHold of a version whose hold was never set is 404
/// NoSuchObjectLockConfiguration, as on AWS; once set (by the call or by
/// the header, ON or OFF) it reads back.
#[tokio::test]
async fn a_legal_hold_never_set_is_404() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_lock_bucket(&s3, "holds").await;
    let status = |key: &'static str| {
        let s3 = s3.clone();
        async move {
            match s3.get_object_legal_hold().bucket("holds").key(key).send().await {
                Ok(got) => Ok(got.legal_hold().and_then(|h| h.status()).cloned()),
                Err(e) => Err(failure(&e)),
            }
        }
    };
    let put = |key: &'static str, hold: Option<ObjectLockLegalHoldStatus>| {
        s3.put_object()
            .bucket("holds")
            .key(key)
            .set_object_lock_legal_hold_status(hold)
            .body(ByteStream::from_static(b"h"))
            .send()
    };
    put("plain", None).await.unwrap();
    put("off", Some(ObjectLockLegalHoldStatus::Off)).await.unwrap();
    put("on", Some(ObjectLockLegalHoldStatus::On)).await.unwrap();
    let none = (404, "NoSuchObjectLockConfiguration".to_string());
    assert_eq!(status("plain").await, Err(none));
    assert_eq!(status("off").await, Ok(Some(ObjectLockLegalHoldStatus::Off)));
    assert_eq!(status("on").await, Ok(Some(ObjectLockLegalHoldStatus::On)));
    s3.put_object_legal_hold()
        .bucket("holds")
        .key("plain")
        .legal_hold(hold(false))
        .send()
        .await
        .unwrap();
    assert_eq!(status("plain").await, Ok(Some(ObjectLockLegalHoldStatus::Off)));
    // A copy made with the header is set too.
    s3.copy_object()
        .bucket("holds")
        .key("copy")
        .copy_source("holds/off")
        .object_lock_legal_hold_status(ObjectLockLegalHoldStatus::Off)
        .send()
        .await
        .unwrap();
    assert_eq!(status("copy").await, Ok(Some(ObjectLockLegalHoldStatus::Off)));
    // A multipart upload remembers the header from its creation to its
    // completion: OFF reads OFF, no header reads 404.
    for (key, hold) in [("mp-off", Some(ObjectLockLegalHoldStatus::Off)), ("mp-none", None)] {
        let created = s3
            .create_multipart_upload()
            .bucket("holds")
            .key(key)
            .set_object_lock_legal_hold_status(hold)
            .send()
            .await
            .unwrap();
        let id = created.upload_id().unwrap();
        let part = s3
            .upload_part()
            .bucket("holds")
            .key(key)
            .upload_id(id)
            .part_number(1)
            .body(ByteStream::from_static(b"part"))
            .send()
            .await
            .unwrap();
        let done = CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build();
        s3.complete_multipart_upload()
            .bucket("holds")
            .key(key)
            .upload_id(id)
            .multipart_upload(CompletedMultipartUpload::builder().parts(done).build())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(status("mp-off").await, Ok(Some(ObjectLockLegalHoldStatus::Off)));
    assert_eq!(status("mp-none").await, Err((404, "NoSuchObjectLockConfiguration".to_string())));
    stack.stop().await;
}
