//! The `Range` request header (RFC 9110 §14), for one byte range.
//!
//! Only the `bytes` unit and a single range are served: `a-b`, `a-` and
//! `-n` (the last `n` bytes). Anything else is ignored and the whole file
//! is sent, as RFC 9110 allows a server to do — a malformed header, another
//! unit, and a request for several ranges (which would need a
//! `multipart/byteranges` body). A well-formed single range that starts at
//! or past the end (or asks for the last 0 bytes) is unsatisfiable: `416`.

/// What a `Range` header asks of a file of a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// Send the whole file (no usable range).
    Full,
    /// Send bytes `start..=end` (`end` is below the size).
    Partial {
        /// First byte.
        start: u64,
        /// Last byte, inclusive.
        end: u64,
    },
    /// Nothing of the file matches: `416`.
    Unsatisfiable,
}

impl RangeRequest {
    /// Interprets the `Range` header `value` for a file of `size` bytes.
    pub fn parse(value: &str, size: u64) -> Self {
        let value = value.trim();
        let Some((unit, set)) = value.split_once('=') else { return Self::Full };
        if !unit.trim().eq_ignore_ascii_case("bytes") {
            return Self::Full;
        }
        let mut specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
        let (Some(spec), None) = (specs.next(), specs.next()) else { return Self::Full };
        let Some((first, last)) = spec.split_once('-') else { return Self::Full };
        let (first, last) = (first.trim(), last.trim());
        if first.is_empty() {
            // A suffix: the last `n` bytes.
            let Some(n) = number(last) else { return Self::Full };
            if n == 0 || size == 0 {
                return Self::Unsatisfiable;
            }
            return Self::Partial { start: size - n.min(size), end: size - 1 };
        }
        let Some(start) = number(first) else { return Self::Full };
        let end = if last.is_empty() {
            None
        } else {
            match number(last) {
                Some(end) if end >= start => Some(end),
                _ => return Self::Full,
            }
        };
        if start >= size {
            return Self::Unsatisfiable;
        }
        let end = end.map_or(size - 1, |end| end.min(size - 1));
        Self::Partial { start, end }
    }
}

/// A non-negative decimal, digits only (no sign, no spaces inside).
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::RangeRequest::{self, Full, Partial, Unsatisfiable};

    #[test]
    fn single_ranges() {
        let cases: &[(&str, u64, RangeRequest)] = &[
            ("bytes=0-0", 10, Partial { start: 0, end: 0 }),
            ("bytes=2-5", 10, Partial { start: 2, end: 5 }),
            ("bytes=2-50", 10, Partial { start: 2, end: 9 }),
            ("bytes=7-", 10, Partial { start: 7, end: 9 }),
            ("bytes=-3", 10, Partial { start: 7, end: 9 }),
            ("bytes=-30", 10, Partial { start: 0, end: 9 }),
            ("Bytes = 1 - 2 ", 10, Partial { start: 1, end: 2 }),
            ("bytes=3-4,", 10, Partial { start: 3, end: 4 }),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-5", 0, Unsatisfiable),
        ];
        for (header, size, want) in cases {
            assert_eq!(RangeRequest::parse(header, *size), *want, "{header} of {size}");
        }
    }

    #[test]
    fn ignored_headers_mean_the_whole_file() {
        for header in [
            "",
            "bytes",
            "bytes=",
            "items=0-1",
            "bytes=5-2",
            "bytes=a-b",
            "bytes=-",
            "bytes=+1-2",
            "bytes=1",
            "bytes=0-1,4-5",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(RangeRequest::parse(header, 10), Full, "{header:?}");
        }
    }
}
