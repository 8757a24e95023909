//! The sealed format's promises, checked over random sizes, ranges and
//! damage: a round trip gives the plaintext back, any window decrypts to
//! exactly its range, and a flipped, reordered, truncated or extended
//! file is an error, never wrong bytes. Also: envelope decoding never
//! panics on arbitrary bytes (they come from storage tags).

use std::io;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream;
use proptest::prelude::*;

use super::envelope::{DataKey, Envelope};
use super::segments::{
    FileKey, SEGMENT, TAG, Window, cipher_len, open_all, plain_len, seal_all, segment_count,
};
use super::stream::{Decrypting, Encrypting};
use super::{CustomerKey, EnvelopeError, MasterKey};

fn plaintext(size: usize, seed: u8) -> Vec<u8> {
    (0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// `bytes` as a stream of chunks of `chunk` bytes.
fn chunked(
    bytes: &[u8],
    chunk: usize,
) -> impl futures_core::Stream<Item = io::Result<Bytes>> + Unpin {
    let chunks: Vec<io::Result<Bytes>> =
        bytes.chunks(chunk.max(1)).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    stream::iter(chunks)
}

fn collect<S>(s: S) -> io::Result<Vec<u8>>
where
    S: futures_core::Stream<Item = io::Result<Bytes>> + Unpin,
{
    futures_util::FutureExt::now_or_never(async move {
        let mut s = s;
        let mut out = Vec::new();
        while let Some(item) = s.next().await {
            out.extend_from_slice(&item?);
        }
        Ok(out)
    })
    .expect("in-memory streams are always ready")
}

/// Decrypts plaintext `start..end` of `sealed` the way a GET does: fetch
/// the window, with the header in the same read when it starts at 0.
fn read_range(
    dk: &[u8; 32],
    part: u32,
    size: u64,
    sealed: &[u8],
    start: u64,
    end: u64,
    chunk: usize,
) -> io::Result<Vec<u8>> {
    let w = Window::new(size, start, end);
    let off = usize::try_from(w.offset).unwrap();
    let len = usize::try_from(w.len).unwrap();
    let fetched = sealed.get(off..off + len).unwrap_or(&sealed[off.min(sealed.len())..]);
    let (body, header) = if w.first == 0 {
        let mut all = sealed[..32].to_vec();
        all.extend_from_slice(fetched);
        (all, None)
    } else {
        (fetched.to_vec(), Some(&sealed[..32]))
    };
    let d = Decrypting::new(chunked(&body, chunk), *dk, part, size, w, header)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    collect(d)
}

const MAX: usize = 3 * SEGMENT + 100;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn streaming_round_trip(size in 0..MAX, chunk in 1usize..100_000, part in 0u32..3) {
        let plain = plaintext(size, 3);
        let dk = DataKey::generate().0;
        let key = FileKey::create(&dk, part);
        let sealed = collect(Encrypting::new(chunked(&plain, chunk), key.clone(), size as u64)).unwrap();
        prop_assert_eq!(sealed.len() as u64, cipher_len(size as u64));
        prop_assert_eq!(plain_len(sealed.len() as u64), Some(size as u64));
        prop_assert_eq!(open_all(&dk, part, size as u64, &sealed).unwrap(), plain.clone());
        // No plaintext segment shows through.
        if size >= 64 {
            prop_assert!(!sealed.windows(64).any(|w| w == &plain[..64]));
        }
        prop_assert_eq!(seal_all(&key, &plain).len(), sealed.len());
    }

    #[test]
    fn any_range_decrypts_to_exactly_it(size in 1..MAX, a in any::<u64>(), b in any::<u64>(), chunk in 1usize..70_000) {
        let plain = plaintext(size, 9);
        let dk = DataKey::generate().0;
        let sealed = seal_all(&FileKey::create(&dk, 1), &plain);
        let (x, y) = (a % size as u64, b % size as u64);
        let (start, end) = (x.min(y), x.max(y) + 1);
        let got = read_range(&dk, 1, size as u64, &sealed, start, end, chunk).unwrap();
        prop_assert_eq!(&got[..], &plain[start as usize..end as usize]);
    }

    #[test]
    fn a_flipped_bit_is_an_error(size in 0..MAX, at in any::<usize>(), bit in 0u8..8) {
        let plain = plaintext(size, 1);
        let dk = DataKey::generate().0;
        let mut sealed = seal_all(&FileKey::create(&dk, 0), &plain);
        let at = at % sealed.len();
        sealed[at] ^= 1 << bit;
        prop_assert!(open_all(&dk, 0, size as u64, &sealed).is_err());
        if size > 0 {
            // A read of the segment holding the flip fails too.
            let seg = at.saturating_sub(32) / (SEGMENT + TAG);
            let start = ((seg * SEGMENT) as u64).min(size as u64 - 1);
            prop_assert!(read_range(&dk, 0, size as u64, &sealed, start, size as u64, 4096).is_err());
        }
    }

    #[test]
    fn truncated_or_extended_is_an_error(size in 0..MAX, cut in 1usize..200_000, extra in 1usize..100) {
        let plain = plaintext(size, 5);
        let dk = DataKey::generate().0;
        let sealed = seal_all(&FileKey::create(&dk, 0), &plain);
        let short = &sealed[..sealed.len().saturating_sub(cut)];
        prop_assert!(open_all(&dk, 0, size as u64, short).is_err());
        let mut long = sealed.clone();
        long.extend(std::iter::repeat_n(0u8, extra));
        prop_assert!(open_all(&dk, 0, size as u64, &long).is_err());
        // A stream that ends early or runs long fails the read.
        let w = Window::new(size as u64, 0, size as u64);
        let d = Decrypting::new(chunked(short, 1000), dk, 0, size as u64, w, None).unwrap();
        prop_assert!(collect(d).is_err());
        let d = Decrypting::new(chunked(&long, 1000), dk, 0, size as u64, w, None).unwrap();
        prop_assert!(collect(d).is_err());
    }

    #[test]
    fn envelope_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(e) = Envelope::decode(&bytes) {
            prop_assert_eq!(Envelope::decode(&e.encode()).unwrap(), e);
        }
    }
}

/// A file cut at a segment boundary loses its final-flagged segment: the
/// new last segment fails (its flag says "not final") even though every
/// remaining byte is genuine.
#[test]
fn cut_at_a_segment_boundary_is_an_error() {
    let size = 3 * SEGMENT;
    let plain = plaintext(size, 2);
    let dk = DataKey::generate().0;
    let sealed = seal_all(&FileKey::create(&dk, 0), &plain);
    let cut = &sealed[..32 + 2 * (SEGMENT + TAG)];
    assert!(open_all(&dk, 0, 2 * SEGMENT as u64, cut).is_err());
    assert_eq!(segment_count(size as u64), 3);
}

/// Two segments swapped, or one part's file read as another part, fail.
#[test]
fn reordered_segments_and_swapped_parts_are_errors() {
    let size = 2 * SEGMENT;
    let plain = plaintext(size, 4);
    let dk = DataKey::generate().0;
    let sealed = seal_all(&FileKey::create(&dk, 1), &plain);
    let (head, segs) = sealed.split_at(32);
    let (a, b) = segs.split_at(SEGMENT + TAG);
    let swapped: Vec<u8> = [head, b, a].concat();
    assert!(open_all(&dk, 1, size as u64, &swapped).is_err());
    assert!(open_all(&dk, 2, size as u64, &sealed).is_err());
    assert!(open_all(&DataKey::generate().0, 1, size as u64, &sealed).is_err());
    assert_eq!(open_all(&dk, 1, size as u64, &sealed).unwrap(), plain);
}

/// Bytes past the object's size pass through after the final segment, so
/// the upload sees the body is too long; a short body ends short.
#[test]
fn encrypting_passes_extra_bytes_and_ends_short_input() {
    let dk = DataKey::generate().0;
    let plain = plaintext(1000, 0);
    let out = collect(Encrypting::new(chunked(&plain, 300), FileKey::create(&dk, 0), 900)).unwrap();
    assert_eq!(out.len() as u64, cipher_len(900) + 100);
    assert_eq!(&out[out.len() - 100..], &plain[900..]);
    let out =
        collect(Encrypting::new(chunked(&plain, 300), FileKey::create(&dk, 0), 2000)).unwrap();
    assert!((out.len() as u64) < cipher_len(2000));
}

#[test]
fn envelopes_open_only_with_their_key_and_object() {
    let master = MasterKey::generate();
    let dk = DataKey::generate();
    let s3 = Envelope::seal_s3(&master, "b", "k", &dk);
    assert_eq!(s3.open(&master, None, "b", "k").unwrap().0, dk.0);
    assert_eq!(s3.open(&master, None, "b", "k2").unwrap_err(), EnvelopeError::Unwrap);
    assert_eq!(s3.open(&MasterKey::generate(), None, "b", "k").unwrap_err(), EnvelopeError::Unwrap);

    let key = |b: u8| {
        use base64::Engine;
        use md5::{Digest, Md5};
        let e = base64::engine::general_purpose::STANDARD;
        let raw = [b; 32];
        CustomerKey::from_headers(
            Some("AES256"),
            Some(&e.encode(raw)),
            Some(&e.encode(Md5::digest(raw))),
        )
        .unwrap()
        .unwrap()
    };
    let c = Envelope::seal_customer(&key(1), "b", "k", &dk);
    assert_eq!(c.open(&master, Some(&key(1)), "b", "k").unwrap().0, dk.0);
    assert_eq!(c.open(&master, Some(&key(2)), "b", "k").unwrap_err(), EnvelopeError::WrongKey);
    assert_eq!(c.open(&master, None, "b", "k").unwrap_err(), EnvelopeError::KindMismatch);
    let encoded = c.encode();
    assert!(!encoded.windows(32).any(|w| w == [1u8; 32]));
    assert_eq!(Envelope::decode(&encoded).unwrap(), c);
}

#[test]
fn plain_len_inverts_cipher_len() {
    for size in [0u64, 1, 65_535, 65_536, 65_537, 131_072, 10_000_000] {
        assert_eq!(plain_len(cipher_len(size)), Some(size), "{size}");
    }
    assert_eq!(plain_len(0), None);
    assert_eq!(plain_len(47), None);
    assert_eq!(plain_len(32 + 65_536 + 16 + 1), None);
}
