//! Golden tests of the typed storage messages against bytes captured from a
//! real FastDFS 6.16.1 cluster (`tests/fixtures/fastdfs`, see its README).
//!
//! For every exchange sent to a storage port: the request (or, for streamed
//! requests, its head) decodes and re-encodes to the captured bytes, the
//! header's `pkg_len` is `head_len + content_len`, captured content matches
//! its annotated CRC32, success replies decode and re-encode to the captured
//! body, and at least one annotated field per command has the decoded value.
//!
//! One deviation is expected and checked explicitly: FastDFS sync senders
//! leave stale bytes after the NUL of the 16-byte group field (flagged in
//! the fixtures with "bytes after the first NUL are NOT zero"). Decoding
//! ignores them, as FastDFS does, so the re-encoded head differs from the
//! capture exactly there: equal up to and including the NUL, zeros after it.

mod support;

use std::collections::BTreeMap;
use std::fmt::Debug;

use fdfs_protocol::message::{ActiveTest, Empty, Raw};
use fdfs_protocol::metadata::{MetaOp, Metadata};
use fdfs_protocol::storage::upload::UPLOAD_HEAD_LEN;
use fdfs_protocol::storage::{
    AppendFile, DeleteFile, DownloadFile, FileIdResponse, FileInfo, GetMetadata, ModifyFile,
    QueryFileInfo, RegenerateAppenderFilename, ReportServerId, SetMetadata, SyncAppendFile,
    SyncCreateFile, SyncDeleteFile, SyncModifyFile, SyncRenameFile, SyncTruncateFile,
    SyncUpdateFile, TruncateFile, UploadAppenderFile, UploadFile, UploadSlaveFile,
};
use fdfs_protocol::{Decode, Encode, HEADER_LEN, Header, Request, Status, Streamed, cmd};
use support::{Dump, Exchange};

/// Fixture files whose exchanges all go to a storage port.
const STORAGE_FILES: &[&str] = &[
    "storage-upload.txt",
    "storage-download.txt",
    "storage-appender.txt",
    "storage-metadata.txt",
    "storage-delete.txt",
    "storage-sync.txt",
];

/// Fixture files that mix tracker and storage exchanges.
const MIXED_FILES: &[&str] = &["errors.txt", "new-member-full-sync.txt"];

/// The command code the capture used to probe an unknown command.
const UNKNOWN_CMD: u8 = 250;

/// Every storage command [`check`] knows.
const COVERED: &[u8] = &[
    cmd::REPORT_SERVER_ID,
    cmd::UPLOAD_FILE,
    cmd::DELETE_FILE,
    cmd::SET_METADATA,
    cmd::DOWNLOAD_FILE,
    cmd::GET_METADATA,
    cmd::SYNC_CREATE_FILE,
    cmd::SYNC_DELETE_FILE,
    cmd::SYNC_UPDATE_FILE,
    cmd::UPLOAD_SLAVE_FILE,
    cmd::QUERY_FILE_INFO,
    cmd::UPLOAD_APPENDER_FILE,
    cmd::APPEND_FILE,
    cmd::SYNC_APPEND_FILE,
    cmd::MODIFY_FILE,
    cmd::SYNC_MODIFY_FILE,
    cmd::TRUNCATE_FILE,
    cmd::SYNC_TRUNCATE_FILE,
    cmd::REGENERATE_APPENDER_FILENAME,
    cmd::SYNC_RENAME_FILE,
    cmd::ACTIVE_TEST,
    UNKNOWN_CMD,
];

const STALE_NOTE: &str = "bytes after the first NUL are NOT zero";

fn sent_to_storage(ex: &Exchange) -> bool {
    ex.title.contains("-> storage")
}

/// The storage exchanges under test.
fn storage_exchanges() -> Vec<Exchange> {
    let mut out: Vec<Exchange> = STORAGE_FILES.iter().flat_map(|f| support::load(f)).collect();
    for ex in MIXED_FILES.iter().flat_map(|f| support::load(f)) {
        if sent_to_storage(&ex) {
            assert!(ex.cmd < 58 || ex.cmd == cmd::ACTIVE_TEST || ex.cmd == UNKNOWN_CMD);
            out.push(ex);
        }
    }
    out
}

// ---------------------------------------------------------------- annotations

/// The value annotated for `field`: the text after the last ` = ` of the
/// first note mentioning it; a quoted string without its quotes (with
/// `\x01`/`\x02` escapes decoded), otherwise the first word.
fn noted(dump: &Dump, field: &str) -> Vec<u8> {
    let note = dump
        .notes
        .iter()
        .find(|n| n.contains(field))
        .unwrap_or_else(|| panic!("no note for {field:?} in {:?}", dump.notes));
    let from = &note[note.find(field).unwrap()..];
    let value = from[from.rfind(" = ").expect("` = ` after the field") + 3..].trim_start();
    if let Some(quoted) = value.strip_prefix('"') {
        let text = &quoted[..quoted.find('"').expect("closing quote")];
        text.replace("\\x01", "\u{1}").replace("\\x02", "\u{2}").into_bytes()
    } else {
        value.split_whitespace().next().unwrap().as_bytes().to_vec()
    }
}

fn noted_str(dump: &Dump, field: &str) -> String {
    String::from_utf8(noted(dump, field)).unwrap()
}

fn noted_u64(dump: &Dump, field: &str) -> u64 {
    noted_str(dump, field).parse().unwrap_or_else(|e| panic!("{field}: {e}"))
}

/// `(length, crc32)` from a `N bytes, crc32=0x...` content annotation.
fn noted_content(dump: &Dump) -> (usize, u32) {
    let note = dump
        .notes
        .iter()
        .find(|n| n.contains(" bytes, crc32=0x"))
        .unwrap_or_else(|| panic!("no content note in {:?}", dump.notes));
    let (before, after) = note.split_once(" bytes, crc32=0x").unwrap();
    let len = before.rsplit(' ').next().unwrap().parse().unwrap();
    let crc = u32::from_str_radix(&after[..8], 16).unwrap();
    (len, crc)
}

// ------------------------------------------------------------------ requests

/// Outcome counters across all exchanges.
#[derive(Default, Debug)]
struct Tally {
    /// Requests whose re-encoding differs only in stale group bytes.
    stale_group: usize,
    /// Content blocks whose CRC32 was checked.
    crc_checked: usize,
    /// Content blocks elided in the fixture (length checked only).
    elided: usize,
    /// Success replies decoded and re-encoded.
    replies: usize,
}

fn request_header(ex: &Exchange) -> Header {
    Header::decode(&ex.request.known_prefix()).unwrap()
}

/// Compares a captured head with its re-encoding. They must be equal, or
/// differ only after the NUL of the group field at `group_at` in a request
/// the fixture flags as carrying stale bytes there (the re-encoding has
/// zeros). Returns whether that exception applied.
fn same_head(ex: &Exchange, captured: &[u8], encoded: &[u8], group_at: Option<usize>) -> bool {
    if captured == encoded {
        return false;
    }
    assert_eq!(captured.len(), encoded.len(), "{}: re-encoded length", ex.title);
    let g = group_at.unwrap_or_else(|| panic!("{}: re-encoding differs", ex.title));
    assert!(ex.request.noted(STALE_NOTE), "{}: group differs but not flagged stale", ex.title);
    let nul = captured[g..g + 16].iter().position(|&b| b == 0).expect("NUL in group field");
    let stale = g + nul + 1..g + 16;
    for (i, (&c, &e)) in captured.iter().zip(encoded).enumerate() {
        if stale.contains(&i) {
            assert_eq!(e, 0, "{}: byte {i} after the group NUL", ex.title);
        } else {
            assert_eq!(c, e, "{}: byte {i}", ex.title);
        }
    }
    true
}

/// Decodes a request whose body is fully captured and re-encodes it.
fn whole<T: Request + Debug>(ex: &Exchange, group_at: Option<usize>, t: &mut Tally) -> T {
    let header = request_header(ex);
    assert_eq!(header.cmd, T::CMD);
    let body = ex.request.body();
    assert_eq!(header.pkg_len, body.len() as u64);
    let msg = T::decode(&body).unwrap_or_else(|e| panic!("{}: {e}", ex.title));
    t.stale_group += usize::from(same_head(ex, &body, &msg.to_body(), group_at));
    msg
}

/// Decodes a streamed request's head (found with `head_len`) and re-encodes
/// it. Returns the head and its length.
fn head<T: Streamed + Debug>(ex: &Exchange, group_at: Option<usize>, t: &mut Tally) -> (T, usize) {
    assert_eq!(request_header(ex).cmd, T::CMD);
    let known = ex.request.body_prefix();
    let head_len = T::head_len(&known[..T::PREFIX_LEN]).unwrap();
    let msg = T::decode(&known[..head_len]).unwrap_or_else(|e| panic!("{}: {e}", ex.title));
    t.stale_group += usize::from(same_head(ex, &known[..head_len], &msg.to_body(), group_at));
    (msg, head_len)
}

/// Checks `pkg_len = head_len + content_len` and the captured content.
fn content<T: Streamed>(ex: &Exchange, msg: &T, head_len: usize, t: &mut Tally) {
    let header = request_header(ex);
    assert_eq!(header.pkg_len, head_len as u64 + msg.content_len(), "{}: pkg_len", ex.title);
    check_content(&ex.request, &ex.request.bytes[HEADER_LEN + head_len..], t);
}

/// Checks a content block against its `N bytes, crc32=...` annotation.
fn check_content(dump: &Dump, content: &[Option<u8>], t: &mut Tally) {
    if content.is_empty() {
        return;
    }
    let (len, crc) = noted_content(dump);
    assert_eq!(content.len(), len);
    match content.iter().copied().collect::<Option<Vec<u8>>>() {
        Some(bytes) => {
            assert_eq!(crc32fast::hash(&bytes), crc, "content CRC32");
            t.crc_checked += 1;
        }
        None => t.elided += 1,
    }
}

// ----------------------------------------------------------------- responses

/// The response header (every storage exchange in the fixtures has one).
fn response(ex: &Exchange) -> (&Dump, Header) {
    let resp = ex.response.as_ref().unwrap_or_else(|| panic!("{}: no response", ex.title));
    let header = Header::decode(&resp.known_prefix()).unwrap();
    assert_eq!(header.cmd, cmd::RESP);
    assert_eq!(header.pkg_len as usize + HEADER_LEN, resp.total_len);
    if header.status != 0 {
        assert_eq!(header.pkg_len, 0, "{}: error replies carry no body", ex.title);
    }
    (resp, header)
}

/// Decodes a success reply and re-encodes it; `None` for an error status.
fn reply<'a, R: Decode + Encode + Debug>(ex: &'a Exchange, t: &mut Tally) -> Option<(R, &'a Dump)> {
    let (resp, header) = response(ex);
    if header.status != 0 {
        return None;
    }
    let body = resp.body();
    let r = R::decode(&body).unwrap_or_else(|e| panic!("{}: reply: {e}", ex.title));
    assert_eq!(&r.to_body()[..], &body[..], "{}: reply re-encoding", ex.title);
    t.replies += 1;
    Some((r, resp))
}

fn check_file_id_reply(ex: &Exchange, t: &mut Tally) {
    if let Some((r, resp)) = reply::<FileIdResponse>(ex, t) {
        assert_eq!(r.group, noted_str(resp, "group_name[16]"));
        assert_eq!(r.filename, noted_str(resp, "logic filename"));
        r.validate().unwrap();
    }
}

// ------------------------------------------------------------------- dispatch

/// Checks one storage exchange.
fn check(ex: &Exchange, t: &mut Tally) {
    let req = &ex.request;
    match ex.cmd {
        cmd::UPLOAD_FILE | cmd::UPLOAD_APPENDER_FILE => {
            let (spi, size, ext) = if ex.cmd == cmd::UPLOAD_FILE {
                let (m, n) = head::<UploadFile>(ex, None, t);
                content(ex, &m, n, t);
                (m.store_path_index, m.file_size, m.ext)
            } else {
                let (m, n) = head::<UploadAppenderFile>(ex, None, t);
                content(ex, &m, n, t);
                (m.store_path_index, m.file_size, m.ext)
            };
            assert_eq!(u64::from(spi), noted_u64(req, "store_path_index"));
            assert_eq!(size, noted_u64(req, "file_size"));
            assert_eq!(ext, noted_str(req, "file_ext_name[6]"));
            check_file_id_reply(ex, t);
        }
        cmd::UPLOAD_SLAVE_FILE => {
            let (m, n) = head::<UploadSlaveFile>(ex, None, t);
            content(ex, &m, n, t);
            assert_eq!(m.master_filename.len() as u64, noted_u64(req, "master_filename_len"));
            assert_eq!(m.master_filename, noted_str(req, "master logic filename"));
            assert_eq!(m.prefix, noted_str(req, "prefix_name[16]"));
            assert_eq!(m.ext, noted_str(req, "file_ext_name[6]"));
            assert_eq!(m.file_size, noted_u64(req, "file_size"));
            check_file_id_reply(ex, t);
            if let Some((r, _)) = reply::<FileIdResponse>(ex, &mut Tally::default()) {
                // `<master without .ext><prefix>.<ext>`
                let stem = m.master_filename.rsplit_once('.').unwrap().0;
                assert_eq!(r.filename, format!("{stem}{}.{}", m.prefix, m.ext));
            }
        }
        cmd::DOWNLOAD_FILE => {
            let m: DownloadFile = whole(ex, Some(16), t);
            assert_eq!(m.offset, noted_u64(req, "file_offset"));
            assert_eq!(m.length, noted_u64(req, "download_bytes"));
            assert_eq!(m.group, noted_str(req, "group_name[16]"));
            assert_eq!(m.filename, noted_str(req, "logic filename"));
            let (resp, header) = response(ex);
            if header.status == 0 {
                // The file bytes: streamed, possibly elided in the fixture.
                check_content(resp, &resp.bytes[HEADER_LEN..], t);
                if m.length != 0 {
                    assert!(header.pkg_len <= m.length);
                }
                if resp.is_complete() {
                    let _: Option<(Raw, _)> = reply(ex, t);
                }
            }
        }
        cmd::QUERY_FILE_INFO => {
            let mut m: QueryFileInfo = whole(ex, Some(0), t);
            // The flags travel in the header status byte.
            m.flags = request_header(ex).status;
            assert_eq!(m.header_status(), req.status());
            assert_eq!(m.filename, noted_str(req, "logic filename"));
            if let Some((info, resp)) = reply::<FileInfo>(ex, t) {
                assert_eq!(info.file_size, noted_u64(resp, "file_size"));
                assert_eq!(info.create_time as u64, noted_u64(resp, "create_timestamp"));
                assert_eq!(u64::from(info.crc32), noted_u64(resp, "crc32"));
                assert_eq!(info.source_ip, noted_str(resp, "source_ip_addr[16]"));
            }
        }
        cmd::DELETE_FILE => {
            let m: DeleteFile = whole(ex, Some(0), t);
            assert_eq!(m.group, noted_str(req, "group_name[16]"));
            assert_eq!(m.filename, noted_str(req, "logic filename"));
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::GET_METADATA => {
            let m: GetMetadata = whole(ex, Some(0), t);
            assert_eq!(m.filename, noted_str(req, "logic filename"));
            if let Some((meta, resp)) = reply::<Metadata>(ex, t) {
                assert_eq!(&meta.to_body()[..], &noted(resp, "metadata (")[..]);
                assert!(!meta.is_empty());
                // FastDFS keeps the list sorted by name.
                let mut sorted = meta.clone();
                sorted.normalize();
                assert_eq!(sorted, meta);
            }
        }
        cmd::SET_METADATA => {
            let m: SetMetadata = whole(ex, Some(17), t);
            assert_eq!(u64::from(m.op.as_byte()), noted_u64(req, "op_flag"));
            assert_eq!(m.group, noted_str(req, "group_name[16]"));
            assert_eq!(m.filename, noted_str(req, "logic filename"));
            assert_eq!(m.filename.len() as u64, noted_u64(req, "filename_len"));
            assert_eq!(m.metadata.encoded_len() as u64, noted_u64(req, "meta_len"));
            assert_eq!(&m.metadata.to_body()[..], &noted(req, "metadata (")[..]);
            m.validate().unwrap();
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::APPEND_FILE => {
            let (m, n) = head::<AppendFile>(ex, None, t);
            content(ex, &m, n, t);
            assert_eq!(m.append_len, noted_u64(req, "append_len"));
            assert_eq!(m.filename, noted_str(req, "appender logic filename"));
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::MODIFY_FILE => {
            let (m, n) = head::<ModifyFile>(ex, None, t);
            content(ex, &m, n, t);
            assert_eq!(m.offset, noted_u64(req, "file_offset"));
            assert_eq!(m.modify_len, noted_u64(req, "modify_len"));
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::TRUNCATE_FILE => {
            let m: TruncateFile = whole(ex, None, t);
            assert_eq!(m.new_size, noted_u64(req, "truncated_file_size"));
            assert_eq!(m.filename, noted_str(req, "appender logic filename"));
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::REGENERATE_APPENDER_FILENAME => {
            let m: RegenerateAppenderFilename = whole(ex, None, t);
            assert_eq!(m.filename, noted_str(req, "appender logic filename"));
            check_file_id_reply(ex, t);
        }
        cmd::REPORT_SERVER_ID => {
            let m: ReportServerId = whole(ex, None, t);
            assert_eq!(m.storage_id, noted_str(req, "storage_id (sender)[16]"));
            m.validate().unwrap();
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::SYNC_CREATE_FILE | cmd::SYNC_UPDATE_FILE => {
            let status = request_header(ex).status;
            let (name, size, ts, group) = if ex.cmd == cmd::SYNC_CREATE_FILE {
                let (mut m, n) = head::<SyncCreateFile>(ex, Some(20), t);
                m.content_omitted = status == SyncCreateFile::NO_CONTENT_STATUS;
                content(ex, &m, n, t);
                (m.filename, m.file_size, m.timestamp, m.group)
            } else {
                let (mut m, n) = head::<SyncUpdateFile>(ex, Some(20), t);
                m.content_omitted = status == SyncUpdateFile::NO_CONTENT_STATUS;
                content(ex, &m, n, t);
                (m.filename, m.file_size, m.timestamp, m.group)
            };
            assert_eq!(name, noted_str(req, "logic filename"));
            assert_eq!(size, noted_u64(req, "file_size"));
            assert_eq!(u64::from(ts), noted_u64(req, "timestamp"));
            assert_eq!(group, noted_str(req, "group_name[16]"));
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::SYNC_DELETE_FILE => {
            let m: SyncDeleteFile = whole(ex, Some(4), t);
            assert_eq!(u64::from(m.timestamp), noted_u64(req, "timestamp"));
            assert_eq!(m.filename, noted_str(req, "logic filename"));
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::SYNC_APPEND_FILE | cmd::SYNC_MODIFY_FILE => {
            let (name, offset, length) = if ex.cmd == cmd::SYNC_APPEND_FILE {
                let (m, n) = head::<SyncAppendFile>(ex, Some(28), t);
                content(ex, &m, n, t);
                (m.filename, m.offset, m.length)
            } else {
                let (m, n) = head::<SyncModifyFile>(ex, Some(28), t);
                content(ex, &m, n, t);
                (m.filename, m.offset, m.length)
            };
            assert_eq!(name, noted_str(req, "logic filename"));
            assert_eq!(offset, noted_u64(req, "start_offset"));
            assert_eq!(length, noted_u64(req, ": length ="));
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::SYNC_TRUNCATE_FILE => {
            let m: SyncTruncateFile = whole(ex, Some(28), t);
            assert_eq!(m.old_size, noted_u64(req, "old_file_size"));
            assert_eq!(m.new_size, noted_u64(req, "new_file_size"));
            assert_eq!(m.group, noted_str(req, "group_name[16]"));
            let _: Option<(Empty, _)> = reply(ex, t);
        }
        cmd::SYNC_RENAME_FILE => {
            let m: SyncRenameFile = whole(ex, Some(20), t);
            assert_eq!(m.dest_filename, noted_str(req, "dest (new) filename"));
            assert_eq!(m.src_filename, noted_str(req, "src (old) filename"));
            assert_eq!(u64::from(m.timestamp), noted_u64(req, "timestamp"));
            // Success echoes the request body.
            if let Some((echo, resp)) = reply::<<SyncRenameFile as Request>::Response>(ex, t) {
                assert_eq!(echo, m);
                assert_eq!(resp.body(), req.body());
            }
        }
        cmd::ACTIVE_TEST => {
            let _: ActiveTest = whole(ex, None, t);
            let _: Option<(Empty, _)> = reply(ex, t);
            assert_eq!(response(ex).1.status, 0);
        }
        UNKNOWN_CMD => {
            assert_eq!(req.total_len, HEADER_LEN);
            let (_, header) = response(ex);
            assert_eq!(Status(header.status), Status::EINVAL);
        }
        other => panic!("{}: storage cmd {other} ({}) not covered", ex.title, cmd::name(other)),
    }
}

// ---------------------------------------------------------------------- tests

#[test]
fn every_storage_exchange_matches_its_capture() {
    let mut tally = Tally::default();
    let mut per_cmd: BTreeMap<u8, usize> = BTreeMap::new();
    let exchanges = storage_exchanges();
    for ex in &exchanges {
        check(ex, &mut tally);
        *per_cmd.entry(ex.cmd).or_default() += 1;
    }
    // Every covered command was exercised by at least one capture.
    for c in COVERED {
        assert!(per_cmd.contains_key(c), "no fixture exercised cmd {c}");
    }
    // Every flagged stale group field was met, and nothing else differed.
    let flagged = exchanges.iter().filter(|e| e.request.noted(STALE_NOTE)).count();
    assert_eq!(tally.stale_group, flagged, "{tally:?}");
    assert!(flagged > 0);
    assert!(tally.crc_checked >= 29 && tally.elided >= 4, "{tally:?}");
    assert!(tally.replies >= 67, "{tally:?}");
    assert!(exchanges.len() >= 98);
}

#[test]
fn every_storage_command_in_the_fixtures_is_covered() {
    let all = support::load_all();
    let to_storage: Vec<&Exchange> = all.iter().filter(|e| sent_to_storage(e)).collect();
    assert!(to_storage.len() >= 90, "{}", to_storage.len());
    for ex in &to_storage {
        assert!(COVERED.contains(&ex.cmd), "{}: cmd {} not covered", ex.file, ex.cmd);
    }
    // The storage-only files hold nothing but storage exchanges.
    for file in STORAGE_FILES {
        for ex in support::load(file) {
            assert!(sent_to_storage(&ex), "{}", ex.title);
        }
    }
    // And `storage_exchanges` selects every storage exchange there is.
    assert_eq!(storage_exchanges().len(), to_storage.len());
}

#[test]
fn unknown_command_is_answered_einval() {
    let ex = support::load("errors.txt").into_iter().find(|e| e.cmd == UNKNOWN_CMD).unwrap();
    assert!(sent_to_storage(&ex));
    let (resp, header) = response(&ex);
    assert_eq!(header, Header::error(Status::EINVAL.0));
    assert_eq!(resp.complete(), Header::error(22).to_bytes());
}

/// The SYNC_TRUNCATE_FILE request of errors.txt carries `group1\0\0M00/00/0`
/// in its group field: decoding reads "group1", and re-encoding writes
/// zeros after the NUL — equal to the capture up to the NUL, different only
/// in the 8 stale bytes.
#[test]
fn stale_group_bytes_are_ignored() {
    let ex =
        support::load("errors.txt").into_iter().find(|e| e.cmd == cmd::SYNC_TRUNCATE_FILE).unwrap();
    let body = ex.request.body();
    let group_field = &body[28..44];
    assert_eq!(group_field, b"group1\0\0M00/00/0");
    let m = SyncTruncateFile::decode(&body).unwrap();
    assert_eq!(m.group, "group1");
    let again = m.to_body();
    assert_eq!(again.len(), body.len());
    assert_eq!(&again[..28 + 7], &body[..28 + 7], "equal up to and including the NUL");
    assert_eq!(&again[28 + 7..44], &[0u8; 9][..]);
    assert_eq!(&again[44..], &body[44..], "equal after the group field");
    let differing: Vec<usize> = (0..body.len()).filter(|&i| again[i] != body[i]).collect();
    assert_eq!(differing, (28 + 8..44).collect::<Vec<_>>());
}

/// fastdfs-protocol.md §11: the upload of `hi\n` and its reply.
#[test]
fn worked_example_upload() {
    let up = UploadFile { store_path_index: 0, file_size: 3, ext: "txt".into() };
    let pkg_len = UPLOAD_HEAD_LEN as u64 + up.content_len();
    let mut wire = Header::request(UploadFile::CMD, pkg_len).to_bytes().to_vec();
    wire.extend_from_slice(&up.to_body());
    wire.extend_from_slice(b"hi\n");
    let expected: &[u8] = &[
        0, 0, 0, 0, 0, 0, 0, 0x12, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0x74, 0x78, 0x74, 0, 0, 0,
        0x68, 0x69, 0x0a,
    ];
    assert_eq!(wire, expected);
    let reply = FileIdResponse {
        group: "group2".into(),
        filename: "M00/05/20/fwAABGsH8DmAWAUhAAAAA-1veno575.txt".into(),
    };
    assert_eq!(reply.to_body().len(), 0x3c);
    assert_eq!(reply.file_id(), "group2/M00/05/20/fwAABGsH8DmAWAUhAAAAA-1veno575.txt");
    // SET_METADATA op bytes as captured.
    assert_eq!(MetaOp::Overwrite.as_byte(), 79);
}
