//! ListObjectVersions in one order: AWS answers the versions and delete
//! markers of a page as one sequence (`<Version>` and `<DeleteMarker>`
//! elements interleaved by key, newest first), and clients that read the
//! document in order — the Java SDK v1's `getVersionSummaries()`, a SAX
//! reader, a restore script taking "the version before this marker" —
//! depend on it. `s3s` 0.14.1 models the two as separate lists and writes
//! all markers, then all versions.
//!
//! The handler leaves the page's order in the response's extensions
//! ([`VersionOrder`]); [`interleave`] rewrites the serialized body to
//! follow it. The body is a listing page (at most 1,000 entries), already
//! whole in memory, and only its elements move: its length is unchanged.

use bytes::Bytes;
use s3s::HttpResponse;

/// A listing page's order: `true` for a delete marker, `false` for a
/// version, one per entry.
#[derive(Debug, Clone)]
pub(super) struct VersionOrder(pub Vec<bool>);

const VERSION: (&[u8], &[u8]) = (b"<Version>", b"</Version>");
const MARKER: (&[u8], &[u8]) = (b"<DeleteMarker>", b"</DeleteMarker>");

/// Puts the `<Version>` and `<DeleteMarker>` elements of `resp`'s body in
/// the order its [`VersionOrder`] gives, when it has one.
pub(super) fn interleave(resp: &mut HttpResponse) {
    let Some(VersionOrder(order)) = resp.extensions_mut().remove::<VersionOrder>() else {
        return;
    };
    // Only a page with both kinds can be out of order.
    if order.iter().all(|&m| m) || order.iter().all(|&m| !m) {
        return;
    }
    let Some(body) = resp.body().bytes() else { return };
    match reorder(&body, &order) {
        Some(fixed) => *resp.body_mut() = s3s::Body::from(Bytes::from(fixed)),
        None => tracing::warn!("ListObjectVersions body does not match its page; left as is"),
    }
}

/// `body` with its version and marker elements taken out and put back, in
/// `order`, where the first of them was; `None` when the elements found
/// are not the ones `order` counts.
fn reorder(body: &[u8], order: &[bool]) -> Option<Vec<u8>> {
    let versions = elements(body, VERSION);
    let markers = elements(body, MARKER);
    let wanted = order.iter().filter(|&&m| m).count();
    if markers.len() != wanted || versions.len() != order.len() - wanted {
        return None;
    }
    let mut spans: Vec<(usize, usize)> = versions.iter().chain(&markers).copied().collect();
    spans.sort_unstable();
    if spans.windows(2).any(|w| w[0].1 > w[1].0) {
        return None;
    }
    let (mut v, mut m) = (versions.iter(), markers.iter());
    let mut merged = Vec::new();
    for &is_marker in order {
        let (start, end) = if is_marker { m.next()? } else { v.next()? };
        merged.extend_from_slice(&body[*start..*end]);
    }
    let mut out = Vec::with_capacity(body.len());
    let mut at = 0;
    for (i, (start, end)) in spans.iter().enumerate() {
        out.extend_from_slice(&body[at..*start]);
        if i == 0 {
            out.extend_from_slice(&merged);
        }
        at = *end;
    }
    out.extend_from_slice(&body[at..]);
    Some(out)
}

/// The byte spans of every `open…close` element of `body`. The names
/// cannot occur inside one another's text: XML escapes `<` in keys.
fn elements(body: &[u8], (open, close): (&[u8], &[u8])) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(start) = find(&body[at..], open).map(|i| at + i) {
        let Some(end) = find(&body[start..], close).map(|i| start + i + close.len()) else {
            break;
        };
        spans.push((start, end));
        at = end;
    }
    spans
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::reorder;

    #[test]
    fn markers_and_versions_interleave_in_page_order() {
        let body = "<R><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>\
            <DeleteMarker><Key>a</Key><VersionId>m1</VersionId></DeleteMarker>\
            <DeleteMarker><Key>b</Key></DeleteMarker><IsTruncated>false</IsTruncated>\
            <VersionIdMarker></VersionIdMarker>\
            <Version><Key>a</Key><VersionId>v1</VersionId></Version>\
            <Version><Key>c</Key></Version></R>";
        let fixed = reorder(body.as_bytes(), &[true, false, true, false]).unwrap();
        let fixed = String::from_utf8(fixed).unwrap();
        assert_eq!(fixed.len(), body.len());
        assert_eq!(
            fixed,
            "<R><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>\
            <DeleteMarker><Key>a</Key><VersionId>m1</VersionId></DeleteMarker>\
            <Version><Key>a</Key><VersionId>v1</VersionId></Version>\
            <DeleteMarker><Key>b</Key></DeleteMarker>\
            <Version><Key>c</Key></Version><IsTruncated>false</IsTruncated>\
            <VersionIdMarker></VersionIdMarker></R>"
        );
        // A count that does not match the page leaves the body alone.
        assert!(reorder(body.as_bytes(), &[true, false, false]).is_none());
    }

    proptest::proptest! {
        #[test]
        fn reordering_keeps_every_byte(kinds in proptest::collection::vec(proptest::bool::ANY, 0..40)) {
            let mut markers = String::new();
            let mut versions = String::new();
            for (i, &m) in kinds.iter().enumerate() {
                if m {
                    markers += &format!("<DeleteMarker><Key>{i}</Key></DeleteMarker>");
                } else {
                    versions += &format!("<Version><Key>{i}</Key><VersionId>x</VersionId></Version>");
                }
            }
            let body = format!("<R>{markers}<Name>b</Name>{versions}</R>");
            let fixed = String::from_utf8(reorder(body.as_bytes(), &kinds).unwrap()).unwrap();
            proptest::prop_assert_eq!(fixed.len(), body.len());
            // Keys come out 0, 1, 2, ... : page order.
            let keys: Vec<usize> = fixed
                .split("<Key>")
                .skip(1)
                .map(|s| s.split('<').next().unwrap().parse().unwrap())
                .collect();
            proptest::prop_assert_eq!(keys, (0..kinds.len()).collect::<Vec<_>>());
        }
    }
}
