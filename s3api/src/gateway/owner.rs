//! The `<Owner>` element of ListBuckets: the owner's canonical ID and
//! display name (`access::canonical`), as GetBucketAcl names it.

use s3s::dto::Owner;

/// The `<Owner>` of the owner named `owner_name`: its canonical ID and
/// display name.
pub(crate) fn owner_element(owner_name: &str) -> Owner {
    super::access::canonical::owner_dto(owner_name)
}
