//! File metadata: the name/value list FastDFS keeps beside a stored file.
//!
//! On the wire (SET_METADATA request, GET_METADATA reply, the `-m` sibling
//! file a storage keeps and replicates) metadata is one blob: records
//! `name 0x02 value` joined by `0x01`, with no trailing separator, e.g.
//! `author\x02probe\x01width\x02100`. An empty blob means "no metadata".
//! FastDFS stores the list sorted by name (bytewise), whichever operation
//! wrote it; [`Metadata::apply`] reproduces that, so a storage written in
//! Rust answers GET_METADATA with the same bytes FastDFS would.
//!
//! Names and values are kept as bytes: FastDFS does not require UTF-8, and a
//! decoder must accept whatever an old client stored. Decoding never fails;
//! it follows FastDFS's parser, which skips records without a `0x02`.
//! FastDFS limits names to 64 and values to 256 bytes (its C client cuts
//! longer ones silently); here decoding keeps every byte and
//! [`Metadata::validate`] reports what a sender must not send.

use bytes::BytesMut;

use crate::consts::{FIELD_SEPARATOR, MAX_META_NAME_LEN, MAX_META_VALUE_LEN, RECORD_SEPARATOR};
use crate::error::DecodeError;
use crate::message::{Decode, Encode};

/// How SET_METADATA combines the sent list with the stored one: the
/// `op_flag` byte of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaOp {
    /// `'O'`: replace the stored list (an empty list deletes it).
    Overwrite,
    /// `'M'`: add the sent pairs, replacing values of names already stored.
    Merge,
}

impl MetaOp {
    /// The wire byte (`'O'` or `'M'`).
    pub const fn as_byte(self) -> u8 {
        match self {
            Self::Overwrite => b'O',
            Self::Merge => b'M',
        }
    }

    /// Parses the wire byte; anything but `'O'` and `'M'` is invalid.
    pub fn from_byte(b: u8) -> Result<Self, DecodeError> {
        match b {
            b'O' => Ok(Self::Overwrite),
            b'M' => Ok(Self::Merge),
            other => Err(DecodeError::invalid("metadata op_flag", format!("{other:#04x}"))),
        }
    }
}

/// An ordered list of (name, value) pairs.
///
/// The order is kept as given (a SET_METADATA request carries the client's
/// order; a stored list is sorted), so decoding and re-encoding reproduces
/// the bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Metadata {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Metadata {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a pair (no check, no dedup; see [`Metadata::validate`]).
    pub fn push(&mut self, name: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.pairs.push((name.into(), value.into()));
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no pairs (encodes to the empty blob).
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.pairs.iter().map(|(n, v)| (n.as_slice(), v.as_slice()))
    }

    /// The value of the last pair named `name`.
    pub fn get(&self, name: impl AsRef<[u8]>) -> Option<&[u8]> {
        let name = name.as_ref();
        self.pairs.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }

    /// The value of `name` when it is UTF-8.
    pub fn get_str(&self, name: impl AsRef<[u8]>) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Sorts by name (bytewise, as FastDFS's `strcmp`) and keeps only the
    /// last pair of each name.
    pub fn normalize(&mut self) {
        // Stable sort keeps equal names in input order, so the last wins.
        self.pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(self.pairs.len());
        for pair in self.pairs.drain(..) {
            match out.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => out.push(pair),
            }
        }
        self.pairs = out;
    }

    /// Merges `other` into `self` (SET_METADATA `'M'`): names in `other`
    /// replace or add; the result is normalized (sorted by name).
    pub fn merge(&mut self, other: &Metadata) {
        self.pairs.extend(other.pairs.iter().cloned());
        self.normalize();
    }

    /// Replaces `self` with `other` (SET_METADATA `'O'`), normalized.
    pub fn overwrite(&mut self, other: &Metadata) {
        self.pairs = other.pairs.clone();
        self.normalize();
    }

    /// Applies a SET_METADATA operation to the stored list `self`. The
    /// result is what a storage keeps: sorted by name, one pair per name.
    pub fn apply(&mut self, op: MetaOp, sent: &Metadata) {
        match op {
            MetaOp::Overwrite => self.overwrite(sent),
            MetaOp::Merge => self.merge(sent),
        }
    }

    /// Checks that every pair can be sent and read back unchanged: names
    /// 1..=64 bytes, values at most 256 bytes, and no separator or NUL byte
    /// in either (FastDFS handles them as C strings).
    pub fn validate(&self) -> Result<(), DecodeError> {
        for (name, value) in &self.pairs {
            if name.is_empty() {
                return Err(DecodeError::invalid("metadata name", "empty"));
            }
            if name.len() > MAX_META_NAME_LEN {
                return Err(DecodeError::invalid(
                    "metadata name",
                    format!("{} bytes > {MAX_META_NAME_LEN}", name.len()),
                ));
            }
            if value.len() > MAX_META_VALUE_LEN {
                return Err(DecodeError::invalid(
                    "metadata value",
                    format!("{} bytes > {MAX_META_VALUE_LEN}", value.len()),
                ));
            }
            if name.iter().chain(value.iter()).any(|&b| is_reserved(b)) {
                return Err(DecodeError::invalid(
                    "metadata",
                    "separator (0x01, 0x02) or NUL byte in a name or value",
                ));
            }
        }
        Ok(())
    }

    /// Length of the encoded blob.
    pub fn encoded_len(&self) -> usize {
        let fields: usize = self.pairs.iter().map(|(n, v)| n.len() + 1 + v.len()).sum();
        fields + self.pairs.len().saturating_sub(1)
    }

    /// Parses a blob; never fails (see the module docs).
    pub fn from_bytes(blob: &[u8]) -> Self {
        let pairs = blob
            .split(|&b| b == RECORD_SEPARATOR)
            .filter_map(|record| {
                let sep = record.iter().position(|&b| b == FIELD_SEPARATOR)?;
                Some((record[..sep].to_vec(), record[sep + 1..].to_vec()))
            })
            .collect();
        Self { pairs }
    }
}

fn is_reserved(b: u8) -> bool {
    b == RECORD_SEPARATOR || b == FIELD_SEPARATOR || b == 0
}

impl<N: Into<Vec<u8>>, V: Into<Vec<u8>>> FromIterator<(N, V)> for Metadata {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Self { pairs: iter.into_iter().map(|(n, v)| (n.into(), v.into())).collect() }
    }
}

impl Encode for Metadata {
    fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(self.encoded_len());
        for (i, (name, value)) in self.pairs.iter().enumerate() {
            if i > 0 {
                buf.extend_from_slice(&[RECORD_SEPARATOR]);
            }
            buf.extend_from_slice(name);
            buf.extend_from_slice(&[FIELD_SEPARATOR]);
            buf.extend_from_slice(value);
        }
    }
}

impl Decode for Metadata {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        Ok(Self::from_bytes(body))
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::{any, prop_assert_eq, proptest};

    use super::{MetaOp, Metadata};
    use crate::message::{Decode, Encode};

    fn meta(pairs: &[(&str, &str)]) -> Metadata {
        pairs.iter().map(|&(n, v)| (n, v)).collect()
    }

    #[test]
    fn encodes_the_documented_example() {
        let m = meta(&[("author", "probe"), ("width", "100")]);
        assert_eq!(&m.to_body()[..], b"author\x02probe\x01width\x02100");
        assert_eq!(m.encoded_len(), 22);
        assert_eq!(Metadata::decode(b"author\x02probe\x01width\x02100").unwrap(), m);
    }

    #[test]
    fn empty_blob_is_no_metadata() {
        assert!(Metadata::decode(b"").unwrap().is_empty());
        assert!(Metadata::new().to_body().is_empty());
        assert_eq!(Metadata::new().encoded_len(), 0);
    }

    #[test]
    fn decoding_follows_fastdfs() {
        // Records without a field separator are skipped; a value keeps
        // later 0x02 bytes; empty names and values survive.
        let m = Metadata::decode(b"junk\x01a\x02b\x02c\x01\x01\x02\x01n\x02").unwrap();
        let want: Vec<(&[u8], &[u8])> = vec![(b"a", b"b\x02c"), (b"", b""), (b"n", b"")];
        assert_eq!(m.iter().collect::<Vec<_>>(), want);
        assert!(m.validate().is_err());
        // Non-UTF-8 bytes are kept.
        let m = Metadata::decode(b"\xff\x02\xfe").unwrap();
        assert_eq!(m.get([0xff]), Some(&[0xfe][..]));
        assert_eq!(m.get_str([0xff]), None);
    }

    #[test]
    fn validate_limits() {
        assert!(meta(&[("a", "b")]).validate().is_ok());
        let long_name = "n".repeat(65);
        assert!(meta(&[(&long_name, "v")]).validate().is_err());
        assert!(meta(&[(&long_name[..64], &"v".repeat(256))]).validate().is_ok());
        assert!(meta(&[("n", &"v".repeat(257))]).validate().is_err());
        assert!(meta(&[("", "v")]).validate().is_err());
        assert!(meta(&[("a\u{1}", "v")]).validate().is_err());
        assert!(meta(&[("a", "v\u{2}")]).validate().is_err());
        assert!(meta(&[("a", "v\0")]).validate().is_err());
    }

    #[test]
    fn merge_and_overwrite_sort_like_fastdfs() {
        // storage-metadata.txt: 'O' with this order was read back sorted.
        let sent = meta(&[
            ("ext_name", "jpg"),
            ("width", "160"),
            ("height", "80"),
            ("file_size", "115120"),
        ]);
        let mut stored = meta(&[("old", "x")]);
        stored.apply(MetaOp::Overwrite, &sent);
        assert_eq!(
            &stored.to_body()[..],
            b"ext_name\x02jpg\x01file_size\x02115120\x01height\x0280\x01width\x02160"
        );
        stored.apply(MetaOp::Merge, &meta(&[("width", "999"), ("color", "red")]));
        assert_eq!(stored.get_str("width"), Some("999"));
        let names: Vec<&[u8]> = stored.iter().map(|(n, _)| n).collect();
        assert_eq!(names, [&b"color"[..], b"ext_name", b"file_size", b"height", b"width"]);
        // Merging nothing changes nothing; overwriting with nothing empties.
        let before = stored.clone();
        stored.apply(MetaOp::Merge, &Metadata::new());
        assert_eq!(stored, before);
        stored.apply(MetaOp::Overwrite, &Metadata::new());
        assert!(stored.is_empty());
    }

    #[test]
    fn normalize_keeps_the_last_duplicate() {
        let mut m = meta(&[("b", "1"), ("a", "2"), ("b", "3")]);
        m.normalize();
        assert_eq!(m, meta(&[("a", "2"), ("b", "3")]));
        assert_eq!(meta(&[("b", "1"), ("b", "3")]).get_str("b"), Some("3"));
    }

    #[test]
    fn op_flag_bytes() {
        assert_eq!(MetaOp::from_byte(b'O').unwrap(), MetaOp::Overwrite);
        assert_eq!(MetaOp::from_byte(b'M').unwrap().as_byte(), b'M');
        assert!(MetaOp::from_byte(b'X').is_err());
    }

    proptest! {
        #[test]
        fn valid_lists_round_trip(
            pairs in vec((vec(3u8..=255, 1..=64), vec(3u8..=255, 0..=256)), 0..8)
        ) {
            let m: Metadata = pairs.into_iter().collect();
            m.validate().unwrap();
            let blob = m.to_body();
            prop_assert_eq!(blob.len(), m.encoded_len());
            prop_assert_eq!(Metadata::decode(&blob).unwrap(), m);
        }

        #[test]
        fn any_blob_decodes_and_reencodes_stably(blob in vec(any::<u8>(), 0..512)) {
            let m = Metadata::decode(&blob).unwrap();
            let again = Metadata::decode(&m.to_body()).unwrap();
            prop_assert_eq!(again, m);
        }
    }
}
