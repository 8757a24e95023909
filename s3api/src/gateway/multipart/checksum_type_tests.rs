//! Unit tests of `checksum_type`.

use std::collections::BTreeMap;

use s3s::dto::{self, CompleteMultipartUploadInput};

use super::{UploadChecksum, check_listed_parts, check_whole, object_checksum, requested};
use crate::checksum::{Checksum, ChecksumAlgorithm};
use crate::index::PartInfo;

fn ask(algorithm: Option<&str>, kind: Option<&str>) -> Result<Option<UploadChecksum>, String> {
    let a = algorithm.map(|a| dto::ChecksumAlgorithm::from(a.to_string()));
    let k = kind.map(|k| dto::ChecksumType::from(k.to_string()));
    requested(a.as_ref(), k.as_ref()).map_err(|e| e.code().as_str().to_string())
}

#[test]
fn algorithm_and_type_pairs() {
    let full = |a| Ok(Some(UploadChecksum { algorithm: a, full_object: true }));
    let comp = |a| Ok(Some(UploadChecksum { algorithm: a, full_object: false }));
    assert_eq!(ask(None, None), Ok(None));
    assert_eq!(ask(None, Some("FULL_OBJECT")), Err("InvalidRequest".into()));
    assert_eq!(ask(Some("CRC64NVME"), None), full(ChecksumAlgorithm::Crc64Nvme));
    assert_eq!(ask(Some("CRC32"), None), comp(ChecksumAlgorithm::Crc32));
    assert_eq!(ask(Some("CRC32C"), Some("FULL_OBJECT")), full(ChecksumAlgorithm::Crc32c));
    assert_eq!(ask(Some("SHA256"), Some("COMPOSITE")), comp(ChecksumAlgorithm::Sha256));
    for (a, k) in [("CRC64NVME", "COMPOSITE"), ("SHA1", "FULL_OBJECT"), ("SHA256", "FULL_OBJECT")] {
        assert_eq!(ask(Some(a), Some(k)), Err("InvalidRequest".into()), "{a} {k}");
    }
    assert_eq!(ask(Some("MD5"), None), Err("InvalidRequest".into()));
    assert_eq!(ask(Some("CRC32"), Some("PARTIAL")), Err("InvalidRequest".into()));
}

#[test]
fn the_choice_round_trips_through_the_upload_map() {
    for algorithm in ChecksumAlgorithm::ALL {
        for full_object in [true, false] {
            let c = UploadChecksum { algorithm, full_object };
            let mut sums = BTreeMap::new();
            c.record(&mut sums);
            assert_eq!(UploadChecksum::recorded(&sums), Some(c));
        }
    }
    assert_eq!(UploadChecksum::recorded(&BTreeMap::new()), None);
}

fn part(n: u32, data: &[u8], algorithm: ChecksumAlgorithm) -> PartInfo {
    let value = Checksum::compute(algorithm, data).to_base64();
    PartInfo {
        part_number: n,
        file_id: format!("g/M00/00/00/p{n}"),
        size: data.len() as u64,
        etag: "e".into(),
        checksums: BTreeMap::from([(algorithm.as_str().to_string(), value)]),
        last_modified_ms: 0,
    }
}

#[test]
fn full_object_is_the_crc_of_the_whole() {
    for algorithm in
        [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme]
    {
        let (a, b) = (part(1, b"hello, ", algorithm), part(2, b"world", algorithm));
        let c = UploadChecksum { algorithm, full_object: true };
        let sums = object_checksum(c, &[&a, &b]).unwrap();
        let whole = Checksum::compute(algorithm, b"hello, world").to_base64();
        assert_eq!(sums[algorithm.as_str()], whole);
    }
    let (a, b) = (part(1, b"x", ChecksumAlgorithm::Sha1), part(2, b"y", ChecksumAlgorithm::Sha1));
    let c = UploadChecksum { algorithm: ChecksumAlgorithm::Sha1, full_object: false };
    assert!(object_checksum(c, &[&a, &b]).unwrap()["SHA1"].ends_with("-2"));
    // A part without the upload's algorithm.
    let c = UploadChecksum { algorithm: ChecksumAlgorithm::Crc32, full_object: true };
    let e = object_checksum(c, &[&a]).unwrap_err();
    assert_eq!(e.code().as_str(), "InvalidPart");
}

#[test]
fn listed_part_checksums_must_match() {
    let p = part(1, b"data", ChecksumAlgorithm::Crc32);
    let stored = BTreeMap::from([(1, &p)]);
    let listed = |value: &str| dto::CompletedPart {
        part_number: Some(1),
        checksum_crc32: Some(value.to_string()),
        ..dto::CompletedPart::default()
    };
    let good = Checksum::compute(ChecksumAlgorithm::Crc32, b"data").to_base64();
    assert!(check_listed_parts(&[listed(&good)], &stored).is_ok());
    let other = Checksum::compute(ChecksumAlgorithm::Crc32, b"atad").to_base64();
    let e = check_listed_parts(&[listed(&other)], &stored).unwrap_err();
    assert_eq!(e.code().as_str(), "InvalidPart");
    let e = check_listed_parts(&[listed("!!")], &stored).unwrap_err();
    assert_eq!(e.code().as_str(), "InvalidRequest");
}

#[test]
fn whole_object_values_and_types_must_match() {
    let c = UploadChecksum { algorithm: ChecksumAlgorithm::Crc32, full_object: true };
    let whole = Checksum::compute(ChecksumAlgorithm::Crc32, b"abc").to_base64();
    let computed = BTreeMap::from([("CRC32".to_string(), whole.clone())]);
    let input = |crc: Option<&str>, kind: Option<&str>| CompleteMultipartUploadInput {
        checksum_crc32: crc.map(str::to_string),
        checksum_type: kind.map(|k| dto::ChecksumType::from(k.to_string())),
        ..CompleteMultipartUploadInput::default()
    };
    let code = |i: &CompleteMultipartUploadInput| {
        check_whole(i, Some(c), &computed).err().map(|e| e.code().as_str().to_string())
    };
    assert_eq!(code(&input(Some(&whole), Some("FULL_OBJECT"))), None);
    assert_eq!(code(&input(None, None)), None);
    let wrong = Checksum::compute(ChecksumAlgorithm::Crc32, b"abd").to_base64();
    assert_eq!(code(&input(Some(&wrong), None)).as_deref(), Some("BadDigest"));
    assert_eq!(code(&input(None, Some("COMPOSITE"))).as_deref(), Some("InvalidRequest"));
    assert_eq!(code(&input(Some("nope!"), None)).as_deref(), Some("InvalidRequest"));
    let sha = CompleteMultipartUploadInput {
        checksum_sha1: Some(Checksum::compute(ChecksumAlgorithm::Sha1, b"x").to_base64()),
        ..CompleteMultipartUploadInput::default()
    };
    assert_eq!(code(&sha).as_deref(), Some("InvalidRequest"));
}

proptest::proptest! {
    /// Network input: any listed value never panics.
    #[test]
    fn any_listed_value_is_safe(value in "\\PC{0,40}", n in proptest::prelude::any::<i32>()) {
        let p = part(1, b"data", ChecksumAlgorithm::Crc32);
        let stored = BTreeMap::from([(1, &p)]);
        let given = dto::CompletedPart {
            part_number: Some(n),
            checksum_crc32: Some(value.clone()),
            checksum_crc64nvme: Some(value.clone()),
            ..dto::CompletedPart::default()
        };
        let _ = check_listed_parts(&[given], &stored);
        let input = CompleteMultipartUploadInput {
            checksum_crc32: Some(value),
            ..CompleteMultipartUploadInput::default()
        };
        let _ = check_whole(&input, None, &BTreeMap::new());
    }
}
