//! CRC combination: the CRC of `A ‖ B` from `crc(A)`, `crc(B)` and `|B|`.
//!
//! S3's `FULL_OBJECT` checksum of a multipart upload is the CRC of the
//! whole object, which the gateway never sees in one piece; it is
//! recovered from the part CRCs and lengths. All three CRCs S3 uses
//! (CRC-32, CRC-32C, CRC-64/NVME) are reflected with `init == xorout ==
//! all ones`, for which `crc(A‖B) = crc(A)·x^(8|B|) mod P  ⊕  crc(B)`
//! (the constant terms cancel). The multiplication is carried out in
//! GF(2)[x]/P in the reflected bit order, the same method zlib's
//! `crc32_combine` documents, written here for any width up to 64.

use super::algorithm::ChecksumAlgorithm;

/// Parameters of one reflected CRC.
#[derive(Debug, Clone, Copy)]
struct Reflected {
    /// Bit width (32 or 64).
    width: u32,
    /// Polynomial in reflected order (x^0 at the top bit).
    poly: u64,
}

impl Reflected {
    fn for_algorithm(algorithm: ChecksumAlgorithm) -> Option<Self> {
        let (width, poly) = match algorithm {
            ChecksumAlgorithm::Crc32 => (32, u64::from(crc::CRC_32_ISO_HDLC.poly.reverse_bits())),
            ChecksumAlgorithm::Crc32c => (32, u64::from(crc::CRC_32_ISCSI.poly.reverse_bits())),
            ChecksumAlgorithm::Crc64Nvme => (64, crc::CRC_64_NVME.poly.reverse_bits()),
            ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => return None,
        };
        Some(Self { width, poly })
    }

    /// The reflected representation of x^0 (the polynomial 1).
    fn one(self) -> u64 {
        1u64 << (self.width - 1)
    }

    /// `a · b mod P`, both in reflected order.
    fn mul(self, a: u64, mut b: u64) -> u64 {
        let mut m = self.one();
        let mut p = 0u64;
        while m != 0 {
            if a & m != 0 {
                p ^= b;
            }
            b = if b & 1 != 0 { (b >> 1) ^ self.poly } else { b >> 1 };
            m >>= 1;
        }
        p
    }

    /// `x^(8·len) mod P`, by square-and-multiply over the bits of `len`.
    fn x_pow_8n(self, mut len: u64) -> u64 {
        let mut result = self.one();
        // x^8: x^1 is one() >> 1; squaring three times gives x^8.
        let mut square = self.one() >> 1;
        for _ in 0..3 {
            square = self.mul(square, square);
        }
        while len != 0 {
            if len & 1 != 0 {
                result = self.mul(square, result);
            }
            square = self.mul(square, square);
            len >>= 1;
        }
        result
    }
}

/// The CRC of `A ‖ B` given `crc1 = crc(A)`, `crc2 = crc(B)`, `len2 = |B|`.
///
/// Returns `None` for SHA algorithms, which cannot be combined.
pub fn crc_combine(algorithm: ChecksumAlgorithm, crc1: u64, crc2: u64, len2: u64) -> Option<u64> {
    let r = Reflected::for_algorithm(algorithm)?;
    if len2 == 0 {
        return Some(crc1);
    }
    Some(r.mul(r.x_pow_8n(len2), crc1) ^ crc2)
}
