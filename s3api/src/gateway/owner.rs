//! The `<Owner>` element of listings (ListBuckets, ListObjectsV2 with
//! FetchOwner, ListObjects v1, ListObjectVersions). One place builds it,
//! so switching owners to canonical IDs (the ACL work) is one change here.

use s3s::dto::Owner;

/// The `<Owner>` of the owner named `owner_name`: its ID and display name.
pub(crate) fn owner_element(owner_name: &str) -> Owner {
    Owner { display_name: Some(owner_name.to_string()), id: Some(owner_name.to_string()) }
}
