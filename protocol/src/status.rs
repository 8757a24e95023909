//! Status codes: the `status` byte of a response header, a Linux errno.

use std::fmt;

/// A response status. `0` is success; everything else is an errno value as
/// FastDFS sends it. Unknown codes are kept, not collapsed, so nothing a peer
/// said is lost.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Status(pub u8);

impl Status {
    pub const OK: Self = Self(0);
    /// The file is under retention or a legal hold (its tags say so): a
    /// delete, a content change or a weakening of its tags is refused.
    pub const EPERM: Self = Self(1);
    /// Group, storage or file unknown; no writable storage.
    pub const ENOENT: Self = Self(2);
    pub const EIO: Self = Self(5);
    pub const ENOMEM: Self = Self(12);
    /// Storage-only tracker command sent before JOIN.
    pub const EACCES: Self = Self(13);
    pub const EBUSY: Self = Self(16);
    /// The file already exists (sync: already applied).
    pub const EEXIST: Self = Self(17);
    /// Bad length or field, unknown command, offset beyond the end.
    pub const EINVAL: Self = Self(22);
    /// No space above the reserve.
    pub const ENOSPC: Self = Self(28);
    pub const ENOSYS: Self = Self(38);
    /// Not supported in this configuration.
    pub const EOPNOTSUPP: Self = Self(95);
    pub const ECONNREFUSED: Self = Self(111);
    /// Internal: the binlog record was skipped.
    pub const EALREADY: Self = Self(114);

    /// Whether this is the success status.
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// The errno's symbolic name, when it is one FastDFS uses.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "OK",
            1 => "EPERM",
            2 => "ENOENT",
            5 => "EIO",
            12 => "ENOMEM",
            13 => "EACCES",
            16 => "EBUSY",
            17 => "EEXIST",
            22 => "EINVAL",
            28 => "ENOSPC",
            38 => "ENOSYS",
            95 => "EOPNOTSUPP",
            111 => "ECONNREFUSED",
            114 => "EALREADY",
            _ => return None,
        })
    }

    /// Maps an I/O error to the status a server should answer with.
    pub fn from_io(err: &std::io::Error) -> Self {
        match err.raw_os_error() {
            Some(code) if (1..=255).contains(&code) => Self(code as u8),
            _ => match err.kind() {
                std::io::ErrorKind::NotFound => Self::ENOENT,
                std::io::ErrorKind::AlreadyExists => Self::EEXIST,
                std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => Self::EINVAL,
                std::io::ErrorKind::PermissionDenied => Self::EACCES,
                std::io::ErrorKind::StorageFull => Self::ENOSPC,
                _ => Self::EIO,
            },
        }
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name}({})", self.0),
            None => write!(f, "Status({})", self.0),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_io_mapping() {
        assert_eq!(format!("{}", Status::ENOENT), "ENOENT(2)");
        assert_eq!(format!("{}", Status(250)), "Status(250)");
        let e = std::io::Error::from_raw_os_error(28);
        assert_eq!(Status::from_io(&e), Status::ENOSPC);
        let e = std::io::Error::new(std::io::ErrorKind::NotFound, "x");
        assert_eq!(Status::from_io(&e), Status::ENOENT);
    }
}
