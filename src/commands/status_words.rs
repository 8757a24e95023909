//! What a FastDFS status byte means to the user of a native tool: `fdfs
//! download` answered ENOENT says "no such file", not `ENOENT(2)`. The
//! meaning depends on who answered and to what (a tracker's ENOENT to a
//! store query is a missing group; a storage's to a download is a missing
//! file), so each call names its [`Step`]. The raw status stays in the
//! message, for searching logs and FastDFS's documentation.

use fdfs_protocol::connection::ConnError;
use fdfs_protocol::status::Status;

/// The exchange that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// QUERY_STORE: which storage takes an upload (to `--group` if given).
    TrackerStore { group_given: bool },
    /// QUERY_FETCH / QUERY_UPDATE: which storage holds a file.
    TrackerFile,
    /// An upload to a storage.
    Upload,
    /// A download, delete or append of an existing file.
    StorageFile,
}

/// `e` with the meaning of its status, when it carries one this step can
/// explain.
pub(super) fn explain(step: Step, e: ConnError) -> anyhow::Error {
    let ConnError::Status(status) = e else { return e.into() };
    match meaning(step, status) {
        Some(what) => anyhow::anyhow!("{what} ({status})"),
        None => e.into(),
    }
}

fn meaning(step: Step, status: Status) -> Option<&'static str> {
    Some(match (step, status) {
        (Step::TrackerStore { group_given: true }, Status::ENOENT) => {
            "no such group, or it has no active storage"
        }
        (Step::TrackerStore { group_given: false }, Status::ENOENT) => "no active storage",
        (Step::TrackerStore { .. } | Step::Upload, Status::ENOSPC) => {
            "no space left for the file (reserved_storage_space reached)"
        }
        (Step::TrackerFile, Status::ENOENT) => "no such group, or it has no active storage",
        (Step::StorageFile, Status::ENOENT) => "no such file",
        (Step::TrackerFile | Step::StorageFile, Status::EINVAL) => {
            "malformed file ID, or a group this storage does not serve"
        }
        (Step::Upload, Status::EINVAL) => "upload refused as malformed (bad extension or group)",
        (Step::StorageFile, Status::EPERM) => {
            "refused: the file is under an S3 retention or legal hold"
        }
        (Step::StorageFile, Status::EOPNOTSUPP) => "not supported on this file (not an appender?)",
        (_, Status::EACCES) => "refused: this client is not in the server's allow_hosts",
        (_, Status::EBUSY) => "the server is busy; try again",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_what_they_mean() {
        let e = |step, s| explain(step, ConnError::Status(s)).to_string();
        assert_eq!(e(Step::StorageFile, Status::ENOENT), "no such file (ENOENT(2))");
        assert_eq!(
            e(Step::TrackerStore { group_given: true }, Status::ENOENT),
            "no such group, or it has no active storage (ENOENT(2))"
        );
        assert!(e(Step::StorageFile, Status::EINVAL).starts_with("malformed file ID"));
        assert!(e(Step::StorageFile, Status::EPERM).contains("legal hold"));
        // A status without a meaning here keeps its plain form.
        assert_eq!(e(Step::Upload, Status::ENOENT), "server answered ENOENT(2)");
    }
}
