//! `fdfs info FILE_ID`: decode what a file ID says about its file, locally,
//! as `fdfs_file_info` does for normal files.

use anyhow::Context;
use fdfs_protocol::file_id::FileId;
use fdfs_protocol::filename::{FileKind, Source};

use super::timefmt::datetime_utc;
use crate::cli::InfoArgs;

pub fn run(args: &InfoArgs) -> anyhow::Result<()> {
    print!("{}", describe(&args.file_id)?);
    Ok(())
}

/// The report printed for a file ID.
pub fn describe(file_id: &str) -> anyhow::Result<String> {
    let id = FileId::parse(file_id).with_context(|| format!("not a file ID: {file_id}"))?;
    let info = id.logic().info().with_context(|| format!("cannot decode the name in {file_id}"))?;
    let kind = match info.kind {
        FileKind::Normal => "normal",
        FileKind::Appender => "appender",
        FileKind::Trunk => "trunk",
        FileKind::Slave => "slave",
    };
    let source = match info.source() {
        Source::Ip(ip) => format!("source ip address: {ip}"),
        Source::Id(server) => format!("source storage id: {}", server.get()),
    };
    let size = match info.size() {
        Some(size) => size.to_string(),
        None => "unknown (ask the storage: QUERY_FILE_INFO)".to_string(),
    };
    let created = i64::from(info.create_time());
    Ok(format!(
        "group name: {}\nstore path index: {}\nfile type: {kind}\n{source}\n\
         file create timestamp: {} UTC ({created})\nfile size: {size}\n\
         file crc32: {} (0x{:08X})\n",
        id.group(),
        id.store_path_index(),
        datetime_utc(created),
        info.crc32(),
        info.crc32(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_fixture_file_id() {
        // From the golden fixtures: 22 bytes uploaded to 127.0.0.2.
        let out = describe("group1/M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt").unwrap();
        assert!(out.contains("source ip address: 127.0.0.2"), "{out}");
        assert!(out.contains("2026-11-26 08:48:31 UTC (1795682911)"), "{out}");
        assert!(out.contains("file size: 22\n"), "{out}");
        assert!(out.contains("0x947F6E92"), "{out}");
        assert!(out.contains("file type: normal"), "{out}");
    }

    #[test]
    fn rejects_garbage() {
        assert!(describe("group1/M00/00/00/short.txt").is_err());
        assert!(describe("not an id").is_err());
    }
}
