//! A bucket of 100,000 keys lists completely and in order, in pages of
//! 1,000, with and without a delimiter.

use std::collections::BTreeSet;
use std::time::Instant;

use super::model::{elements, page_elements};
use super::{bucket, open, single};
use crate::index::{ListQuery, NewObject};

const KEYS: usize = 100_000;

fn key(i: usize) -> String {
    if i.is_multiple_of(10) {
        format!("top{i:06}")
    } else {
        format!("dir{:02}/file{i:06}", i % 100)
    }
}

#[test]
fn hundred_thousand_keys_list_completely_in_pages() {
    let (_dir, mut index) = open();
    bucket(&mut index, "big");
    let started = Instant::now();
    let objects: Vec<(String, NewObject)> =
        (0..KEYS).map(|i| (key(i), single(&format!("group1/M00/00/00/f{i}"), i as u64))).collect();
    index.put_objects("big", &objects).unwrap();
    let inserted = started.elapsed();
    let all: BTreeSet<String> = objects.into_iter().map(|(k, _)| k).collect();
    assert_eq!(all.len(), KEYS);

    for (prefix, delimiter) in [("", ""), ("", "/"), ("dir07/", "/"), ("dir0", "/")] {
        let want = elements(&all, prefix, delimiter);
        let mut got = Vec::new();
        let mut marker: Option<String> = None;
        let mut pages = 0;
        loop {
            let q = ListQuery {
                prefix,
                delimiter: Some(delimiter),
                start_after: marker.as_deref(),
                max_keys: 1000,
            };
            let page = index.list_objects("big", &q).unwrap();
            pages += 1;
            let elements = page_elements(&page);
            assert!(elements.len() == 1000 || !page.is_truncated);
            got.extend(elements);
            if !page.is_truncated {
                break;
            }
            marker = page.next_marker;
        }
        assert_eq!(got, want, "prefix {prefix:?} delimiter {delimiter:?}");
        assert_eq!(pages, want.len().div_ceil(1000).max(1));
    }
    let total = started.elapsed();
    eprintln!("100k keys: insert {inserted:?}, insert + 4 full listings {total:?}");
}
