//! ListObjects semantics: table-driven edge cases and a property test of
//! every page boundary against the naive model.

use std::collections::BTreeSet;

use proptest::prelude::{Just, ProptestConfig, Strategy, prop, prop_oneof, proptest};

use super::model::{Element, elements, page, page_elements};
use super::{bucket, open, single};
use crate::index::{Index, IndexError, ListQuery, NewObject};

fn fill(index: &mut Index, keys: &BTreeSet<String>) {
    let objects: Vec<(String, NewObject)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), single(&format!("group1/M00/00/00/f{i}"), k.len() as u64)))
        .collect();
    index.put_objects("b", &objects).unwrap();
}

fn list(
    index: &mut Index,
    prefix: &str,
    delimiter: &str,
    marker: Option<&str>,
    max: usize,
) -> Vec<Element> {
    let q = ListQuery { prefix, delimiter: Some(delimiter), start_after: marker, max_keys: max };
    page_elements(&index.list_objects("b", &q).unwrap())
}

const KEYS: &[&str] =
    &["a", "a/", "a//b", "a/b", "a/b/c", "a/c", "b", "b+c", "b c", "b%20", "c/d", "é/x", "日本/語"];

fn keys() -> BTreeSet<String> {
    KEYS.iter().map(|k| k.to_string()).collect()
}

fn k(s: &str) -> Element {
    Element::Key(s.to_string())
}

fn p(s: &str) -> Element {
    Element::Prefix(s.to_string())
}

#[test]
fn flat_and_rolled_up_listings() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    fill(&mut index, &keys());
    let flat = list(&mut index, "", "", None, 1000);
    let mut sorted: Vec<&str> = KEYS.to_vec();
    sorted.sort_unstable(); // byte order
    assert_eq!(flat, sorted.iter().map(|s| k(s)).collect::<Vec<_>>());
    assert_eq!(
        list(&mut index, "", "/", None, 1000),
        vec![k("a"), p("a/"), k("b"), k("b c"), k("b%20"), k("b+c"), p("c/"), p("é/"), p("日本/")]
    );
    assert_eq!(
        list(&mut index, "a/", "/", None, 1000),
        vec![k("a/"), p("a//"), k("a/b"), p("a/b/"), k("a/c")]
    );
    assert_eq!(list(&mut index, "b", "", None, 1000), vec![k("b"), k("b c"), k("b%20"), k("b+c")]);
    assert_eq!(list(&mut index, "zzz", "/", None, 1000), vec![]);
    // A delimiter other than '/', and a multi-byte one.
    assert_eq!(list(&mut index, "", "b", None, 1000)[..3], [k("a"), k("a/"), p("a//b")]);
    assert_eq!(list(&mut index, "", "本", None, 1000).last(), Some(&p("日本")));
}

#[test]
fn markers_and_truncation() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    fill(&mut index, &keys());
    let q = |marker, max| ListQuery {
        prefix: "",
        delimiter: Some("/"),
        start_after: marker,
        max_keys: max,
    };
    let first = index.list_objects("b", &q(None, 2)).unwrap();
    assert!(first.is_truncated);
    assert_eq!(first.next_marker.as_deref(), Some("a/"));
    assert_eq!(first.common_prefixes, vec!["a/"]);
    // Resuming after a common prefix skips everything under it.
    let second = index.list_objects("b", &q(Some("a/"), 2)).unwrap();
    assert_eq!(page_elements(&second), vec![k("b"), k("b c")]);
    // A marker inside a common prefix skips the rest of that prefix.
    let inside = index.list_objects("b", &q(Some("a/b"), 1)).unwrap();
    assert_eq!(page_elements(&inside), vec![k("b")]);
    // The last page is not truncated and has no marker.
    let last = index.list_objects("b", &q(Some("é/"), 5)).unwrap();
    assert_eq!(page_elements(&last), vec![p("日本/")]);
    assert!(!last.is_truncated);
    assert_eq!(last.next_marker, None);
    // max_keys 0: empty and not truncated.
    let zero = index.list_objects("b", &q(None, 0)).unwrap();
    assert!(zero.entries.is_empty() && zero.common_prefixes.is_empty() && !zero.is_truncated);
    // A marker past everything, and one before the prefix.
    assert!(index.list_objects("b", &q(Some("\u{10FFFF}"), 5)).unwrap().entries.is_empty());
    let before = ListQuery { prefix: "b", delimiter: None, start_after: Some("a"), max_keys: 1 };
    assert_eq!(index.list_objects("b", &before).unwrap().entries[0].key, "b");
}

#[test]
fn entries_carry_attributes_and_missing_bucket_fails() {
    let (_dir, mut index) = open();
    bucket(&mut index, "b");
    let mut obj = single("group1/M00/00/00/x", 42);
    obj.meta.storage_class = Some("STANDARD_IA".into());
    obj.last_modified_ms = 77;
    index.put_object("b", "x", &obj, None).unwrap();
    let page = index.list_objects("b", &ListQuery { max_keys: 10, ..Default::default() }).unwrap();
    let e = &page.entries[0];
    assert_eq!(
        (e.key.as_str(), e.size, e.etag.as_str(), e.last_modified_ms),
        ("x", 42, obj.etag.as_str(), 77)
    );
    assert_eq!(e.storage_class.as_deref(), Some("STANDARD_IA"));
    let err = index.list_objects("nope", &ListQuery::default()).unwrap_err();
    assert!(matches!(err, IndexError::NoSuchBucket(_)));
}

/// The query plan of `sql` (with a bucket and an empty key bound).
fn plan_of(index: &crate::index::Index, sql: &str) -> String {
    let plan: Vec<String> = index
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map([1_i64.into(), rusqlite::types::Value::Blob(vec![])], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    plan.join("\n")
}

#[test]
fn scan_uses_the_key_index() {
    let (_dir, index) = open();
    // ListObjects scans only current objects, through the partial index.
    let plan = plan_of(&index, crate::index::listing::LIST_SQL);
    assert!(plan.contains("objects_current"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    // ListObjectVersions walks the versions index in listing order.
    let plan = plan_of(&index, &crate::index::version_listing::versions_sql());
    assert!(plan.contains("objects_by_seq"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
}

fn key_strategy() -> impl Strategy<Value = String> {
    let atoms = vec![
        "a",
        "b",
        "/",
        "//",
        " ",
        "+",
        "%",
        "é",
        "日",
        "\u{10348}",
        "-",
        "~",
        "\u{7f}",
        "\u{80}",
        "ab",
    ];
    prop::collection::vec(prop::sample::select(atoms), 0..6).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn pages_match_the_model(
        keys in prop::collection::btree_set(key_strategy(), 0..40),
        prefix in prop_oneof![Just(String::new()), key_strategy()],
        delimiter in prop::sample::select(vec!["", "/", "-", "é", "ab", "//", "日"]),
        max in 1_usize..6,
        markers in prop::collection::vec(key_strategy(), 0..4),
    ) {
        let (_dir, mut index) = open();
        bucket(&mut index, "b");
        fill(&mut index, &keys);
        let all = elements(&keys, &prefix, delimiter);
        // Page through everything: every page boundary matches the model.
        let mut marker: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let q = ListQuery { prefix: &prefix, delimiter: Some(delimiter), start_after: marker.as_deref(), max_keys: max };
            let got = index.list_objects("b", &q).unwrap();
            let (want, truncated) = page(&all, marker.as_deref(), max);
            assert_eq!(page_elements(&got), want.clone());
            assert_eq!(got.is_truncated, truncated);
            seen.extend(want.iter().cloned());
            if !truncated {
                assert_eq!(got.next_marker, None);
                break;
            }
            assert_eq!(got.next_marker.as_deref(), want.last().map(Element::as_str));
            marker = got.next_marker;
        }
        assert_eq!(seen, all.clone());
        // Arbitrary start-after markers.
        for m in &markers {
            let q = ListQuery { prefix: &prefix, delimiter: Some(delimiter), start_after: Some(m), max_keys: max };
            let got = index.list_objects("b", &q).unwrap();
            let (want, truncated) = page(&all, Some(m), max);
            assert_eq!(page_elements(&got), want);
            assert_eq!(got.is_truncated, truncated);
        }
    }
}
