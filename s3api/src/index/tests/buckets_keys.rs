//! Buckets and access keys.

use super::open;
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
    let key = |id: &str| AccessKey {
        access_key_id: id.into(),
        secret: format!("secret-{id}"),
        owner: "alice".into(),
        admin: id == "AKB",
        created_ms: 3,
    };
    index.create_access_key(&key("AKB")).unwrap();
    index.create_access_key(&key("AKA")).unwrap();
    assert!(matches!(index.create_access_key(&key("AKA")), Err(IndexError::AccessKeyExists(_))));
    let mut empty = key("AKC");
    empty.secret.clear();
    assert!(matches!(index.create_access_key(&empty), Err(IndexError::InvalidArgument(_))));
    assert_eq!(index.get_access_key("AKA").unwrap(), Some(key("AKA")));
    assert_eq!(index.get_access_key("AKZ").unwrap(), None);
    let ids: Vec<String> =
        index.list_access_keys().unwrap().into_iter().map(|k| k.access_key_id).collect();
    assert_eq!(ids, vec!["AKA", "AKB"]);
    assert!(!format!("{:?}", key("AKA")).contains("secret-"));
    assert!(index.get_access_key("AKB").unwrap().unwrap().admin);
    assert!(index.set_access_key_admin("AKA", true).unwrap());
    assert!(index.get_access_key("AKA").unwrap().unwrap().admin);
    assert!(!index.set_access_key_admin("AKZ", true).unwrap());
    assert!(index.delete_access_key("AKA").unwrap());
    assert!(!index.delete_access_key("AKA").unwrap());
    assert_eq!(index.get_access_key("AKA").unwrap(), None);
}
