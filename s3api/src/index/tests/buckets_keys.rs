//! Buckets and access keys.

use super::open;
use crate::crypto::MasterKey;
use crate::index::{AccessKey, Bucket, IndexError};

fn b(name: &str, owner: &str) -> Bucket {
    Bucket { name: name.into(), home_group: "group2".into(), owner: owner.into(), created_ms: 7 }
}

#[test]
fn buckets_create_get_list_delete() {
    let (_dir, mut index) = open();
    index.create_bucket(&b("zeta", "alice")).unwrap();
    index.create_bucket(&b("alpha", "bob")).unwrap();
    index.create_bucket(&b("mid", "alice")).unwrap();
    match index.create_bucket(&b("zeta", "bob")) {
        Err(IndexError::BucketExists { name, owner }) => {
            assert_eq!((name, owner), ("zeta".into(), "alice".into()))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(index.create_bucket(&b("", "x")), Err(IndexError::InvalidArgument(_))));
    assert_eq!(index.get_bucket("mid").unwrap(), b("mid", "alice"));
    let names = |v: Vec<Bucket>| v.into_iter().map(|b| b.name).collect::<Vec<_>>();
    assert_eq!(names(index.list_buckets(None).unwrap()), vec!["alpha", "mid", "zeta"]);
    assert_eq!(names(index.list_buckets(Some("alice")).unwrap()), vec!["mid", "zeta"]);
    assert!(index.list_buckets(Some("carol")).unwrap().is_empty());
    assert_eq!(index.delete_bucket("mid", 1).unwrap(), Vec::<String>::new());
    assert!(matches!(index.get_bucket("mid"), Err(IndexError::NoSuchBucket(_))));
    // The name is free again.
    index.create_bucket(&b("mid", "bob")).unwrap();
}

#[test]
fn access_keys() {
    let (_dir, mut index) = open();
    let master = MasterKey::generate();
    let key = |id: &str| AccessKey {
        access_key_id: id.into(),
        secret: format!("secret-0123456789-{id}"),
        owner: "alice".into(),
        admin: id == "AKB",
        created_ms: 3,
    };
    index.create_access_key(&key("AKB"), &master).unwrap();
    index.create_access_key(&key("AKA"), &master).unwrap();
    let again = index.create_access_key(&key("AKA"), &master);
    assert!(matches!(again, Err(IndexError::AccessKeyExists(_))));
    let mut short = key("AKC");
    for secret in ["", "fifteen-chars!!"] {
        short.secret = secret.into();
        let refused = index.create_access_key(&short, &master);
        assert!(matches!(refused, Err(IndexError::InvalidArgument(_))), "{secret:?}");
    }
    short.secret = "sixteen-chars!!!".into();
    index.create_access_key(&short, &master).unwrap();
    assert!(index.delete_access_key("AKC").unwrap());
    assert_eq!(index.get_access_key("AKA", &master).unwrap(), Some(key("AKA")));
    assert_eq!(index.get_key_info("AKA").unwrap(), Some(key("AKA").info()));
    assert_eq!(index.get_access_key("AKZ", &master).unwrap(), None);
    // Another data directory's master key opens nothing.
    let other = MasterKey::generate();
    assert!(matches!(index.get_access_key("AKA", &other), Err(IndexError::Corrupt(_))));
    let ids: Vec<String> =
        index.list_access_keys().unwrap().into_iter().map(|k| k.access_key_id).collect();
    assert_eq!(ids, vec!["AKA", "AKB"]);
    assert!(!format!("{:?}", key("AKA")).contains("secret-"));
    assert!(index.get_key_info("AKB").unwrap().unwrap().admin);
    assert!(index.set_access_key_admin("AKA", true).unwrap());
    assert!(index.get_key_info("AKA").unwrap().unwrap().admin);
    assert!(!index.set_access_key_admin("AKZ", true).unwrap());
    assert!(index.delete_access_key("AKA").unwrap());
    assert!(!index.delete_access_key("AKA").unwrap());
    assert_eq!(index.get_access_key("AKA", &master).unwrap(), None);
}
