//! One WARN line per refused or malformed request, rate-limited.
//!
//! `s3s` logs every error it answers as two ERROR lines with debug dumps
//! of the request and the error (its `s3s::ops` and `s3s::service`
//! targets, which the `fdfs` binary turns off by default). A bad
//! signature or a malformed header is the client's problem, not the
//! gateway's: it gets one WARN line with the request ID, the status and
//! the S3 code, and no more than [`PER_SECOND`] such lines are written a
//! second; the next line written says how many were left out. Ordinary
//! outcomes a client asks about (404 NoSuchKey, 409, 412) are DEBUG.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// WARN lines per second at most.
pub const PER_SECOND: u32 = 20;

/// The current one-second window.
struct Window {
    second: u64,
    written: u32,
    suppressed: u64,
}

static WINDOW: Mutex<Window> = Mutex::new(Window { second: 0, written: 0, suppressed: 0 });

/// Whether a line may be written now; `Some(n)`: yes, and `n` lines were
/// left out since the last one written.
fn admit(now_secs: u64) -> Option<u64> {
    let mut w = WINDOW.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if w.second != now_secs {
        w.second = now_secs;
        w.written = 0;
    }
    if w.written >= PER_SECOND {
        w.suppressed += 1;
        return None;
    }
    w.written += 1;
    Some(std::mem::take(&mut w.suppressed))
}

/// Whether a status is an ordinary answer rather than a refusal.
fn ordinary(status: u16) -> bool {
    matches!(status, 304 | 404 | 409 | 412)
}

/// Logs an error response (see the module docs).
pub fn refused(request_id: &str, status: u16, code: &str, method: &str, path: &str) {
    if ordinary(status) {
        tracing::debug!(request_id, status, code, method, path, "request answered with an error");
        return;
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    if let Some(suppressed) = admit(now) {
        tracing::warn!(request_id, status, code, method, path, suppressed, "request refused");
    }
}

#[cfg(test)]
mod tests {
    use super::{PER_SECOND, admit};

    #[test]
    fn at_most_per_second_lines_then_a_count_of_the_rest() {
        let second = 1_000_000_007;
        let mut written = 0;
        for _ in 0..PER_SECOND + 5 {
            if admit(second).is_some() {
                written += 1;
            }
        }
        assert_eq!(written, PER_SECOND);
        assert_eq!(admit(second + 1), Some(5));
        assert_eq!(admit(second + 1), Some(0));
    }
}
