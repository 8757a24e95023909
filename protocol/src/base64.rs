//! FastDFS's URL-safe base64 variant, used for generated file names.
//!
//! The alphabet is the standard one with `-` in place of `+` and `_` in place
//! of `/`. FastDFS configures `.` as its pad character but never emits it, so
//! 20 bytes (a name block) encode to 27 characters and 12 bytes (trunk
//! position) to 16. When the input length is not a multiple of 3, the last
//! character carries spare low bits (two for 20 bytes: 160 bits in 162); the
//! encoder writes them as zero and the decoder insists on it, so every text
//! that decodes re-encodes to itself and no two names share one block.

use crate::error::DecodeError;

/// The 64 digits in value order.
pub const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// FastDFS's configured pad character; never emitted, never accepted.
pub const PAD: u8 = b'.';

/// Marks a byte that is not a digit in [`DECODE_TABLE`].
const INVALID: u8 = 0xFF;

/// Digit value of every byte, [`INVALID`] for bytes outside the alphabet.
const DECODE_TABLE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Number of characters `len` bytes encode to (no padding).
pub const fn encoded_len(len: usize) -> usize {
    (len / 3) * 4
        + match len % 3 {
            0 => 0,
            1 => 2,
            _ => 3,
        }
}

/// Encodes `bytes` without padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(encoded_len(bytes.len()));
    encode_to(bytes, &mut out);
    out
}

/// Appends the encoding of `bytes` to `out`.
pub fn encode_to(bytes: &[u8], out: &mut String) {
    out.reserve(encoded_len(bytes.len()));
    let digit = |value: u32| char::from(ALPHABET[(value & 0x3F) as usize]);
    let mut chunks = bytes.chunks_exact(3);
    for chunk in &mut chunks {
        let n = u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
        out.extend([digit(n >> 18), digit(n >> 12), digit(n >> 6), digit(n)]);
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.extend([digit(n >> 18), digit(n >> 12)]);
        }
        [a, b] => {
            let n = u32::from(a) << 16 | u32::from(b) << 8;
            out.extend([digit(n >> 18), digit(n >> 12), digit(n >> 6)]);
        }
        _ => {}
    }
}

/// Decodes unpadded text.
///
/// Rejects characters outside the alphabet (including the pad `.`), a
/// length of 1 mod 4 (no byte count encodes to it), and non-zero spare bits
/// in the last character (no encoder produces them).
pub fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    let input = text.as_bytes();
    if input.len() % 4 == 1 {
        return Err(DecodeError::invalid(
            "base64",
            format!("length {} is not a valid encoded length", input.len()),
        ));
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let mut chunks = input.chunks(4);
    for chunk in &mut chunks {
        let mut n: u32 = 0;
        for &c in chunk {
            n = n << 6 | u32::from(digit_value(c)?);
        }
        match chunk.len() {
            4 => out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]),
            3 => {
                // 18 bits: two bytes and two spare bits.
                check_spare_bits(n, 0b11)?;
                out.extend_from_slice(&[(n >> 10) as u8, (n >> 2) as u8]);
            }
            2 => {
                // 12 bits: one byte and four spare bits.
                check_spare_bits(n, 0b1111)?;
                out.push((n >> 4) as u8);
            }
            // Length 1 mod 4 was rejected above; empty chunks do not occur.
            _ => {}
        }
    }
    Ok(out)
}

/// Decodes text that must encode exactly `N` bytes.
pub fn decode_array<const N: usize>(text: &str) -> Result<[u8; N], DecodeError> {
    if text.len() != encoded_len(N) {
        return Err(DecodeError::invalid(
            "base64",
            format!("{} characters where {} encode {N} bytes", text.len(), encoded_len(N)),
        ));
    }
    let bytes = decode(text)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| {
        DecodeError::invalid("base64", format!("decoded {} bytes, expected {N}", bytes.len()))
    })
}

/// Whether `c` is one of the 64 digits.
pub fn is_digit(c: u8) -> bool {
    DECODE_TABLE[usize::from(c)] != INVALID
}

fn digit_value(c: u8) -> Result<u8, DecodeError> {
    match DECODE_TABLE[usize::from(c)] {
        INVALID => Err(DecodeError::invalid("base64", format!("invalid character 0x{c:02x}"))),
        value => Ok(value),
    }
}

fn check_spare_bits(n: u32, mask: u32) -> Result<(), DecodeError> {
    if n & mask == 0 {
        Ok(())
    } else {
        Err(DecodeError::invalid("base64", "non-zero spare bits in the last character"))
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, decode_array, encode, encoded_len};

    #[test]
    fn lengths() {
        assert_eq!(encoded_len(20), 27);
        assert_eq!(encoded_len(12), 16);
        assert_eq!(encoded_len(0), 0);
        assert_eq!(encoded_len(1), 2);
        assert_eq!(encoded_len(2), 3);
    }

    #[test]
    fn name_block_from_the_fixtures() {
        let block = [
            0x7F, 0x00, 0x00, 0x02, 0x6B, 0x07, 0xF2, 0x5F, 0x80, 0x77, 0x90, 0xB8, 0x00, 0x00,
            0x00, 0x16, 0x94, 0x7F, 0x6E, 0x92,
        ];
        assert_eq!(encode(&block), "fwAAAmsH8l-Ad5C4AAAAFpR_bpI");
        assert_eq!(decode_array::<20>("fwAAAmsH8l-Ad5C4AAAAFpR_bpI").unwrap(), block);
    }

    #[test]
    fn standard_vectors_with_substituted_digits() {
        for (raw, text) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xFB, 0xFF, 0xBF], "-_-_"),
        ] {
            assert_eq!(encode(raw), text);
            assert_eq!(decode(text).unwrap(), raw);
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert!(decode("Z").is_err()); // 1 mod 4
        assert!(decode("Zm9v+g").is_err()); // standard digit
        assert!(decode("Zm9v/g").is_err());
        assert!(decode("Zg==").is_err()); // padding
        assert!(decode("Zg..").is_err());
        assert!(decode("Zh").is_err()); // spare bits set
        assert!(decode("Zm9").is_err());
        assert!(decode("Zé").is_err());
        assert!(decode_array::<20>("Zm9v").is_err());
        assert!(decode_array::<20>("fwAAAmsH8l-Ad5C4AAAAFpR_bpJ").is_err());
    }
}
