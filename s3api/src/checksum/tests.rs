//! Vectors come from independent references: Python's `hashlib`/`zlib`
//! and a bitwise CRC written from the catalogue parameters, checked
//! against the catalogue check values for "123456789".

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::FutureExt as _;
use futures_util::StreamExt as _;
use futures_util::stream;
use proptest::prelude::{ProptestConfig, any, prop, proptest};

use super::{
    Checksum, ChecksumAlgorithm, ChecksumError, Hasher, MultiHasher, VerifyError, VerifyingStream,
    composite_checksum, crc_combine, decode_content_md5, encode_content_md5, full_object_checksum,
    multipart_etag, object_checksums,
};

use ChecksumAlgorithm::{Crc32, Crc32c, Crc64Nvme, Sha1, Sha256};

fn b64(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
    Checksum::compute(algorithm, data).to_base64()
}

#[test]
fn catalogue_check_values() {
    let check = b"123456789";
    assert_eq!(Checksum::compute(Crc32, check).crc(), Some(0xCBF4_3926));
    assert_eq!(Checksum::compute(Crc32c, check).crc(), Some(0xE306_9283));
    assert_eq!(Checksum::compute(Crc64Nvme, check).crc(), Some(0xAE8B_1486_0A79_9888));
}

#[test]
fn hello_world_vectors() {
    let d = b"hello world";
    assert_eq!(b64(Crc32, d), "DUoRhQ==");
    assert_eq!(b64(Crc32c, d), "yZRlqg==");
    assert_eq!(b64(Crc64Nvme, d), "jSnVw/bqjr4=");
    assert_eq!(b64(Sha1, d), "Kq5sNclPz7QV2+lfQIuc6R7oRu0=");
    assert_eq!(b64(Sha256, d), "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
}

#[test]
fn empty_vectors() {
    assert_eq!(b64(Crc32, b""), "AAAAAA==");
    assert_eq!(b64(Crc32c, b""), "AAAAAA==");
    assert_eq!(b64(Crc64Nvme, b""), "AAAAAAAAAAA=");
    assert_eq!(b64(Sha1, b""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
    assert_eq!(b64(Sha256, b""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    let digests = MultiHasher::new(&[]).finish();
    assert_eq!(digests.etag(), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(digests.len, 0);
}

#[test]
fn algorithm_names_parse_any_case() {
    for a in ChecksumAlgorithm::ALL {
        assert_eq!(a.as_str().parse::<ChecksumAlgorithm>(), Ok(a));
        assert_eq!(a.as_str().to_lowercase().parse::<ChecksumAlgorithm>(), Ok(a));
        assert_eq!(ChecksumAlgorithm::from_header_name(a.header_name()), Some(a));
        let upper = a.header_name().to_uppercase();
        assert_eq!(ChecksumAlgorithm::from_header_name(&upper), Some(a));
        assert_eq!(Checksum::compute(a, b"x").value().len(), a.digest_len());
    }
    assert_eq!("crc64nvme".parse(), Ok(Crc64Nvme));
    assert_eq!(ChecksumAlgorithm::from_header_name("X-Amz-Checksum-CRC32C"), Some(Crc32c));
    assert!(matches!("MD5".parse::<ChecksumAlgorithm>(), Err(ChecksumError::UnknownAlgorithm(_))));
    assert_eq!(ChecksumAlgorithm::from_header_name("x-amz-checksum-md5"), None);
    assert_eq!(ChecksumAlgorithm::from_header_name("x-amz-checksum-algorithm"), None);
}

#[test]
fn base64_round_trip_and_rejections() {
    let c = Checksum::from_base64(Sha256, "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=").unwrap();
    assert_eq!(c, Checksum::compute(Sha256, b"hello world"));
    assert_eq!(Checksum::from_base64(Crc32, " DUoRhQ== ").unwrap().crc(), Some(0x0d4a_1185));
    // Right base64, wrong algorithm length.
    assert!(matches!(
        Checksum::from_base64(Crc64Nvme, "DUoRhQ=="),
        Err(ChecksumError::InvalidLength { expected: 8, actual: 4, .. })
    ));
    assert!(matches!(
        Checksum::from_base64(Crc32, "not base64!"),
        Err(ChecksumError::InvalidEncoding { .. })
    ));
    assert!(matches!(
        Checksum::from_base64(Crc32, &"A".repeat(10_000)),
        Err(ChecksumError::InvalidEncoding { .. })
    ));
    assert!(Checksum::new(Sha1, vec![0; 19]).is_err());
    let md5 = decode_content_md5("XrY7u+Ae7tCTyyK7j1rNww==").unwrap();
    assert_eq!(encode_content_md5(&md5), "XrY7u+Ae7tCTyyK7j1rNww==");
    assert!(decode_content_md5("DUoRhQ==").is_err());
    assert_eq!(Checksum::compute(Sha1, b"").crc(), None);
}

#[test]
fn multi_hasher_computes_all_in_one_pass() {
    let mut m = MultiHasher::new(&[Sha256, Crc32, Crc32]);
    assert!(m.computes(Crc32) && m.computes(Sha256) && !m.computes(Sha1));
    m.update(b"hello ");
    m.update(b"world");
    assert_eq!(m.len(), 11);
    let d = m.finish();
    assert_eq!(d.etag(), "5eb63bbbe01eeed093cb22bb8f5acdc3");
    assert_eq!(d.checksums.len(), 2);
    assert_eq!(d.checksum(Crc32).unwrap().to_base64(), "DUoRhQ==");
    assert_eq!(d.checksum(Sha256), Some(&Checksum::compute(Sha256, b"hello world")));
    assert_eq!(d.checksum(Sha1), None);
}

#[test]
fn multipart_values_match_reference() {
    let parts: [&[u8]; 3] = [b"hello ", b"world", &[b'!'; 1000]];
    let md5s: Vec<[u8; 16]> =
        parts.iter().map(|p| MultiHasher::new(&[]).tap(p).finish().md5).collect();
    assert_eq!(multipart_etag(&md5s), "fe3667cc3c2bb44a1509a067df4ba3f9-3");

    let comp = |a| {
        let sums: Vec<Checksum> = parts.iter().map(|p| Checksum::compute(a, p)).collect();
        composite_checksum(a, &sums).unwrap().to_header_value()
    };
    assert_eq!(comp(Sha256), "9xuWo2AP2dTjonUDm19VgMGFRElg0S0aq6DPyqKwE0U=-3");
    assert_eq!(comp(Sha1), "iIKbj7o3KmkmP05t4bG1nb4gWM4=-3");
    assert_eq!(comp(Crc32), "hWapPQ==-3");
    assert_eq!(comp(Crc32c), "KJYimA==-3");

    let full = |a| {
        let sums: Vec<(Checksum, u64)> =
            parts.iter().map(|p| (Checksum::compute(a, p), p.len() as u64)).collect();
        full_object_checksum(a, &sums).unwrap().to_base64()
    };
    assert_eq!(full(Crc32), "u1Heaw==");
    assert_eq!(full(Crc32c), "2ZpS9A==");
    assert_eq!(full(Crc64Nvme), "cn/snWXejdg=");
}

#[test]
fn object_checksums_from_parts() {
    use std::collections::BTreeMap;
    let parts: [&[u8]; 3] = [b"hello ", b"world", &[b'!'; 1000]];
    let mut maps: Vec<BTreeMap<String, String>> = parts
        .iter()
        .map(|p| {
            [Crc32, Crc64Nvme, Sha1]
                .into_iter()
                .map(|a| (a.as_str().to_string(), b64(a, p)))
                .collect()
        })
        .collect();
    // SHA1 is missing from one part, so the object has none.
    maps[1].remove("SHA1");
    let with_sizes: Vec<(&BTreeMap<String, String>, u64)> =
        maps.iter().zip(parts).map(|(m, p)| (m, p.len() as u64)).collect();
    let got = object_checksums(&with_sizes);
    assert_eq!(got.get("CRC32").map(String::as_str), Some("hWapPQ==-3"));
    assert_eq!(got.get("CRC64NVME").map(String::as_str), Some("cn/snWXejdg="));
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(object_checksums(&[]).is_empty());
    let bad = BTreeMap::from([("CRC32".to_string(), "not base64".to_string())]);
    assert!(object_checksums(&[(&bad, 1)]).is_empty());
}

#[test]
fn multipart_rejections() {
    let crc = Checksum::compute(Crc32, b"a");
    assert_eq!(composite_checksum(Crc32, &[]), Err(ChecksumError::NoParts));
    assert!(matches!(
        composite_checksum(Sha1, std::slice::from_ref(&crc)),
        Err(ChecksumError::MixedAlgorithms { expected: Sha1, actual: Crc32 })
    ));
    assert_eq!(
        full_object_checksum(Sha256, &[(Checksum::compute(Sha256, b""), 0)]),
        Err(ChecksumError::NotCombinable(Sha256))
    );
    assert_eq!(full_object_checksum(Crc32, &[]), Err(ChecksumError::NoParts));
    assert!(full_object_checksum(Crc32c, &[(crc, 1)]).is_err());
    assert_eq!(crc_combine(Sha1, 1, 2, 3), None);
}

trait Tap {
    fn tap(self, data: &[u8]) -> Self;
}

impl Tap for MultiHasher {
    fn tap(mut self, data: &[u8]) -> Self {
        self.update(data);
        self
    }
}

/// Splits `data` at the (sorted, clamped) `cuts` into chunks.
fn split(data: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for c in cuts.into_iter().chain(std::iter::once(data.len())) {
        out.push(Bytes::copy_from_slice(&data[start..c]));
        start = c;
    }
    out
}

type Chunk = Result<Bytes, Infallible>;

/// Drains a verifying stream (all of whose inner items are ready).
fn drain<S>(s: VerifyingStream<S>) -> (Vec<u8>, Option<VerifyError>)
where
    S: futures_core::Stream<Item = Chunk> + Unpin,
{
    let items: Vec<_> = s.collect::<Vec<_>>().now_or_never().unwrap();
    let mut body = Vec::new();
    let mut err = None;
    for item in items {
        match item {
            Ok(b) => body.extend_from_slice(&b),
            Err(e) => err = Some(e),
        }
    }
    (body, err)
}

fn chunks(parts: &[&'static [u8]]) -> stream::Iter<std::vec::IntoIter<Chunk>> {
    stream::iter(parts.iter().map(|p| Ok(Bytes::from_static(p))).collect::<Vec<_>>())
}

#[test]
fn verifying_stream_accepts_correct_digests() {
    let md5 = decode_content_md5("XrY7u+Ae7tCTyyK7j1rNww==").unwrap();
    let s = VerifyingStream::new(chunks(&[b"hello", b" ", b"world"]))
        .expect_md5(md5)
        .expect(Checksum::from_base64(Crc32c, "yZRlqg==").unwrap())
        .compute(Sha1);
    let slot = s.slot();
    let (body, err) = drain(s);
    assert_eq!(body, b"hello world");
    assert!(err.is_none(), "{err:?}");
    let d = slot.take().unwrap();
    assert_eq!(d.md5, md5);
    assert_eq!(d.len, 11);
    assert_eq!(d.checksum(Sha1), Some(&Checksum::compute(Sha1, b"hello world")));
    assert!(slot.take().is_none());
}

#[test]
fn verifying_stream_reports_mismatches() {
    let wrong_md5 = [0u8; 16];
    let s = VerifyingStream::new(chunks(&[b"hello world"]))
        .expect_md5(wrong_md5)
        .expect(Checksum::compute(Crc32, b"other"));
    let slot = s.slot();
    assert!(matches!(drain(s).1, Some(VerifyError::BadDigest)));
    assert!(slot.take().is_none());

    let s = VerifyingStream::new(chunks(&[b"hello", b" world"]))
        .expect(Checksum::compute(Crc64Nvme, b"hello world"))
        .expect(Checksum::compute(Sha256, b"hello"));
    let err = drain(s).1.unwrap();
    assert!(matches!(err, VerifyError::ChecksumMismatch { algorithm: Sha256 }));
    assert!(err.is_mismatch());
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
    assert!(io.get_ref().unwrap().downcast_ref::<VerifyError>().is_some());
}

#[test]
fn verifying_stream_checks_trailers() {
    let ok = VerifyingStream::new(chunks(&[b"hello world"]))
        .expect_trailer(vec![Crc32], || vec![Checksum::compute(Crc32, b"hello world")]);
    assert!(drain(ok).1.is_none());

    let bad = VerifyingStream::new(chunks(&[b"hello world"]))
        .expect_trailer(vec![Crc32], || vec![Checksum::compute(Crc32, b"hello")]);
    assert!(matches!(drain(bad).1, Some(VerifyError::ChecksumMismatch { algorithm: Crc32 })));

    let missing = VerifyingStream::new(chunks(&[b"x"])).expect_trailer(vec![Sha1], Vec::new);
    assert!(matches!(drain(missing).1, Some(VerifyError::MissingChecksum { algorithm: Sha1 })));

    let unannounced = VerifyingStream::new(chunks(&[b"x"]))
        .expect_trailer(vec![], || vec![Checksum::compute(Crc32c, b"x")]);
    assert!(matches!(
        drain(unannounced).1,
        Some(VerifyError::MissingChecksum { algorithm: Crc32c })
    ));
}

#[test]
fn verifying_stream_passes_body_errors_through_and_ends() {
    let inner = stream::iter(vec![
        Ok(Bytes::from_static(b"abc")),
        Err(std::io::Error::other("reset")),
        Ok(Bytes::from_static(b"never")),
    ]);
    let s = VerifyingStream::new(inner).expect_md5([0; 16]);
    let slot = s.slot();
    let items: Vec<_> = s.collect::<Vec<_>>().now_or_never().unwrap();
    assert_eq!(items.len(), 2);
    assert!(matches!(&items[1], Err(VerifyError::Body(_))));
    assert!(slot.take().is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn chunked_equals_one_shot(
        data in prop::collection::vec(any::<u8>(), 0..4096),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let pieces = split(&data, &cuts);
        for a in ChecksumAlgorithm::ALL {
            let mut h = Hasher::new(a);
            for p in &pieces {
                h.update(p);
            }
            assert_eq!(h.finish(), Checksum::compute(a, &data));
        }
        let whole = MultiHasher::new(&ChecksumAlgorithm::ALL).tap(&data).finish();
        let s = VerifyingStream::new(stream::iter(pieces.into_iter().map(Ok::<_, Infallible>)))
            .expect(Checksum::compute(Crc64Nvme, &data))
            .expect_md5(whole.md5)
            .compute(Sha256);
        let slot = s.slot();
        let (body, err) = drain(s);
        assert!(err.is_none());
        assert_eq!(body, data);
        let d = slot.take().unwrap();
        assert_eq!(d.md5, whole.md5);
        assert_eq!(d.checksum(Sha256), whole.checksum(Sha256));
    }

    #[test]
    fn full_object_equals_crc_of_concatenation(
        data in prop::collection::vec(any::<u8>(), 0..4096),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let pieces = split(&data, &cuts);
        for a in [Crc32, Crc32c, Crc64Nvme] {
            let parts: Vec<(Checksum, u64)> = pieces
                .iter()
                .map(|p| (Checksum::compute(a, p), p.len() as u64))
                .collect();
            assert_eq!(full_object_checksum(a, &parts).unwrap(), Checksum::compute(a, &data));
        }
    }
}
