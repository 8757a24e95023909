//! Golden tests for the typed tracker messages against bytes captured from a
//! real FastDFS 6.16.1 cluster (`tests/fixtures/fastdfs`, see its README).
//!
//! Every tracker exchange (cmd ≥ 58 except the unknown 250) is decoded with
//! its typed request and, on success, response; both must re-encode to the
//! captured bytes. Annotated field values (`body+17: group[0].total_mb =
//! 258019`) are compared with the decoded structs, so the field order is
//! checked by the capture's own annotations, not by offsets written here.
//!
//! Two kinds of captured bytes cannot be reproduced and are handled apart:
//! stale padding after a NUL in fixed-width strings (cmds 96–98, flagged
//! "NOT zero" in the fixture; encoders pad with zeros) is zeroed before the
//! comparison, and elided content (long text and system files) is rebuilt
//! from the annotation when the fixture quotes it whole, else only the
//! captured bytes are compared.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use fdfs_protocol::cmd;
use fdfs_protocol::message::{ActiveTest, Decode, Empty, Encode, Quit, Raw, Request};
use fdfs_protocol::tracker::{
    Beat, ChangeResponse, ChangelogReq, CommitNextLeader, DeleteStorage, DiskUsage,
    FetchStorageIds, GetLeader, GetMyIp, GetOneSysFile, GetSysFilesEnd, GetSysFilesStart,
    GroupStat, Join, JoinLeader, ListAllGroups, ListStorage, NotifyNextLeader, ParameterReq,
    QueryFetchAll, QueryFetchOne, QueryStoreWithGroupAll, QueryStoreWithGroupOne,
    QueryStoreWithoutGroupAll, QueryStoreWithoutGroupOne, QueryUpdate, ReplicaChg, ReportStatus,
    ServerAddr, StorageBrief, StorageClusterStatReq, StorageStat, StorageStatBuff, StorageStatus,
    SyncDestReq, SyncNotify, SyncReport, SyncSource, SyncSrcReq, TrackerClusterStatReq,
    TrackerGetStatus, VolumeStatReq,
};
use support::{Dump, Exchange};

/// Fixture files made only of tracker exchanges.
const TRACKER_FILES: &[&str] =
    &["tracker-query.txt", "tracker-monitor.txt", "storage-join-beat.txt", "tracker-leader.txt"];
/// Fixture files whose tracker exchanges (and only those) are checked here.
const MIXED_FILES: &[&str] = &["errors.txt", "new-member-full-sync.txt"];

/// Every command [`check`] knows.
const COVERED: &[u8] = &[
    cmd::TRACKER_JOIN_LEADER,
    cmd::STORAGE_GET_MY_IP,
    cmd::TRACKER_GET_SYS_FILES_START,
    cmd::TRACKER_GET_SYS_FILES_END,
    cmd::TRACKER_GET_ONE_SYS_FILE,
    cmd::TRACKER_GET_STATUS,
    cmd::TRACKER_NOTIFY_NEXT_LEADER,
    cmd::TRACKER_COMMIT_NEXT_LEADER,
    cmd::STORAGE_FETCH_STORAGE_IDS,
    cmd::STORAGE_PARAMETER_REQ,
    cmd::STORAGE_REPORT_STATUS,
    cmd::STORAGE_CHANGELOG_REQ,
    cmd::STORAGE_JOIN,
    cmd::QUIT,
    cmd::STORAGE_BEAT,
    cmd::STORAGE_REPORT_DISK_USAGE,
    cmd::STORAGE_REPLICA_CHG,
    cmd::STORAGE_SYNC_SRC_REQ,
    cmd::STORAGE_SYNC_DEST_REQ,
    cmd::STORAGE_SYNC_NOTIFY,
    cmd::STORAGE_SYNC_REPORT,
    cmd::SERVER_LIST_ALL_GROUPS,
    cmd::SERVER_LIST_STORAGE,
    cmd::SERVER_DELETE_STORAGE,
    cmd::SERVER_GET_LEADER,
    cmd::SERVER_TRACKER_CLUSTER_STAT,
    cmd::SERVER_STORAGE_CLUSTER_STAT,
    cmd::SERVER_STORAGE_VOLUMN_STAT,
    cmd::QUERY_STORE_WITHOUT_GROUP_ONE,
    cmd::QUERY_FETCH_ONE,
    cmd::QUERY_UPDATE,
    cmd::QUERY_STORE_WITH_GROUP_ONE,
    cmd::QUERY_FETCH_ALL,
    cmd::QUERY_STORE_WITHOUT_GROUP_ALL,
    cmd::QUERY_STORE_WITH_GROUP_ALL,
    cmd::ACTIVE_TEST,
];

/// A tracker command: everything from 58 up, except 250 (the unknown
/// command sent to a storage in errors.txt).
fn is_tracker_cmd(cmd: u8) -> bool {
    cmd >= cmd::TRACKER_JOIN_LEADER && cmd != 250
}

fn tracker_exchanges() -> Vec<Exchange> {
    let mut out = Vec::new();
    for file in TRACKER_FILES {
        out.extend(support::load(file));
    }
    for file in MIXED_FILES {
        out.extend(support::load(file).into_iter().filter(|e| is_tracker_cmd(e.cmd)));
    }
    out
}

// ---------------------------------------------------------------- annotations

/// Reads a quoted annotation string (escapes `\n \t \r \\ \" \xNN`); returns
/// the text and what follows the closing quote.
fn unquote(s: &str) -> (String, &str) {
    let inner = s.strip_prefix('"').expect("quoted value");
    let mut out = String::new();
    let mut chars = inner.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &inner[i + 1..]),
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some('x') => {
                    let hex: String = (0..2).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                    out.push(char::from(u8::from_str_radix(&hex, 16).unwrap()));
                }
                Some(other) => out.push(other),
                None => panic!("dangling escape in {s:?}"),
            },
            c => out.push(c),
        }
    }
    panic!("unterminated string {s:?}")
}

/// `(offset, label, value)` of a `body+N: label = value` annotation.
fn parse_note(note: &str) -> Option<(usize, &str, &str)> {
    let rest = note.trim_start_matches("^ ").strip_prefix("body+")?;
    let (offset, rest) = rest.split_once(": ")?;
    let (label, value) = rest.split_once(" = ")?;
    Some((offset.parse().ok()?, label, value))
}

/// The annotated value of `field` (e.g. `group[0].total_mb`): the label
/// matches when it is `field` or `field` followed by ` ...` or `[...]`.
fn note<'a>(d: &'a Dump, field: &str) -> &'a str {
    d.notes
        .iter()
        .filter_map(|n| parse_note(n))
        .find(|(_, label, _)| {
            label.strip_prefix(field).is_some_and(|r| r.is_empty() || r.starts_with([' ', '[']))
        })
        .map(|(_, _, value)| value)
        .unwrap_or_else(|| panic!("no annotation for {field:?} in {:#?}", d.notes))
}

fn note_i64(d: &Dump, field: &str) -> i64 {
    let v = note(d, field);
    v.split_whitespace().next().and_then(|t| t.parse().ok()).unwrap_or_else(|| {
        panic!("annotation {field:?} = {v:?} is not a number");
    })
}

fn note_str(d: &Dump, field: &str) -> String {
    unquote(note(d, field)).0
}

/// Counts the annotated values compared, per command.
#[derive(Default)]
struct Tally(BTreeMap<u8, usize>);

impl Tally {
    fn eq<T: PartialEq + Debug>(&mut self, ex: &Exchange, what: &str, got: T, want: T) {
        assert_eq!(got, want, "{what} in {} ({})", ex.title, ex.file);
        *self.0.entry(ex.cmd).or_default() += 1;
    }

    fn num(&mut self, ex: &Exchange, d: &Dump, field: &str, got: i64) {
        self.eq(ex, field, got, note_i64(d, field));
    }

    fn text(&mut self, ex: &Exchange, d: &Dump, field: &str, got: &str) {
        self.eq(ex, field, got.to_string(), note_str(d, field));
    }

    /// A status byte and, when annotated, its name: `7 (ACTIVE)`.
    fn status(&mut self, ex: &Exchange, d: &Dump, field: &str, got: StorageStatus) {
        self.num(ex, d, field, i64::from(u8::from(got)));
        let value = note(d, field);
        if let Some(name) = value.split_once('(').and_then(|(_, r)| r.split_once(')')) {
            let want = if name.0 == "?" { "UNKNOWN" } else { name.0 };
            self.eq(ex, field, got.name(), want);
        }
    }

    fn brief(&mut self, ex: &Exchange, d: &Dump, prefix: &str, b: &StorageBrief) {
        self.status(ex, d, &format!("{prefix}.status"), b.status);
        self.num(ex, d, &format!("{prefix}.port"), i64::from(b.port));
        self.text(ex, d, &format!("{prefix}.id"), &b.id);
        self.text(ex, d, &format!("{prefix}.ip_addr"), &b.ip);
    }

    fn stat(&mut self, ex: &Exchange, d: &Dump, prefix: &str, s: &StorageStatBuff) {
        let c = &s.connection;
        for (name, v) in [
            ("alloc_count", c.alloc_count),
            ("current_count", c.current_count),
            ("max_count", c.max_count),
        ] {
            self.num(ex, d, &format!("{prefix}.connection.{name}"), i64::from(v));
        }
        for (name, v) in stat_fields(s) {
            self.num(ex, d, &format!("{prefix}.{name}"), v);
        }
    }

    fn sync_source(&mut self, ex: &Exchange, d: &Dump, s: &SyncSource) {
        match &s.0 {
            Some(body) => {
                self.text(ex, d, "src_id", &body.src_id);
                self.num(ex, d, "until_timestamp", body.until_timestamp);
            }
            None => self.eq(ex, "empty sync source", d.total_len, 10),
        }
    }

    fn change(&mut self, ex: &Exchange, d: &Dump, c: &ChangeResponse) {
        self.num(ex, d, "flags", i64::from(c.flags()));
        if let Some(leader) = &c.leader {
            self.brief(ex, d, "leader", leader);
        }
        for (i, b) in c.group_storages.iter().flatten().enumerate() {
            self.brief(ex, d, &format!("storage[{i}]"), b);
        }
    }
}

/// The 42 eight-byte fields of a stat block with their annotation names.
fn stat_fields(s: &StorageStatBuff) -> [(&'static str, i64); 42] {
    [
        ("total_upload_count", s.total_upload_count),
        ("success_upload_count", s.success_upload_count),
        ("total_append_count", s.total_append_count),
        ("success_append_count", s.success_append_count),
        ("total_modify_count", s.total_modify_count),
        ("success_modify_count", s.success_modify_count),
        ("total_truncate_count", s.total_truncate_count),
        ("success_truncate_count", s.success_truncate_count),
        ("total_set_meta_count", s.total_set_meta_count),
        ("success_set_meta_count", s.success_set_meta_count),
        ("total_delete_count", s.total_delete_count),
        ("success_delete_count", s.success_delete_count),
        ("total_download_count", s.total_download_count),
        ("success_download_count", s.success_download_count),
        ("total_get_meta_count", s.total_get_meta_count),
        ("success_get_meta_count", s.success_get_meta_count),
        ("total_create_link_count", s.total_create_link_count),
        ("success_create_link_count", s.success_create_link_count),
        ("total_delete_link_count", s.total_delete_link_count),
        ("success_delete_link_count", s.success_delete_link_count),
        ("total_upload_bytes", s.total_upload_bytes),
        ("success_upload_bytes", s.success_upload_bytes),
        ("total_append_bytes", s.total_append_bytes),
        ("success_append_bytes", s.success_append_bytes),
        ("total_modify_bytes", s.total_modify_bytes),
        ("success_modify_bytes", s.success_modify_bytes),
        ("total_download_bytes", s.total_download_bytes),
        ("success_download_bytes", s.success_download_bytes),
        ("total_sync_in_bytes", s.total_sync_in_bytes),
        ("success_sync_in_bytes", s.success_sync_in_bytes),
        ("total_sync_out_bytes", s.total_sync_out_bytes),
        ("success_sync_out_bytes", s.success_sync_out_bytes),
        ("total_file_open_count", s.total_file_open_count),
        ("success_file_open_count", s.success_file_open_count),
        ("total_file_read_count", s.total_file_read_count),
        ("success_file_read_count", s.success_file_read_count),
        ("total_file_write_count", s.total_file_write_count),
        ("success_file_write_count", s.success_file_write_count),
        ("last_source_update", s.last_source_update),
        ("last_sync_update", s.last_sync_update),
        ("last_synced_timestamp", s.last_synced_timestamp),
        ("last_heart_beat_time", s.last_heart_beat_time),
    ]
}

// ---------------------------------------------------------------- bodies

/// The captured body, with the stale padding that FastDFS leaves after the
/// NUL of some fixed-width strings (annotated "NOT zero") zeroed: our
/// encoders pad with zeros, and decoders ignore bytes after the NUL.
fn golden_body(d: &Dump) -> Vec<Option<u8>> {
    let mut body = d.bytes[10..].to_vec();
    for n in d.notes.iter().filter(|n| n.contains("NOT zero")) {
        let (offset, label, _) = parse_note(n).expect("stale-bytes note names its field");
        let width: usize = label
            .rsplit_once('[')
            .and_then(|(_, w)| w.strip_suffix(']'))
            .and_then(|w| w.parse().ok())
            .expect("stale-bytes field has a width");
        let field = &mut body[offset..offset + width];
        if let Some(nul) = field.iter().position(|b| *b == Some(0)) {
            field[nul..].iter_mut().for_each(|b| *b = Some(0));
        }
    }
    body
}

/// Rebuilds an elided text body from its annotation (`text (N bytes, no
/// NUL) = "..."`: N bytes, crc32=...), checking length, CRC and every
/// captured byte.
fn text_from_note(d: &Dump, body: &[Option<u8>]) -> Option<Vec<u8>> {
    let value = d.notes.iter().filter_map(|n| parse_note(n)).find_map(|(_, label, value)| {
        (label.starts_with("text (") && value.starts_with('"')).then_some(value)
    })?;
    let (text, rest) = unquote(value);
    let crc = rest.rsplit_once("crc32=0x").map(|(_, h)| u32::from_str_radix(h.trim(), 16).unwrap());
    let bytes = text.into_bytes();
    assert_eq!(bytes.len(), body.len(), "annotated text length");
    assert_eq!(crc, Some(crc32fast::hash(&bytes)), "annotated text CRC");
    for (i, b) in body.iter().enumerate() {
        if let Some(b) = b {
            assert_eq!(bytes[i], *b, "annotated text differs from the capture at body+{i}");
        }
    }
    Some(bytes)
}

/// Decodes `body` as `T` and checks it re-encodes to the same bytes (or, for
/// elided ones, to the same captured bytes).
fn decode_exact<T: Decode + Encode + Debug>(ex: &Exchange, d: &Dump, what: &str) -> T {
    let mut body = golden_body(d);
    let (bytes, partial) = if body.iter().all(Option::is_some) {
        (body.iter().map(|b| b.unwrap()).collect(), false)
    } else if let Some(text) = text_from_note(d, &body) {
        body = text.iter().copied().map(Some).collect();
        (text, false)
    } else {
        // File bytes elided by the fixture (system files of cmd 63): decode
        // with zeros in their place and compare only what was captured.
        (body.iter().map(|b| b.unwrap_or(0)).collect::<Vec<u8>>(), true)
    };
    let value = T::decode(&bytes)
        .unwrap_or_else(|e| panic!("{what} of {} ({}): {e}\n{bytes:02x?}", ex.title, ex.file));
    let encoded = value.to_body();
    assert_eq!(encoded.len(), body.len(), "{what} length in {}", ex.title);
    for (i, (got, want)) in encoded.iter().zip(&body).enumerate() {
        if want.is_some() || !partial {
            assert_eq!(Some(*got), *want, "{what} body+{i} re-encoded in {}", ex.title);
        }
    }
    value
}

/// The request, decoded as `R` and re-encoded to the captured bytes.
fn req<R: Request + Debug>(ex: &Exchange) -> R {
    assert_eq!(ex.request.cmd(), R::CMD, "{}", ex.title);
    assert!(ex.request.is_complete(), "request bytes elided in {}", ex.title);
    decode_exact(ex, &ex.request, "request")
}

/// The success response of `R`'s exchange, decoded and re-encoded; `None`
/// for an error status (which must carry no body).
fn resp<R: Request>(ex: &Exchange) -> Option<(R::Response, &Dump)>
where
    R::Response: Debug,
{
    let d = ex.response.as_ref().unwrap_or_else(|| panic!("no response in {}", ex.title));
    assert_eq!(d.cmd(), cmd::RESP, "{}", ex.title);
    if d.status() != 0 {
        assert_eq!(d.total_len, 10, "error response with a body in {}", ex.title);
        return None;
    }
    Some((decode_exact(ex, d, "response"), d))
}

// ---------------------------------------------------------------- dispatch

/// Checks one exchange: request and response round trips and annotated
/// values. Panics on a command it does not know.
fn check(ex: &Exchange, t: &mut Tally) {
    let q = &ex.request;
    match ex.cmd {
        cmd::QUERY_STORE_WITHOUT_GROUP_ONE | cmd::QUERY_STORE_WITH_GROUP_ONE => {
            let reply = if ex.cmd == cmd::QUERY_STORE_WITH_GROUP_ONE {
                let r: QueryStoreWithGroupOne = req(ex);
                t.text(ex, q, "group_name", &r.group);
                resp::<QueryStoreWithGroupOne>(ex)
            } else {
                let _: QueryStoreWithoutGroupOne = req(ex);
                resp::<QueryStoreWithoutGroupOne>(ex)
            };
            if let Some((s, d)) = reply {
                t.text(ex, d, "group_name", &s.group);
                t.text(ex, d, "ip_addr", &s.storage.ip);
                t.num(ex, d, "port", i64::from(s.storage.port));
                t.num(ex, d, "store_path_index", i64::from(s.store_path_index));
            }
        }
        cmd::QUERY_STORE_WITHOUT_GROUP_ALL | cmd::QUERY_STORE_WITH_GROUP_ALL => {
            let reply = if ex.cmd == cmd::QUERY_STORE_WITH_GROUP_ALL {
                let r: QueryStoreWithGroupAll = req(ex);
                t.text(ex, q, "group_name", &r.group);
                resp::<QueryStoreWithGroupAll>(ex)
            } else {
                let _: QueryStoreWithoutGroupAll = req(ex);
                resp::<QueryStoreWithoutGroupAll>(ex)
            };
            if let Some((s, d)) = reply {
                t.text(ex, d, "group_name", &s.group);
                servers(ex, d, &s.storages, t);
                t.num(ex, d, "store_path_index", i64::from(s.store_path_index));
            }
        }
        cmd::QUERY_FETCH_ONE | cmd::QUERY_UPDATE => {
            let (group, filename, reply) = if ex.cmd == cmd::QUERY_FETCH_ONE {
                let r: QueryFetchOne = req(ex);
                (r.group, r.filename, resp::<QueryFetchOne>(ex))
            } else {
                let r: QueryUpdate = req(ex);
                (r.group, r.filename, resp::<QueryUpdate>(ex))
            };
            t.text(ex, q, "group_name", &group);
            t.text(ex, q, "logic filename", &filename);
            if let Some((s, d)) = reply {
                t.text(ex, d, "group_name", &s.group);
                t.text(ex, d, "ip_addr", &s.storage.ip);
                t.num(ex, d, "port", i64::from(s.storage.port));
            }
        }
        cmd::QUERY_FETCH_ALL => {
            let r: QueryFetchAll = req(ex);
            t.text(ex, q, "logic filename", &r.filename);
            if let Some((s, d)) = resp::<QueryFetchAll>(ex) {
                t.text(ex, d, "group_name", &s.group);
                servers(ex, d, &s.storages, t);
            }
        }
        cmd::SERVER_LIST_ALL_GROUPS => {
            let _: ListAllGroups = req(ex);
            let (groups, d) = resp::<ListAllGroups>(ex).expect("list groups succeeds");
            t.eq(
                ex,
                "group count",
                groups.0.len(),
                d.total_len.saturating_sub(10) / GroupStat::LEN,
            );
            for (i, g) in groups.0.iter().enumerate() {
                group_stat(ex, d, &format!("group[{i}]"), g, t);
            }
        }
        cmd::SERVER_LIST_STORAGE => {
            let r: ListStorage = req(ex);
            t.text(ex, q, "group_name", &r.group);
            if let Some(id) = &r.storage_id {
                t.text(ex, q, "storage_id", id);
            }
            if let Some((list, d)) = resp::<ListStorage>(ex) {
                for (i, s) in list.0.iter().enumerate() {
                    storage_stat(ex, d, &format!("storage[{i}]"), s, t);
                }
            }
        }
        cmd::SERVER_DELETE_STORAGE => {
            let r: DeleteStorage = req(ex);
            t.text(ex, q, "group_name", &r.group);
            t.text(ex, q, "storage_id", &r.storage_id);
            let _: Option<(Empty, _)> = resp::<DeleteStorage>(ex);
        }
        cmd::SERVER_GET_LEADER => {
            let _: GetLeader = req(ex);
            if let Some((leader, d)) = resp::<GetLeader>(ex) {
                t.text(ex, d, "text", &leader.0.to_string());
                t.eq(ex, "leader", leader.0, ServerAddr::new("127.0.0.10", 22122));
            } else {
                t.eq(ex, "no leader", ex.response.as_ref().map(Dump::status), Some(2));
            }
        }
        cmd::SERVER_TRACKER_CLUSTER_STAT => {
            let r: TrackerClusterStatReq = req(ex);
            t.num(ex, q, "filter_by", i64::from(r.filter_by));
            t.num(ex, q, "is_active", i64::from(r.is_active));
            t.num(ex, q, "is_leader", i64::from(r.is_leader));
            let (stat, d) = resp::<TrackerClusterStatReq>(ex).expect("tracker stat succeeds");
            t.num(ex, d, "count", stat.0.len() as i64);
            for (i, e) in stat.0.iter().enumerate() {
                let p = format!("tracker[{i}]");
                t.text(ex, d, &format!("{p}.host"), &e.host);
                t.num(ex, d, &format!("{p}.is_leader"), i64::from(e.is_leader));
                t.num(ex, d, &format!("{p}.is_active"), i64::from(e.is_active));
                t.num(ex, d, &format!("{p}.conn.alloc_count"), i64::from(e.conn.alloc_count));
                t.num(ex, d, &format!("{p}.conn.current_count"), i64::from(e.conn.current_count));
                t.num(ex, d, &format!("{p}.conn.max_count"), i64::from(e.conn.max_count));
                t.text(ex, d, &format!("{p}.version"), &e.version);
                t.num(ex, d, &format!("{p}.up_time"), e.up_time);
                t.num(ex, d, &format!("{p}.last_heartbeat_time"), e.last_heartbeat_time);
            }
        }
        cmd::SERVER_STORAGE_CLUSTER_STAT => {
            let r: StorageClusterStatReq = req(ex);
            t.num(ex, q, "op_type", i64::from(r.op_type));
            t.num(ex, q, "is_trunk_server", i64::from(r.is_trunk_server));
            let (stat, d) = resp::<StorageClusterStatReq>(ex).expect("storage stat succeeds");
            t.num(ex, d, "use_storage_id", i64::from(stat.use_storage_id));
            t.num(ex, d, "use_trunk_file", i64::from(stat.use_trunk_file));
            t.num(ex, d, "count", stat.storages.len() as i64);
            for (i, e) in stat.storages.iter().enumerate() {
                let p = format!("storage[{i}]");
                t.text(ex, d, &format!("{p}.id"), &e.id);
                t.text(ex, d, &format!("{p}.host"), &e.host);
                t.num(ex, d, &format!("{p}.is_trunk_server"), i64::from(e.is_trunk_server));
                t.status(ex, d, &format!("{p}.status"), e.status);
                t.num(ex, d, &format!("{p}.conn.max_count"), i64::from(e.conn.max_count));
                t.text(ex, d, &format!("{p}.version"), &e.version);
                t.num(ex, d, &format!("{p}.up_time"), e.up_time);
                t.num(ex, d, &format!("{p}.last_heartbeat_time"), e.last_heartbeat_time);
            }
        }
        cmd::SERVER_STORAGE_VOLUMN_STAT => {
            let r: VolumeStatReq = req(ex);
            t.num(ex, q, "is_space_available", i64::from(r.is_space_available));
            let (stat, d) = resp::<VolumeStatReq>(ex).expect("volume stat succeeds");
            t.num(ex, d, "use_trunk_file", i64::from(stat.use_trunk_file));
            t.num(ex, d, "count", stat.volumes.len() as i64);
            for (i, v) in stat.volumes.iter().enumerate() {
                let p = format!("volume[{i}]");
                t.text(ex, d, &format!("{p}.group_name"), &v.group_name);
                t.num(ex, d, &format!("{p}.total_mb"), v.total_mb);
                t.num(ex, d, &format!("{p}.free_mb"), v.free_mb);
                t.num(ex, d, &format!("{p}.reserved_mb"), v.reserved_mb);
                t.num(ex, d, &format!("{p}.avail_mb"), v.avail_mb);
                t.num(ex, d, &format!("{p}.trunk_free_mb"), v.trunk_free_mb);
                t.num(ex, d, &format!("{p}.is_disk_available"), i64::from(v.is_disk_available));
                t.num(ex, d, &format!("{p}.is_trunk_available"), i64::from(v.is_trunk_available));
            }
        }
        cmd::TRACKER_GET_STATUS => {
            let _: TrackerGetStatus = req(ex);
            let (s, d) = resp::<TrackerGetStatus>(ex).expect("get status succeeds");
            t.num(ex, d, "is_leader", i64::from(s.is_leader));
            t.num(ex, d, "running_time", s.running_time);
            t.num(ex, d, "restart_interval", s.restart_interval);
        }
        cmd::STORAGE_PARAMETER_REQ => {
            let _: ParameterReq = req(ex);
            let (p, _) = resp::<ParameterReq>(ex).expect("parameters succeed");
            t.eq(ex, "parameter count", p.0.len(), 26);
            t.eq(ex, "first key", p.iter().next(), Some(("use_storage_id", "0")));
            t.eq(ex, "use_storage_id", p.get_bool("use_storage_id"), Some(false));
            t.eq(ex, "reserved", p.get("reserved_storage_space"), Some("20.00%"));
            t.eq(ex, "max delay", p.get_i64("storage_sync_file_max_delay"), Some(86400));
            t.eq(ex, "time base", p.get("trunk_create_file_time_base"), Some("02:00"));
            t.eq(
                ex,
                "last key",
                p.0.last().map(|(k, _)| k.as_str()),
                Some("store_slave_file_use_link"),
            );
        }
        cmd::STORAGE_FETCH_STORAGE_IDS => {
            let r: FetchStorageIds = req(ex);
            t.num(ex, q, "start_index", i64::from(r.start_index));
            t.num(ex, q, "allow_empty", i64::from(r.allow_empty));
            let (ids, d) = resp::<FetchStorageIds>(ex).expect("fetch ids succeeds");
            t.num(ex, d, "total", i64::from(ids.total));
            t.num(ex, d, "count", ids.entries.len() as i64);
        }
        cmd::STORAGE_GET_MY_IP => {
            let r: GetMyIp = req(ex);
            t.text(ex, q, "group_name", &r.group);
            t.num(ex, q, "storage_port", i64::from(r.port));
            let (ip, d) = resp::<GetMyIp>(ex).expect("get my ip succeeds");
            t.text(ex, d, "text", &ip.0);
            t.eq(
                ex,
                "own ip",
                ex.title.split_whitespace().nth(1).map(|a| a.starts_with(&ip.0)),
                Some(true),
            );
        }
        cmd::STORAGE_JOIN => {
            let r: Join = req(ex);
            join(ex, q, &r, t);
            let (s, d) = resp::<Join>(ex).expect("join succeeds");
            t.status(ex, d, "my_status", s.my_status);
            t.text(ex, d, "src_id", &s.src_id);
        }
        cmd::STORAGE_SYNC_DEST_REQ => {
            let _: SyncDestReq = req(ex);
            match resp::<SyncDestReq>(ex) {
                Some((s, d)) => t.sync_source(ex, d, &s),
                None => t.eq(ex, "no source yet", ex.response.as_ref().map(Dump::status), Some(2)),
            }
        }
        cmd::STORAGE_SYNC_NOTIFY => {
            let r: SyncNotify = req(ex);
            t.text(ex, q, "src_id", &r.0.src_id);
            t.num(ex, q, "until_timestamp", r.0.until_timestamp);
            let _: Option<(Empty, _)> = resp::<SyncNotify>(ex);
        }
        cmd::STORAGE_SYNC_SRC_REQ => {
            let r: SyncSrcReq = req(ex);
            t.text(ex, q, "group_name", &r.group);
            t.text(ex, q, "dest_storage_id", &r.dest_id);
            if let Some((s, d)) = resp::<SyncSrcReq>(ex) {
                t.sync_source(ex, d, &s);
            }
        }
        cmd::STORAGE_BEAT => {
            let r: Beat = req(ex);
            match &r.stat {
                Some(stat) => t.stat(ex, q, "stat", stat),
                None => t.eq(ex, "empty beat", q.total_len, 10),
            }
            let (c, d) = resp::<Beat>(ex).expect("beat succeeds");
            t.change(ex, d, &c);
        }
        cmd::STORAGE_REPORT_DISK_USAGE => {
            let r: DiskUsage = req(ex);
            for (i, p) in r.paths.iter().enumerate() {
                t.num(ex, q, &format!("path[{i}].total_mb"), p.total_mb);
                t.num(ex, q, &format!("path[{i}].free_mb"), p.free_mb);
            }
            let (c, d) = resp::<DiskUsage>(ex).expect("disk usage succeeds");
            t.change(ex, d, &c);
        }
        cmd::STORAGE_SYNC_REPORT => {
            let r: SyncReport = req(ex);
            for (i, e) in r.entries.iter().enumerate() {
                t.text(ex, q, &format!("entry[{i}].src_storage_id"), &e.src_id);
                let ts = i64::from(e.timestamp);
                t.num(ex, q, &format!("entry[{i}].last_synced_timestamp"), ts);
            }
            let (c, d) = resp::<SyncReport>(ex).expect("sync report succeeds");
            t.change(ex, d, &c);
        }
        cmd::STORAGE_REPORT_STATUS => {
            let r: ReportStatus = req(ex);
            t.text(ex, q, "group_name", &r.group);
            t.brief(ex, q, "storage", &r.storage);
            let _: Option<(Empty, _)> = resp::<ReportStatus>(ex);
        }
        cmd::STORAGE_REPLICA_CHG => {
            let r: ReplicaChg = req(ex);
            for (i, b) in r.storages.iter().enumerate() {
                t.brief(ex, q, &format!("storage[{i}]"), b);
            }
            let _: Option<(Empty, _)> = resp::<ReplicaChg>(ex);
        }
        cmd::STORAGE_CHANGELOG_REQ => {
            match req::<ChangelogReq>(ex) {
                ChangelogReq::BeforeJoin { group, storage_id } => {
                    t.text(ex, q, "group_name", &group);
                    t.text(ex, q, "storage_id", &storage_id);
                }
                ChangelogReq::Joined => t.eq(ex, "empty changelog request", q.total_len, 10),
            }
            if let Some((Raw(log), d)) = resp::<ChangelogReq>(ex) {
                t.eq(ex, "changelog bytes", log, d.body());
            }
        }
        cmd::TRACKER_JOIN_LEADER => {
            let r: JoinLeader = req(ex);
            t.num(ex, q, "up_time", r.up_time);
            t.text(ex, q, "version", &r.version);
            t.num(ex, q, "server_port", i64::from(r.server_port));
            let _: Option<(Empty, _)> = resp::<JoinLeader>(ex);
        }
        cmd::TRACKER_GET_SYS_FILES_START | cmd::TRACKER_GET_SYS_FILES_END => {
            if ex.cmd == cmd::TRACKER_GET_SYS_FILES_START {
                let _: GetSysFilesStart = req(ex);
                let _: Option<(Empty, _)> = resp::<GetSysFilesStart>(ex);
            } else {
                let _: GetSysFilesEnd = req(ex);
                let _: Option<(Empty, _)> = resp::<GetSysFilesEnd>(ex);
            }
            t.eq(ex, "empty body", ex.response.as_ref().map(|d| d.total_len), Some(10));
        }
        cmd::TRACKER_GET_ONE_SYS_FILE => {
            let r: GetOneSysFile = req(ex);
            t.num(ex, q, "file index", i64::from(r.index));
            t.num(ex, q, "offset", r.offset as i64);
            let (chunk, d) = resp::<GetOneSysFile>(ex).expect("sys file succeeds");
            t.num(ex, d, "file_size", chunk.file_size as i64);
            t.eq(ex, "whole file sent", chunk.data.len() as u64, chunk.file_size);
        }
        cmd::TRACKER_NOTIFY_NEXT_LEADER | cmd::TRACKER_COMMIT_NEXT_LEADER => {
            let leader = if ex.cmd == cmd::TRACKER_NOTIFY_NEXT_LEADER {
                let _: Option<(Empty, _)> = resp::<NotifyNextLeader>(ex);
                req::<NotifyNextLeader>(ex).leader
            } else {
                let _: Option<(Empty, _)> = resp::<CommitNextLeader>(ex);
                req::<CommitNextLeader>(ex).leader
            };
            t.text(ex, q, "leader ip:port", &leader.to_string());
            t.eq(ex, "next leader", leader, ServerAddr::new("127.0.0.11", 22122));
        }
        cmd::QUIT => {
            let _: Quit = req(ex);
            t.eq(ex, "no reply to QUIT", ex.response.is_none(), true);
        }
        cmd::ACTIVE_TEST => {
            let _: ActiveTest = req(ex);
            let _: Option<(Empty, _)> = resp::<ActiveTest>(ex);
            t.eq(ex, "empty reply", ex.response.as_ref().map(|d| d.total_len), Some(10));
        }
        other => panic!("no check for tracker command {other} ({})", ex.title),
    }
}

fn servers(ex: &Exchange, d: &Dump, list: &[ServerAddr], t: &mut Tally) {
    for (i, s) in list.iter().enumerate() {
        t.text(ex, d, &format!("server[{i}].ip_addr"), &s.ip);
        t.num(ex, d, &format!("server[{i}].port"), i64::from(s.port));
    }
}

fn group_stat(ex: &Exchange, d: &Dump, p: &str, g: &GroupStat, t: &mut Tally) {
    t.text(ex, d, &format!("{p}.group_name"), &g.group_name);
    for (name, v) in [
        ("total_mb", g.total_mb),
        ("free_mb", g.free_mb),
        ("reserved_mb", g.reserved_mb),
        ("trunk_free_mb", g.trunk_free_mb),
        ("storage_count", g.storage_count),
        ("storage_port", g.storage_port),
        ("readable_server_count", g.readable_server_count),
        ("writable_server_count", g.writable_server_count),
        ("current_write_server", g.current_write_server),
        ("store_path_count", g.store_path_count),
        ("subdir_count_per_path", g.subdir_count_per_path),
        ("current_trunk_file_id", g.current_trunk_file_id),
    ] {
        t.num(ex, d, &format!("{p}.{name}"), v);
    }
}

fn storage_stat(ex: &Exchange, d: &Dump, p: &str, s: &StorageStat, t: &mut Tally) {
    t.status(ex, d, &format!("{p}.status"), s.status);
    t.num(ex, d, &format!("{p}.rw_mode"), i64::from(s.rw_mode));
    t.text(ex, d, &format!("{p}.id"), &s.id);
    t.text(ex, d, &format!("{p}.ip_addr"), &s.ip);
    t.text(ex, d, &format!("{p}.src_id"), &s.src_id);
    t.text(ex, d, &format!("{p}.version"), &s.version);
    for (name, v) in [
        ("join_time", s.join_time),
        ("up_time", s.up_time),
        ("total_mb", s.total_mb),
        ("free_mb", s.free_mb),
        ("reserved_mb", s.reserved_mb),
        ("upload_priority", s.upload_priority),
        ("store_path_count", s.store_path_count),
        ("subdir_count_per_path", s.subdir_count_per_path),
        ("current_write_path", s.current_write_path),
        ("storage_port", s.storage_port),
    ] {
        t.num(ex, d, &format!("{p}.{name}"), v);
    }
    t.stat(ex, d, &format!("{p}.stat"), &s.stat);
    t.num(ex, d, &format!("{p}.if_trunk_server"), i64::from(s.if_trunk_server));
}

fn join(ex: &Exchange, q: &Dump, r: &Join, t: &mut Tally) {
    t.text(ex, q, "group_name", &r.group);
    t.num(ex, q, "storage_port", i64::from(r.storage_port));
    t.num(ex, q, "store_path_count", i64::from(r.store_path_count));
    t.num(ex, q, "subdir_count_per_path", i64::from(r.subdir_count_per_path));
    t.num(ex, q, "upload_priority", r.upload_priority);
    t.num(ex, q, "join_time", r.join_time);
    t.num(ex, q, "up_time", r.up_time);
    t.text(ex, q, "version", &r.version);
    t.num(ex, q, "init_flag", i64::from(r.init_flag));
    t.status(ex, q, "status", r.status);
    t.text(ex, q, "storage_id", &r.storage_id);
    t.text(ex, q, "current_tracker_ip", &r.current_tracker_ip);
    t.num(ex, q, "tracker_count", r.trackers.len() as i64);
    let lines: String = r.trackers.iter().map(|a| format!("{a}\n")).collect();
    t.text(ex, q, "tracker list", &lines);
}

// ---------------------------------------------------------------- tests

#[test]
fn every_tracker_exchange_matches_its_capture() {
    let exchanges = tracker_exchanges();
    assert!(exchanges.len() > 100, "only {} tracker exchanges", exchanges.len());
    let mut tally = Tally::default();
    for ex in &exchanges {
        check(ex, &mut tally);
    }
    let total: usize = tally.0.values().sum();
    eprintln!("{} exchanges, {total} annotated values checked: {:?}", exchanges.len(), tally.0);
    assert!(total > 2000, "only {total} annotated values checked");
    let seen: BTreeSet<u8> = exchanges.iter().map(|e| e.cmd).collect();
    for cmd in seen {
        let n = tally.0.get(&cmd).copied().unwrap_or(0);
        assert!(n > 0, "no annotated value checked for cmd {cmd} ({})", cmd::name(cmd));
    }
}

#[test]
fn every_tracker_command_in_the_fixtures_is_covered() {
    let in_fixtures: BTreeSet<u8> =
        support::load_all().iter().map(|e| e.cmd).filter(|&c| is_tracker_cmd(c)).collect();
    let covered: BTreeSet<u8> = COVERED.iter().copied().collect();
    let missing: Vec<_> = in_fixtures.difference(&covered).collect();
    assert!(missing.is_empty(), "tracker commands without a check: {missing:?}");
    let stale: Vec<_> = covered.difference(&in_fixtures).collect();
    assert!(stale.is_empty(), "covered commands absent from the fixtures: {stale:?}");
}

#[test]
fn the_documented_examples_decode() {
    // §3.2: 92 with a 487-byte record; §0: the IPv6-width record is 517.
    assert_eq!(StorageStat::LEN, 487);
    assert_eq!(StorageStat::LEN_IPV6, 517);
    // §3.4: the captured NOTIFY_NEXT_LEADER body.
    let n = NotifyNextLeader::decode(b"127.0.0.11:22122").unwrap();
    assert_eq!(n.leader, ServerAddr::new("127.0.0.11", 22122));
    // §3.3: JOIN carried status −1 (0xFF) on restarts.
    let join = support::load("tracker-leader.txt")
        .into_iter()
        .find(|e| e.cmd == cmd::STORAGE_JOIN)
        .unwrap();
    let j: Join = req(&join);
    assert_eq!(j.status, StorageStatus::Unknown(255));
    assert_eq!(j.trackers.len(), 2);
}
