//! Property tests for every storage message: encode → decode is the
//! identity on valid values (and, for streamed heads, `head_len` of the
//! encoded prefix is the head's length), and no decoder or `head_len`
//! panics on arbitrary bytes.

use std::fmt::Debug;

use proptest::collection::vec;
use proptest::prelude::{Just, Strategy, any, prop_assert_eq, prop_oneof, proptest};
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::TestCaseError;

use crate::message::{Decode, Encode, Request, Streamed};
use crate::metadata::{MetaOp, Metadata};
use crate::storage::{
    AppendFile, CreateLink, DeleteFile, DownloadFile, FetchOnePathBinlog, FileIdResponse, FileInfo,
    GetMetadata, ModifyFile, QueryFileInfo, RegenerateAppenderFilename, ReportServerId,
    SetMetadata, SyncAppendFile, SyncCreateFile, SyncCreateLink, SyncDeleteFile, SyncModifyFile,
    SyncRenameFile, SyncTruncateFile, SyncUpdateFile, TruncateFile, TrunkAllocConfirm,
    TrunkAllocSpace, TrunkBinlogSize, TrunkDeleteBinlogMarks, TrunkFreeSpace, TrunkGetBinlogSize,
    TrunkInfo, TrunkSyncBinlog, TrunkTruncateBinlogFile, UploadAppenderFile, UploadFile,
    UploadSlaveFile, UploadWithMetadata,
};

fn group() -> &'static str {
    "[A-Za-z0-9]{1,16}"
}

fn name() -> &'static str {
    "[A-Za-z0-9/._-]{1,127}"
}

fn ext() -> &'static str {
    "[A-Za-z0-9._-]{0,6}"
}

fn prefix() -> &'static str {
    "[A-Za-z0-9._-]{0,16}"
}

fn size() -> impl Strategy<Value = u64> {
    0..=i64::MAX as u64
}

fn metadata() -> BoxedStrategy<Metadata> {
    vec((vec(3u8..=255, 1..=64), vec(3u8..=255, 0..=256)), 0..4)
        .prop_map(|pairs| pairs.into_iter().collect())
        .boxed()
}

fn trunk_info() -> impl Strategy<Value = TrunkInfo> {
    (any::<[u8; 3]>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
        |(p, id, offset, size)| TrunkInfo {
            store_path_index: p[0],
            sub_path_high: p[1],
            sub_path_low: p[2],
            id,
            offset,
            size,
        },
    )
}

/// Encode → decode gives the value back.
fn round_trip<T: Encode + Decode + PartialEq + Debug>(v: &T) -> Result<(), TestCaseError> {
    let back = T::decode(&v.to_body()).map_err(|e| TestCaseError::fail(format!("{v:?}: {e}")))?;
    if &back == v {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!("{v:?} came back as {back:?}")))
    }
}

/// Round trip plus: `head_len` of the prefix is the head's length.
fn streamed_round_trip<T: Streamed + PartialEq + Debug>(v: &T) -> Result<(), TestCaseError> {
    round_trip(v)?;
    let body = v.to_body();
    let prefix = &body[..T::PREFIX_LEN.min(body.len())];
    let head = T::head_len(prefix).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(head, body.len());
    Ok(())
}

proptest! {
    #[test]
    fn uploads(spi in any::<u8>(), file_size in size(), ext in ext(), master in name(),
               prefix in prefix(), group in group(), filename in name()) {
        let up = UploadFile { store_path_index: spi, file_size, ext: ext.clone() };
        up.validate().unwrap();
        streamed_round_trip(&up)?;
        prop_assert_eq!(up.content_len(), file_size);
        let ap = UploadAppenderFile { store_path_index: spi, file_size, ext: ext.clone() };
        streamed_round_trip(&ap)?;
        let slave = UploadSlaveFile { master_filename: master, file_size, prefix, ext };
        slave.validate().unwrap();
        streamed_round_trip(&slave)?;
        let resp = FileIdResponse { group, filename };
        resp.validate().unwrap();
        round_trip(&resp)?;
    }

    #[test]
    fn upload_with_metadata(spi in any::<u8>(), file_size in size(), ext in ext(),
                            meta in metadata()) {
        let up = UploadWithMetadata { store_path_index: spi, file_size, ext, metadata: meta };
        up.validate().unwrap();
        streamed_round_trip(&up)?;
        prop_assert_eq!(up.content_len(), file_size);
    }

    #[test]
    fn file_refs(offset in size(), length in size(), flags in any::<u8>(), group in group(),
                 filename in name(), meta in metadata(), merge in any::<bool>()) {
        let d = DownloadFile { offset, length, group: group.clone(), filename: filename.clone() };
        d.validate().unwrap();
        round_trip(&d)?;
        let q = QueryFileInfo { flags: 0, group: group.clone(), filename: filename.clone() };
        round_trip(&q)?;
        prop_assert_eq!(QueryFileInfo { flags, ..q }.header_status(), flags);
        round_trip(&DeleteFile { group: group.clone(), filename: filename.clone() })?;
        round_trip(&GetMetadata { group: group.clone(), filename: filename.clone() })?;
        round_trip(&meta)?;
        let op = if merge { MetaOp::Merge } else { MetaOp::Overwrite };
        let s = SetMetadata { op, group, filename, metadata: meta };
        s.validate().unwrap();
        round_trip(&s)?;
    }

    #[test]
    fn file_info(file_size in size(), create_time in any::<i64>(), crc32 in any::<u32>(),
                 ip in prop_oneof![Just("127.0.0.1"), Just("255.255.255.255"),
                                   Just("2001:db8:85a3::8a2e:370:7334")]) {
        let info = FileInfo { file_size, create_time, crc32, source_ip: ip.to_string() };
        info.validate().unwrap();
        round_trip(&info)?;
    }

    #[test]
    fn appender(filename in name(), a in size(), b in size(), group in group(), prefix in prefix(),
                ext in ext(), src in name(), sig in vec(any::<u8>(), 1..=63)) {
        streamed_round_trip(&AppendFile { filename: filename.clone(), append_len: a })?;
        streamed_round_trip(&ModifyFile { filename: filename.clone(), offset: a, modify_len: b })?;
        round_trip(&TruncateFile { filename: filename.clone(), new_size: a })?;
        round_trip(&RegenerateAppenderFilename { filename: filename.clone() })?;
        let master = if filename.len() + src.len() + sig.len() <= 256 { filename } else { String::new() };
        let link = CreateLink { group, prefix, ext, master_filename: master, src_filename: src,
                                signature: sig };
        link.validate().unwrap();
        round_trip(&link)?;
    }

    #[test]
    fn sync(id in "[0-9a-f.:]{1,15}", filename in name(), other in name(), a in size(), b in size(),
            ts in any::<u32>(), group in group(), omitted in any::<bool>(), spi in any::<u8>()) {
        let r = ReportServerId { storage_id: id };
        r.validate().unwrap();
        round_trip(&r)?;
        let f = SyncCreateFile { filename: filename.clone(), file_size: a, timestamp: ts,
                                 group: group.clone(), content_omitted: false };
        streamed_round_trip(&f)?;
        let u = SyncUpdateFile { filename: filename.clone(), file_size: a, timestamp: ts,
                                 group: group.clone(), content_omitted: omitted };
        prop_assert_eq!(u.content_len(), if omitted { 0 } else { a });
        streamed_round_trip(&SyncUpdateFile { content_omitted: false, ..u })?;
        round_trip(&SyncDeleteFile { timestamp: ts, group: group.clone(), filename: filename.clone() })?;
        let range = SyncAppendFile { filename: filename.clone(), offset: a, length: b, timestamp: ts,
                                     group: group.clone() };
        streamed_round_trip(&range)?;
        streamed_round_trip(&SyncModifyFile { filename: filename.clone(), offset: a, length: b,
                                              timestamp: ts, group: group.clone() })?;
        round_trip(&SyncTruncateFile { filename: filename.clone(), old_size: a, new_size: b,
                                       timestamp: ts, group: group.clone() })?;
        round_trip(&SyncCreateLink { dest_filename: filename.clone(), src_filename: other.clone(),
                                     timestamp: ts, group: group.clone() })?;
        round_trip(&SyncRenameFile { dest_filename: filename, src_filename: other, timestamp: ts,
                                     group: group.clone() })?;
        round_trip(&FetchOnePathBinlog { group, store_path_index: spi })?;
    }

    #[test]
    fn trunk(group in group(), info in trunk_info(), file_size in any::<u32>(), spi in any::<u8>(),
             data in vec(any::<u8>(), 1..64), len in size()) {
        round_trip(&TrunkAllocSpace { group: group.clone(), file_size, store_path_index: spi })?;
        round_trip(&info)?;
        round_trip(&TrunkAllocConfirm { group: group.clone(), info })?;
        round_trip(&TrunkFreeSpace { group, info })?;
        round_trip(&TrunkSyncBinlog { data })?;
        round_trip(&TrunkBinlogSize { size: len })?;
        round_trip(&TrunkGetBinlogSize)?;
        round_trip(&TrunkDeleteBinlogMarks)?;
        round_trip(&TrunkTruncateBinlogFile)?;
    }

    #[test]
    fn decoders_never_panic(bytes in vec(any::<u8>(), 0..400)) {
        fn req<T: Request>(b: &[u8]) {
            let _ = T::decode(b);
            let _ = T::Response::decode(b);
        }
        fn streamed<T: Streamed>(b: &[u8]) {
            req::<T>(b);
            if let Ok(n) = T::head_len(b) {
                // A head never needs more than the protocol's limits allow.
                assert!(n <= 200, "head_len {n}");
                if let Some(head) = b.get(..n) {
                    let _ = T::decode(head);
                }
            }
        }
        let b = &bytes[..];
        streamed::<UploadFile>(b);
        streamed::<UploadAppenderFile>(b);
        streamed::<UploadSlaveFile>(b);
        streamed::<AppendFile>(b);
        // Its head carries the metadata blob: bounded by its own limit.
        req::<UploadWithMetadata>(b);
        if let Ok(n) = UploadWithMetadata::head_len(b) {
            assert!(n <= UploadWithMetadata::MAX_HEAD_LEN, "head_len {n}");
            if let Some(head) = b.get(..n) {
                let _ = UploadWithMetadata::decode(head);
            }
        }
        streamed::<ModifyFile>(b);
        streamed::<SyncCreateFile>(b);
        streamed::<SyncUpdateFile>(b);
        streamed::<SyncAppendFile>(b);
        streamed::<SyncModifyFile>(b);
        req::<DownloadFile>(b);
        req::<QueryFileInfo>(b);
        req::<DeleteFile>(b);
        req::<GetMetadata>(b);
        req::<SetMetadata>(b);
        req::<TruncateFile>(b);
        req::<RegenerateAppenderFilename>(b);
        req::<CreateLink>(b);
        req::<ReportServerId>(b);
        req::<SyncDeleteFile>(b);
        req::<SyncTruncateFile>(b);
        req::<SyncCreateLink>(b);
        req::<SyncRenameFile>(b);
        req::<FetchOnePathBinlog>(b);
        req::<TrunkAllocSpace>(b);
        req::<TrunkAllocConfirm>(b);
        req::<TrunkFreeSpace>(b);
        req::<TrunkSyncBinlog>(b);
        req::<TrunkGetBinlogSize>(b);
        req::<TrunkDeleteBinlogMarks>(b);
        req::<TrunkTruncateBinlogFile>(b);
    }

    #[test]
    fn structured_garbage_never_panics(len in prop_oneof![Just(0u64), Just(44), Just(127),
                                                          Just(128), Just(u64::MAX), any::<u64>()],
                                       tail in vec(any::<u8>(), 0..200)) {
        // Plausible length fields followed by noise reach the deeper paths.
        let mut b = len.to_be_bytes().to_vec();
        b.extend_from_slice(&tail);
        let _ = UploadSlaveFile::head_len(&b);
        let _ = UploadWithMetadata::head_len(&b);
        let _ = UploadWithMetadata::decode(&b);
        let _ = SetMetadata::decode(&b);
        let _ = CreateLink::decode(&b);
        let _ = SyncRenameFile::decode(&b);
        let _ = SyncCreateLink::decode(&b);
        let _ = SyncTruncateFile::decode(&b);
        if let Ok(n) = SyncAppendFile::head_len(&b) {
            let _ = SyncAppendFile::decode(b.get(..n).unwrap_or(&b));
        }
    }
}
