//! ListMultipartUploads paging against the model: several uploads per
//! key, every page boundary, with and without a delimiter.

use std::collections::BTreeSet;

use proptest::prelude::{ProptestConfig, Strategy, prop, proptest};

use super::model::{Element, elements};
use super::{bucket, open};
use crate::index::{ObjectMeta, UploadListQuery};

fn key_strategy() -> impl Strategy<Value = String> {
    let atoms = vec!["a", "b", "/", " ", "é", "-"];
    prop::collection::vec(prop::sample::select(atoms), 1..5).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn upload_pages_match_the_model(
        keys in prop::collection::vec(key_strategy(), 0..20),
        delimiter in prop::sample::select(vec!["", "/", "é"]),
        max in 1_usize..4,
    ) {
        let (_dir, mut index) = open();
        bucket(&mut index, "b");
        let mut uploads = BTreeSet::new();
        for (t, key) in keys.iter().enumerate() {
            let id = index.create_upload("b", key, &ObjectMeta::default(), t as i64).unwrap();
            uploads.insert((key.clone(), id));
        }
        // The model: listing elements with each key expanded to its uploads.
        let distinct: BTreeSet<String> = keys.iter().cloned().collect();
        let mut want = Vec::new();
        for e in elements(&distinct, "", delimiter) {
            match e {
                Element::Prefix(p) => want.push((p, None)),
                Element::Key(k) => want.extend(
                    uploads.iter().filter(|(uk, _)| *uk == k).map(|(uk, id)| (uk.clone(), Some(id.clone()))),
                ),
            }
        }
        let mut got = Vec::new();
        let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let q = UploadListQuery {
                prefix: "",
                delimiter: Some(delimiter),
                key_marker: key_marker.as_deref(),
                upload_id_marker: id_marker.as_deref(),
                max_uploads: max,
            };
            let page = index.list_uploads("b", &q).unwrap();
            let mut items: Vec<(String, Option<String>)> = page
                .uploads
                .iter()
                .map(|u| (u.key.clone(), Some(u.upload_id.clone())))
                .chain(page.common_prefixes.iter().map(|p| (p.clone(), None)))
                .collect();
            items.sort();
            assert!(items.len() <= max);
            got.extend(items);
            if !page.is_truncated {
                break;
            }
            key_marker = page.next_key_marker;
            id_marker = page.next_upload_id_marker;
        }
        assert_eq!(got, want);
    }
}
