//! Object Ownership: who owns the objects written into a bucket, and
//! whether ACLs count there at all.
//!
//! - `ObjectWriter` (our default, and S3's before April 2023): the writer
//!   owns what it writes; ACLs apply.
//! - `BucketOwnerPreferred`: as ObjectWriter, but a write with the
//!   `bucket-owner-full-control` canned ACL makes the bucket owner the
//!   object's owner.
//! - `BucketOwnerEnforced` (S3's default for new buckets since 2023): the
//!   bucket owner owns everything and ACLs are off — ACL writes other than
//!   `bucket-owner-full-control` are 400 AccessControlListNotSupported,
//!   and GetBucketAcl / GetObjectAcl answer the bucket owner's full
//!   control.
//!
//! We keep ObjectWriter as the default, as most S3-compatible stores do:
//! clients that set `x-amz-acl: public-read` keep working unchanged.

use s3s::{S3Error, S3ErrorCode, S3Result};

/// A bucket's Object Ownership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Ownership {
    #[default]
    ObjectWriter,
    BucketOwnerPreferred,
    BucketOwnerEnforced,
}

impl Ownership {
    /// S3's (and the stored) spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Ownership::ObjectWriter => "ObjectWriter",
            Ownership::BucketOwnerPreferred => "BucketOwnerPreferred",
            Ownership::BucketOwnerEnforced => "BucketOwnerEnforced",
        }
    }

    /// Parses S3's spelling; 400 InvalidArgument otherwise.
    pub(crate) fn parse(s: &str) -> S3Result<Self> {
        match s {
            "ObjectWriter" => Ok(Ownership::ObjectWriter),
            "BucketOwnerPreferred" => Ok(Ownership::BucketOwnerPreferred),
            "BucketOwnerEnforced" => Ok(Ownership::BucketOwnerEnforced),
            other => Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                format!("invalid object ownership {other:?}"),
            )),
        }
    }

    /// The stored value's meaning (`None`: never set, the default; an
    /// unknown stored value counts as the strictest).
    pub(crate) fn stored(s: Option<&str>) -> Self {
        match s {
            None => Ownership::default(),
            Some(s) => Ownership::parse(s).unwrap_or(Ownership::BucketOwnerEnforced),
        }
    }
}

/// 400 AccessControlListNotSupported: the bucket enforces bucket
/// ownership, so it takes no ACLs.
pub(crate) fn acls_not_supported() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::AccessControlListNotSupported,
        "The bucket does not allow ACLs",
    )
}

#[cfg(test)]
mod tests {
    use super::Ownership;

    #[test]
    fn spellings_round_trip() {
        for o in [
            Ownership::ObjectWriter,
            Ownership::BucketOwnerPreferred,
            Ownership::BucketOwnerEnforced,
        ] {
            assert_eq!(Ownership::parse(o.as_str()).unwrap(), o);
            assert_eq!(Ownership::stored(Some(o.as_str())), o);
        }
        assert_eq!(Ownership::stored(None), Ownership::ObjectWriter);
        assert_eq!(Ownership::stored(Some("junk")), Ownership::BucketOwnerEnforced);
        assert!(Ownership::parse("objectwriter").is_err());
    }
}
