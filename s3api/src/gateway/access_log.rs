//! The access log (`--access-log FILE|-`): one line per request, written
//! when its response body is finished or abandoned, so `BYTES` is what
//! was actually sent and `DURATION` covers the whole transfer:
//!
//! ```text
//! TIME REQUEST_ID KEY_ID METHOD BUCKET KEY STATUS BYTES DURATION_MS
//! 2026-12-06T19:50:00.123Z 4442587FB7D0A2F9 FDFSKEY GET photos a%20b.jpg 200 5120 1.532
//! ```
//!
//! `-` stands for an unknown field (no key on an unsigned request, no
//! bucket on ListBuckets); BUCKET and KEY are percent-encoded (spaces,
//! `%`, controls, non-ASCII) so a line always splits on spaces into nine
//! fields. Lines go through a bounded channel to a writer thread, so a
//! slow disk never holds up a request; when the channel is full a line
//! is dropped and counted (a WARN says how many). The log is
//! process-wide, like the tracing subscriber: `fdfs` installs it once at
//! start ([`install`]).

use std::io::{self, Write};
use std::pin::Pin;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use s3s::dto::{Timestamp, TimestampFormat};
use s3s::{Body, HttpResponse, StdError};

/// Lines waiting for the writer at most.
const QUEUE: usize = 8192;

/// What BUCKET and KEY encode besides controls and non-ASCII.
const FIELD: &AsciiSet = &CONTROLS.add(b' ').add(b'%').add(b'"');

struct Sink {
    lines: SyncSender<String>,
    dropped: AtomicU64,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Starts the access log: `-` is standard output, anything else a file
/// opened for appending (created if missing). A second call is refused.
pub fn install(dest: &str) -> io::Result<()> {
    let out: Box<dyn Write + Send> = if dest == "-" {
        Box::new(io::stdout())
    } else {
        Box::new(std::fs::OpenOptions::new().create(true).append(true).open(dest)?)
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
    SINK.set(Sink { lines: tx, dropped: AtomicU64::new(0) })
        .map_err(|_| io::Error::other("the access log is already installed"))?;
    std::thread::Builder::new().name("access-log".into()).spawn(move || write_lines(&rx, out))?;
    Ok(())
}

/// Whether [`install`] ran.
pub fn enabled() -> bool {
    SINK.get().is_some()
}

/// The writer thread: a line at a time, flushed whenever the queue is
/// empty.
fn write_lines(rx: &Receiver<String>, out: Box<dyn Write + Send>) {
    let mut out = io::BufWriter::new(out);
    while let Ok(line) = rx.recv() {
        let mut result = out.write_all(line.as_bytes());
        while let Ok(more) = rx.try_recv() {
            result = result.and_then(|()| out.write_all(more.as_bytes()));
        }
        if let Err(e) = result.and_then(|()| out.flush()) {
            tracing::warn!(error = %e, "cannot write the access log");
        }
    }
}

fn send(line: String) {
    let Some(sink) = SINK.get() else { return };
    match sink.lines.try_send(line) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            let n = sink.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "access log writer is behind; lines dropped");
            }
        }
        Err(TrySendError::Disconnected(_)) => {}
    }
}

/// One request's fields, known before its body is sent.
#[derive(Debug, Clone)]
pub struct Entry {
    pub started: Instant,
    pub time: SystemTime,
    pub request_id: String,
    pub key_id: Option<String>,
    pub method: String,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub status: u16,
}

impl Entry {
    /// The log line (with its newline) after `bytes` were sent.
    pub fn line(&self, bytes: u64) -> String {
        let mut time = Vec::new();
        let _ = Timestamp::from(self.time).format(TimestampFormat::DateTime, &mut time);
        let time = String::from_utf8(time).unwrap_or_else(|_| "-".into());
        let field = |v: &Option<String>| match v.as_deref() {
            None | Some("") => "-".to_string(),
            Some(s) => utf8_percent_encode(s, FIELD).to_string(),
        };
        let ms = self.started.elapsed().as_secs_f64() * 1000.0;
        format!(
            "{time} {} {} {} {} {} {} {bytes} {ms:.3}\n",
            self.request_id,
            field(&self.key_id),
            field(&Some(self.method.clone())),
            field(&self.bucket),
            field(&self.key),
            self.status
        )
    }
}

/// Makes `resp`'s body log `entry` when it ends or is dropped.
pub fn wrap(resp: &mut HttpResponse, entry: Entry) {
    let inner = std::mem::take(resp.body_mut());
    *resp.body_mut() = Body::http_body(Counting { inner, bytes: 0, entry: Some(entry) });
}

/// A body counting the bytes it yields; logs on drop.
struct Counting {
    inner: Body,
    bytes: u64,
    entry: Option<Entry>,
}

impl HttpBody for Counting {
    type Data = Bytes;
    type Error = StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StdError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            self.bytes += data.len() as u64;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            send(entry.line(self.bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant, UNIX_EPOCH};

    use super::Entry;

    #[test]
    fn lines_have_nine_space_free_fields() {
        let e = Entry {
            started: Instant::now(),
            time: UNIX_EPOCH + Duration::from_millis(1_765_050_600_123),
            request_id: "4442587FB7D0A2F9".into(),
            key_id: None,
            method: "GET".into(),
            bucket: Some("b".into()),
            key: Some("dir/a b%c\u{e9}\n".into()),
            status: 200,
        };
        let line = e.line(5120);
        assert!(line.ends_with('\n'));
        let f: Vec<&str> = line.trim_end().split(' ').collect();
        assert_eq!(f.len(), 9, "{line}");
        assert_eq!(f[0], "2025-12-06T19:50:00.123Z");
        assert_eq!(
            &f[1..8],
            ["4442587FB7D0A2F9", "-", "GET", "b", "dir/a%20b%25c%C3%A9%0A", "200", "5120"]
        );
        assert!(f[8].parse::<f64>().unwrap() >= 0.0);
    }
}
