use super::*;
use crate::index::{BucketLock, DefaultRetention, LockMode, Period, PublicAccessBlock};

const CORS: &str = "<CORSConfiguration><CORSRule><AllowedOrigin>https://a.example</AllowedOrigin>\
    <AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>\
    </CORSConfiguration>";

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::locked/*"}]}"#;

fn open() -> (tempfile::TempDir, Index) {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::open(dir.path().join("index.db")).unwrap();
    (dir, index)
}

fn bucket(name: &str, owner: &str) -> Bucket {
    Bucket { name: name.into(), home_group: "group1".into(), owner: owner.into(), created_ms: 7 }
}

const LIFECYCLE: &str = "<LifecycleConfiguration><Rule><ID>old</ID><Filter><Prefix>logs/</Prefix>\
    </Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>\
    </LifecycleConfiguration>";

/// A configured index: `locked` with versioning, a default retention, a
/// lifecycle rule and default encryption; `plain` with nothing.
fn configured() -> (tempfile::TempDir, Index) {
    let (dir, mut ix) = open();
    ix.create_bucket(&bucket("locked", "alice")).unwrap();
    ix.create_bucket(&bucket("plain", "bob")).unwrap();
    ix.set_bucket_versioning("locked", Versioning::Enabled).unwrap();
    let default = DefaultRetention { mode: LockMode::Governance, period: Period::Days(3) };
    ix.set_bucket_lock("locked", &BucketLock { default: Some(default) }).unwrap();
    let dto: s3s::dto::BucketLifecycleConfiguration = xml::from_xml(LIFECYCLE).unwrap();
    ix.put_lifecycle("locked", &crate::lifecycle::parse::from_dto(Some(&dto)).unwrap()).unwrap();
    ix.set_bucket_encryption("locked", Some("AES256")).unwrap();
    let tags = [("team".to_string(), "media".to_string())].into_iter().collect();
    ix.set_bucket_tags("locked", Some(&tags)).unwrap();
    let cors: s3s::dto::CORSConfiguration = xml::from_xml(CORS).unwrap();
    ix.put_cors("locked", &crate::cors::CorsConfig::from_dto(&cors).unwrap()).unwrap();
    let block = PublicAccessBlock { block_public_acls: true, ..PublicAccessBlock::default() };
    ix.set_public_access_block("locked", Some(&block)).unwrap();
    ix.set_bucket_policy("locked", Some(POLICY)).unwrap();
    let access = crate::index::BucketAclConfig {
        acl: None,
        object_ownership: Some("BucketOwnerPreferred".into()),
        grants: vec![("bob".into(), crate::index::OwnerGrant { read: true, write: false })],
    };
    ix.set_bucket_acl_config("locked", &access).unwrap();
    (dir, ix)
}

use crate::index::Versioning;

#[test]
fn an_export_restores_every_configuration_on_an_empty_index() {
    let (_d, mut source) = configured();
    let backup = export(&mut source, 99).unwrap();
    let names: Vec<_> = backup.buckets[0].configs.keys().cloned().collect();
    assert_eq!(
        names,
        [
            "access",
            "cors",
            "encryption",
            "lifecycle",
            "object-lock",
            "policy",
            "public-access-block",
            "tagging",
            "versioning"
        ]
    );
    assert!(backup.buckets[1].configs.is_empty());
    // Through JSON, as the command line does.
    let text = backup.to_json();
    let read = Backup::from_json(&text).unwrap();
    assert_eq!(read, backup);

    let (_e, mut target) = open();
    let report = import(&mut target, &read).unwrap();
    assert_eq!(report, ImportReport { created: 2, buckets: 2, configs: 9 });
    assert_eq!(target.get_bucket("plain").unwrap().owner, "bob");
    assert_eq!(target.bucket_versioning("locked").unwrap(), Some(Versioning::Enabled));
    assert_eq!(
        target.get_bucket_lock("locked").unwrap(),
        source.get_bucket_lock("locked").unwrap()
    );
    assert_eq!(target.get_lifecycle("locked").unwrap(), source.get_lifecycle("locked").unwrap());
    assert_eq!(target.get_bucket_encryption("locked").unwrap().as_deref(), Some("AES256"));
    assert_eq!(
        target.get_bucket_tags("locked").unwrap(),
        source.get_bucket_tags("locked").unwrap()
    );
    // The import's own export is the same document.
    assert_eq!(export(&mut target, 99).unwrap(), backup);
}

#[test]
fn an_import_makes_removable_configurations_match_the_file() {
    let (_d, mut ix) = configured();
    let mut backup = export(&mut ix, 1).unwrap();
    let locked = &mut backup.buckets[0];
    locked.configs.remove("lifecycle");
    locked.configs.remove("encryption");
    locked.configs.remove("versioning");
    locked.configs.remove("object-lock");
    locked.configs.remove("tagging");
    locked.configs.remove("cors");
    locked.configs.remove("policy");
    locked.configs.remove("public-access-block");
    locked.configs.remove("access");
    import(&mut ix, &backup).unwrap();
    assert_eq!(ix.get_bucket_acl_config("locked").unwrap(), Default::default());
    assert_eq!(ix.get_cors("locked").unwrap(), None);
    assert_eq!(ix.get_bucket_policy("locked").unwrap(), None);
    assert_eq!(ix.get_public_access_block("locked").unwrap(), None);
    assert_eq!(ix.get_bucket_tags("locked").unwrap(), None);
    assert_eq!(ix.get_lifecycle("locked").unwrap(), None);
    assert_eq!(ix.get_bucket_encryption("locked").unwrap(), None);
    // Versioning and Object Lock are never turned off.
    assert_eq!(ix.bucket_versioning("locked").unwrap(), Some(Versioning::Enabled));
    assert!(ix.get_bucket_lock("locked").unwrap().is_some());
}

#[test]
fn a_bad_file_changes_nothing() {
    let (_d, mut source) = configured();
    let good = export(&mut source, 1).unwrap();
    type Spoil = Box<dyn Fn(&mut Backup)>;
    let cases: Vec<(&str, Spoil)> = vec![
        ("format", Box::new(|b| b.format = 2)),
        (
            "unknown config",
            Box::new(|b| {
                b.buckets[1].configs.insert("website".into(), "<x/>".into());
            }),
        ),
        (
            "bad xml",
            Box::new(|b| {
                b.buckets[1].configs.insert("lifecycle".into(), "<LifecycleConfiguration>".into());
            }),
        ),
        // Days with ExpiredObjectDeleteMarker: refused as S3 refuses it.
        (
            "invalid rule",
            Box::new(|b| {
                b.buckets[1].configs.insert(
                    "lifecycle".into(),
                    "<LifecycleConfiguration><Rule><ID>x</ID><Filter></Filter><Status>Enabled\
                 </Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true\
                 </ExpiredObjectDeleteMarker></Expiration></Rule></LifecycleConfiguration>"
                        .into(),
                );
            }),
        ),
        (
            "lock without versioning",
            Box::new(|b| {
                let lock = b.buckets[0].configs["object-lock"].clone();
                b.buckets[1].configs.insert("object-lock".into(), lock);
            }),
        ),
        (
            "KMS",
            Box::new(|b| {
                b.buckets[1].configs.insert(
                    "encryption".into(),
                    "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>\
                 <SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault>\
                 </Rule></ServerSideEncryptionConfiguration>"
                        .into(),
                );
            }),
        ),
        ("owner", Box::new(|b| b.buckets[0].owner = "mallory".into())),
        (
            "aws: tag",
            Box::new(|b| {
                b.buckets[1].configs.insert(
                "tagging".into(),
                "<Tagging><TagSet><Tag><Key>aws:x</Key><Value>v</Value></Tag></TagSet></Tagging>"
                    .into(),
            );
            }),
        ),
    ];
    for (what, spoil) in cases {
        let (_e, mut target) = open();
        target.create_bucket(&bucket("other", "carol")).unwrap();
        let mut bad = good.clone();
        spoil(&mut bad);
        // A new bucket first, so a failure later must undo its creation.
        bad.buckets.insert(0, BucketConfig { name: "aaa-new".into(), ..good.buckets[1].clone() });
        if what == "owner" {
            target.create_bucket(&bucket("locked", "alice")).unwrap();
        }
        let e = import(&mut target, &bad).unwrap_err().to_string();
        let why = match what {
            "format" => "format 2",
            "unknown config" => "unknown configuration",
            "bad xml" => "malformed XML",
            "invalid rule" => "ExpiredObjectDeleteMarker",
            "lock without versioning" => "needs versioning",
            "KMS" => "NotImplemented",
            "aws: tag" => "InvalidTag",
            "policy" => "MalformedPolicy",
            "cors" => "InvalidRequest",
            "ownership" => "Nobody",
            _ => "mallory",
        };
        assert!(e.contains(why), "{what}: {e}");
        assert!(
            matches!(target.get_bucket("aaa-new"), Err(IndexError::NoSuchBucket(_))),
            "{what}: the import was not rolled back"
        );
    }
    assert!(Backup::from_json(r#"{"format":1,"exported_ms":0,"buckets":[],"extra":1}"#).is_err());
}
