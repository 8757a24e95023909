//! A naive in-memory model of S3 listing semantics, to check the index's
//! range-scan implementation against.

use std::collections::BTreeSet;

use crate::index::ListPage;

/// One listing element.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Element {
    Key(String),
    Prefix(String),
}

impl Element {
    pub(super) fn as_str(&self) -> &str {
        match self {
            Element::Key(s) | Element::Prefix(s) => s,
        }
    }
}

/// Every element of a listing, in order: keys under `prefix`, rolled up
/// at the first `delimiter` after the prefix, each prefix once.
pub(super) fn elements(keys: &BTreeSet<String>, prefix: &str, delimiter: &str) -> Vec<Element> {
    let mut out: Vec<Element> = Vec::new();
    for key in keys.iter().filter(|k| k.starts_with(prefix)) {
        let rest = &key[prefix.len()..];
        let element = match (delimiter.is_empty(), rest.find(delimiter)) {
            (false, Some(at)) => {
                Element::Prefix(key[..prefix.len() + at + delimiter.len()].to_string())
            }
            _ => Element::Key(key.clone()),
        };
        if out.last() != Some(&element) {
            out.push(element);
        }
    }
    // String order is UTF-8 byte order; the scan must agree.
    assert!(out.windows(2).all(|w| w[0].as_str() < w[1].as_str()));
    out
}

/// The model's page: up to `max` elements after `marker`, and whether
/// more follow.
pub(super) fn page(all: &[Element], marker: Option<&str>, max: usize) -> (Vec<Element>, bool) {
    let after: Vec<&Element> =
        all.iter().filter(|e| marker.is_none_or(|m| e.as_str() > m)).collect();
    if max == 0 {
        return (Vec::new(), false);
    }
    let taken: Vec<Element> = after.iter().take(max).map(|e| (*e).clone()).collect();
    (taken, after.len() > max)
}

/// The elements of an index page, merged in order.
pub(super) fn page_elements(page: &ListPage) -> Vec<Element> {
    let mut out: Vec<Element> = page
        .entries
        .iter()
        .map(|e| Element::Key(e.key.clone()))
        .chain(page.common_prefixes.iter().map(|p| Element::Prefix(p.clone())))
        .collect();
    out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    out
}
