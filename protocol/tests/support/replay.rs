//! A replay server: plays exchanges captured from a real FastDFS cluster
//! back to a real client over a real socket.
//!
//! Each accepted connection follows one [`Script`]: for every exchange it
//! reads one request, checks it byte for byte against the capture (elided
//! content by length and the annotated CRC32), then writes the captured
//! response, or closes the connection where the capture has none. Mismatches
//! are collected and reported by [`ReplayServer::finish`], so a client bug
//! shows up as "request differs at byte N" rather than as a hung socket.
//!
//! Elided response content can be replayed only when it can be rebuilt
//! exactly: [`replay_bytes`] fills a gap whose neighbours are the same byte
//! (the fixtures' 300-byte `xxx…` file) and accepts the result only when the
//! annotated CRC32 of the whole range matches.

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{Dump, Exchange};

/// Captured header length.
const HEADER_LEN: usize = 10;

/// How long [`ReplayServer::finish`] waits for the script to be played.
const FINISH_TIMEOUT: Duration = Duration::from_secs(10);

/// What one accepted connection plays.
#[derive(Debug, Clone)]
pub struct Script {
    exchanges: Vec<Exchange>,
    close_after: bool,
}

impl Script {
    /// Plays `exchanges` in order, then expects nothing more (a further
    /// request is reported as an error; a close is fine).
    pub fn new(exchanges: Vec<Exchange>) -> Self {
        Self { exchanges, close_after: false }
    }

    /// Closes the connection right after the last response.
    pub fn then_close(mut self) -> Self {
        self.close_after = true;
        self
    }
}

#[derive(Debug, Default)]
struct Shared {
    accepts: AtomicUsize,
    played: AtomicUsize,
    errors: Mutex<Vec<String>>,
}

impl Shared {
    fn error(&self, message: String) {
        self.errors.lock().unwrap().push(message);
    }
}

/// A listening replay server; see the module doc.
#[derive(Debug)]
pub struct ReplayServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    total: usize,
}

impl ReplayServer {
    /// Listens on 127.0.0.1; the n-th accepted connection plays `scripts[n]`,
    /// any further connection is reported as unexpected.
    pub async fn start(scripts: Vec<Script>) -> Self {
        for script in &scripts {
            for ex in &script.exchanges {
                if let Some(resp) = &ex.response
                    && let Err(e) = replay_bytes(resp)
                {
                    panic!("cannot replay the response of {}: {e}", ex.title);
                }
            }
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let total = scripts.iter().map(|s| s.exchanges.len()).sum();
        let state = shared.clone();
        tokio::spawn(async move {
            let mut scripts = scripts.into_iter();
            while let Ok((stream, _)) = listener.accept().await {
                let n = state.accepts.fetch_add(1, Ordering::SeqCst);
                match scripts.next() {
                    Some(script) => {
                        tokio::spawn(play(stream, script, state.clone()));
                    }
                    None => state.error(format!("unexpected connection #{n}")),
                }
            }
        });
        Self { addr, shared, total }
    }

    /// One connection playing one exchange (the C tools' pattern).
    pub async fn one(exchange: Exchange) -> Self {
        Self::start(vec![Script::new(vec![exchange])]).await
    }

    /// One connection playing `exchanges` in order.
    pub async fn sequence(exchanges: Vec<Exchange>) -> Self {
        Self::start(vec![Script::new(exchanges)]).await
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn accepts(&self) -> usize {
        self.shared.accepts.load(Ordering::SeqCst)
    }

    /// Exchanges played so far.
    pub fn played(&self) -> usize {
        self.shared.played.load(Ordering::SeqCst)
    }

    /// Waits until every scripted exchange was played; panics with every
    /// mismatch seen, or if the script was not played in time.
    pub async fn finish(&self) {
        let deadline = tokio::time::Instant::now() + FINISH_TIMEOUT;
        loop {
            let errors = self.shared.errors.lock().unwrap().clone();
            assert!(errors.is_empty(), "replay server saw:\n{}", errors.join("\n"));
            if self.played() >= self.total {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "only {} of {} scripted exchanges were played",
                self.played(),
                self.total
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn play(mut stream: TcpStream, script: Script, shared: Arc<Shared>) {
    for ex in &script.exchanges {
        let request = match read_request(&mut stream, &ex.request).await {
            Ok(bytes) => bytes,
            Err(e) => return shared.error(format!("{}: {e}", ex.title)),
        };
        if let Err(e) = check_request(&ex.request, &request) {
            return shared.error(format!("{}: {e}", ex.title));
        }
        let Some(response) = &ex.response else {
            // The capture shows the server closing without a reply.
            shared.played.fetch_add(1, Ordering::SeqCst);
            return;
        };
        let bytes = replay_bytes(response).expect("checked at start");
        if let Err(e) = stream.write_all(&bytes).await {
            return shared.error(format!("{}: writing the response: {e}", ex.title));
        }
        shared.played.fetch_add(1, Ordering::SeqCst);
    }
    if script.close_after {
        return;
    }
    let mut byte = [0u8; 1];
    if let Ok(1..) = stream.read(&mut byte).await {
        shared.error(format!("unexpected request after the script (first byte {:02x})", byte[0]));
    }
}

/// Reads one request: the header, checked against the capture before its
/// length is trusted, then the body.
async fn read_request(stream: &mut TcpStream, want: &Dump) -> Result<Vec<u8>, String> {
    let mut header = [0u8; HEADER_LEN];
    stream.read_exact(&mut header).await.map_err(|e| format!("reading the header: {e}"))?;
    let captured: Vec<u8> = want.bytes[..HEADER_LEN].iter().map(|b| b.unwrap()).collect();
    if header[..] != captured[..] {
        return Err(format!("header {} != captured {}", hex(&header), hex(&captured)));
    }
    let mut message = header.to_vec();
    message.resize(want.total_len, 0);
    stream
        .read_exact(&mut message[HEADER_LEN..])
        .await
        .map_err(|e| format!("reading the body: {e}"))?;
    Ok(message)
}

/// Checks `got` (header + body) against a captured request: its length,
/// every captured byte, and the CRC32 of every annotated content range.
/// Every elided byte must lie in such a range.
pub fn check_request(want: &Dump, got: &[u8]) -> Result<(), String> {
    if got.len() != want.total_len {
        return Err(format!("request is {} bytes, captured {}", got.len(), want.total_len));
    }
    if let Some(i) = (0..got.len()).find(|&i| want.bytes[i].is_some_and(|b| b != got[i])) {
        let around = i.saturating_sub(8)..(i + 8).min(got.len());
        return Err(format!(
            "request differs at byte {i}: sent {} where the capture has {}",
            hex(&got[around.clone()]),
            hex_opt(&want.bytes[around]),
        ));
    }
    let ranges = crc_ranges(want)?;
    for (range, crc) in &ranges {
        let got_crc = crc32fast::hash(&got[range.clone()]);
        if got_crc != *crc {
            return Err(format!(
                "content at {range:?} has crc32 {got_crc:#010x}, captured {crc:#010x}"
            ));
        }
    }
    for gap in gaps(want) {
        if !ranges.iter().any(|(r, _)| r.start <= gap.start && gap.end <= r.end) {
            return Err(format!("elided bytes {gap:?} have no CRC32 annotation to check"));
        }
    }
    Ok(())
}

/// The captured message as bytes to send: complete dumps as they are,
/// elided ones rebuilt when that is provably exact (see the module doc).
pub fn replay_bytes(dump: &Dump) -> Result<Vec<u8>, String> {
    let mut bytes = dump.bytes.clone();
    let ranges = crc_ranges(dump)?;
    for gap in gaps(dump) {
        let before = gap.start.checked_sub(1).and_then(|i| dump.bytes[i]);
        let after = dump.bytes.get(gap.end).copied().flatten();
        match (before, after) {
            (Some(a), Some(b)) if a == b => bytes[gap.clone()].fill(Some(a)),
            _ => return Err(format!("elided bytes {gap:?} cannot be rebuilt")),
        }
        if !ranges.iter().any(|(r, _)| r.start <= gap.start && gap.end <= r.end) {
            return Err(format!("elided bytes {gap:?} have no CRC32 annotation to check"));
        }
    }
    let bytes: Vec<u8> = bytes.into_iter().map(|b| b.unwrap()).collect();
    for (range, crc) in &ranges {
        let got = crc32fast::hash(&bytes[range.clone()]);
        if got != *crc {
            return Err(format!("rebuilt {range:?} has crc32 {got:#010x}, annotated {crc:#010x}"));
        }
    }
    Ok(bytes)
}

/// The content ranges (message offsets) annotated with a CRC32, from notes
/// like `body+15: file content: 300 bytes, crc32=0x1b432d13`.
pub fn crc_ranges(dump: &Dump) -> Result<Vec<(Range<usize>, u32)>, String> {
    let mut out = Vec::new();
    for note in &dump.notes {
        let Some((before, after)) = note.split_once(" bytes, crc32=0x") else {
            continue;
        };
        let parse = || -> Option<(Range<usize>, u32)> {
            let offset: usize = note.split("body+").nth(1)?.split(':').next()?.parse().ok()?;
            let len: usize = before.rsplit(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
            let crc = u32::from_str_radix(after.get(..8)?, 16).ok()?;
            let start = HEADER_LEN + offset;
            Some((start..start + len, crc))
        };
        let (range, crc) = parse().ok_or_else(|| format!("unreadable CRC note {note:?}"))?;
        if range.end > dump.total_len {
            return Err(format!("CRC note {note:?} runs past the message"));
        }
        out.push((range, crc));
    }
    Ok(out)
}

/// Runs of elided bytes.
fn gaps(dump: &Dump) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for (i, b) in dump.bytes.iter().enumerate() {
        if b.is_none() {
            match out.last_mut() {
                Some(last) if last.end == i => last.end = i + 1,
                _ => out.push(i..i + 1),
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

fn hex_opt(bytes: &[Option<u8>]) -> String {
    bytes
        .iter()
        .map(|b| b.map_or_else(|| "..".to_string(), |b| format!("{b:02x}")))
        .collect::<Vec<_>>()
        .join(" ")
}
