//! Reader for the golden fixtures in `tests/fixtures/fastdfs/*.txt`, bytes
//! captured from a real FastDFS 6.16.1 cluster (see the README there).
//!
//! Each exchange is a `### who -> server  cmd N NAME` block with a request and
//! (usually) a response, each dumped as hex lines `  OFFS  xx xx ...`. Long
//! file content is elided (`... (N bytes omitted) ...`); elided bytes are
//! `None` in [`Dump::bytes`], so a test can check every byte that was captured.
#![allow(dead_code)]

pub mod replay;

use std::path::PathBuf;

/// One captured message (header + body).
#[derive(Debug, Clone)]
pub struct Dump {
    /// Total length from the `request (N bytes = ...)` line.
    pub total_len: usize,
    /// Every byte of the message; `None` where the fixture elided it.
    pub bytes: Vec<Option<u8>>,
    /// The annotation lines (everything after the hex), for value checks.
    pub notes: Vec<String>,
}

impl Dump {
    /// Whether every byte was captured.
    pub fn is_complete(&self) -> bool {
        self.bytes.iter().all(Option::is_some)
    }

    /// All bytes; panics if the fixture elided some.
    pub fn complete(&self) -> Vec<u8> {
        self.bytes.iter().map(|b| b.expect("fixture elided bytes")).collect()
    }

    /// The longest fully captured prefix.
    pub fn known_prefix(&self) -> Vec<u8> {
        self.bytes.iter().map_while(|b| *b).collect()
    }

    /// The body (after the 10-byte header); panics if elided.
    pub fn body(&self) -> Vec<u8> {
        self.complete()[10..].to_vec()
    }

    /// The body's captured prefix.
    pub fn body_prefix(&self) -> Vec<u8> {
        let p = self.known_prefix();
        p[10.min(p.len())..].to_vec()
    }

    /// The header's cmd byte.
    pub fn cmd(&self) -> u8 {
        self.bytes[8].unwrap()
    }

    /// The header's status byte.
    pub fn status(&self) -> u8 {
        self.bytes[9].unwrap()
    }

    /// Whether some annotation line contains `needle`.
    pub fn noted(&self, needle: &str) -> bool {
        self.notes.iter().any(|n| n.contains(needle))
    }
}

/// One request/response pair.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The fixture file it came from.
    pub file: String,
    /// The `### ...` title line.
    pub title: String,
    /// The command code from the title.
    pub cmd: u8,
    pub request: Dump,
    /// `None` when the server closed the connection without replying.
    pub response: Option<Dump>,
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fastdfs")
}

/// Every exchange of one fixture file, in order.
pub fn load(file: &str) -> Vec<Exchange> {
    let text = std::fs::read_to_string(fixtures_dir().join(file)).expect("fixture file");
    parse(file, &text)
}

/// Every exchange of every fixture file.
pub fn load_all() -> Vec<Exchange> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    names.iter().flat_map(|n| load(n)).collect()
}

/// Exchanges of every fixture file with the given command code.
pub fn with_cmd(cmd: u8) -> Vec<Exchange> {
    load_all().into_iter().filter(|e| e.cmd == cmd).collect()
}

fn parse(file: &str, text: &str) -> Vec<Exchange> {
    let mut out = Vec::new();
    let mut current: Option<Exchange> = None;
    // Which dump the hex lines go to: 0 = none, 1 = request, 2 = response.
    let mut target = 0;
    for line in text.lines() {
        if let Some(title) = line.strip_prefix("### ") {
            out.extend(current.take());
            let cmd = title
                .split("  cmd ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no cmd in title {title:?}"));
            current = Some(Exchange {
                file: file.to_string(),
                title: title.to_string(),
                cmd,
                request: empty_dump(),
                response: None,
            });
            target = 0;
        } else if let Some(ex) = current.as_mut() {
            if line.starts_with("request (") {
                ex.request = dump_with_len(line);
                target = 1;
            } else if line.starts_with("response (") {
                ex.response = Some(dump_with_len(line));
                target = 2;
            } else if line.starts_with("response: none") {
                target = 0;
            } else if target != 0 {
                let dump =
                    if target == 1 { &mut ex.request } else { ex.response.as_mut().unwrap() };
                add_line(dump, line);
            }
        }
    }
    out.extend(current);
    out
}

fn empty_dump() -> Dump {
    Dump { total_len: 0, bytes: Vec::new(), notes: Vec::new() }
}

fn dump_with_len(line: &str) -> Dump {
    let n: usize = line
        .split('(')
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad length line {line:?}"));
    Dump { total_len: n, bytes: vec![None; n], notes: Vec::new() }
}

/// A hex line is `  OFFS  xx xx ... [| xx | xx]   annotation`.
fn add_line(dump: &mut Dump, line: &str) {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    let mut parts = trimmed.splitn(2, "  ");
    let offs = parts.next().unwrap_or("");
    let is_hex_line = indent == 2 && offs.len() == 4 && offs.chars().all(|c| c.is_ascii_hexdigit());
    if !is_hex_line {
        if !trimmed.is_empty() {
            dump.notes.push(trimmed.to_string());
        }
        return;
    }
    let mut pos = usize::from_str_radix(offs, 16).unwrap();
    let rest = parts.next().unwrap_or("");
    let mut note_start = None;
    let tokens: Vec<&str> = rest.split(' ').collect();
    let mut i = 0;
    let mut blanks = 0;
    while i < tokens.len() {
        let t = tokens[i];
        if t.is_empty() {
            blanks += 1;
            // Two or more spaces after the bytes start the annotation.
            if blanks >= 2 && pos > 0 && tokens[i + 1..].iter().any(|s| !s.is_empty()) {
                let next_is_hex = tokens[i + 1..]
                    .iter()
                    .find(|s| !s.is_empty())
                    .is_some_and(|s| (s.len() == 2 && is_hex_byte(s)) || *s == "|");
                if !next_is_hex {
                    note_start = Some(tokens[i + 1..].join(" "));
                    break;
                }
            }
        } else if t == "|" {
            blanks = 0;
        } else if t.len() == 2 && is_hex_byte(t) {
            blanks = 0;
            assert!(pos < dump.total_len, "byte beyond declared length: {line:?}");
            dump.bytes[pos] = Some(u8::from_str_radix(t, 16).unwrap());
            pos += 1;
        } else {
            note_start = Some(tokens[i..].join(" "));
            break;
        }
        i += 1;
    }
    if let Some(note) = note_start {
        let note = note.trim();
        if !note.is_empty() {
            dump.notes.push(note.to_string());
        }
    }
}

fn is_hex_byte(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_hexdigit())
}

#[test]
fn parser_reads_every_fixture() {
    let all = load_all();
    assert!(all.len() > 200, "only {} exchanges", all.len());
    for ex in &all {
        let req = &ex.request;
        assert!(req.total_len >= 10, "{}", ex.title);
        let head = req.known_prefix();
        assert!(head.len() >= 10, "header elided in {}", ex.title);
        assert_eq!(req.cmd(), ex.cmd, "{}", ex.title);
        let pkg_len = u64::from_be_bytes(head[..8].try_into().unwrap());
        assert_eq!(pkg_len as usize + 10, req.total_len, "{}", ex.title);
        if let Some(resp) = &ex.response {
            let head = resp.known_prefix();
            assert!(head.len() >= 10, "{}", ex.title);
            assert_eq!(resp.cmd(), 100, "{}", ex.title);
        }
    }
}
