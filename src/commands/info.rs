//! `fdfs info FILE_ID`: decode what a file ID says about its file, locally,
//! as `fdfs_file_info` does for normal files.

use anyhow::Context;
use fdfs_protocol::file_id::FileId;
use fdfs_protocol::filename::{FileKind, Source};

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
         file create timestamp: {} ({created})\nfile size: {size}\n\
         file crc32: {} (0x{:08X})\n",
        id.group(),
        id.store_path_index(),
        format_utc(created),
        info.crc32(),
        info.crc32(),
    ))
}

/// `YYYY-MM-DD hh:mm:ss UTC` from unix seconds (proleptic Gregorian).
fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days, the well-known algorithm over 400-year eras.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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

    #[test]
    fn formats_epoch_and_leap_days() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
