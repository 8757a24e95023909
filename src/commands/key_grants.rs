//! `fdfs gateway key allow|deny|grants`: another owner's read or write
//! access to a bucket, as Garage's `bucket allow` gives a key access.
//!
//! A grant is stored in the index beside the bucket (`bucket_grants`, not
//! in its ACL: an S3 ACL cannot say "read the objects" — bucket READ only
//! lists), and the gateway's access decision honours it on the next
//! request, so the gateway may keep running. Read lets the owner list the
//! bucket and read every object in it; write lets it put and delete
//! objects and run multipart uploads. Bucket configuration stays with the
//! bucket's owner.

use anyhow::bail;
use fdfs_s3api::index::{Index, OwnerGrant};

/// Adds `read` / `write` to `owner`'s grant on `bucket`.
pub(super) fn allow(
    index: &mut Index,
    bucket: &str,
    owner: &str,
    read: bool,
    write: bool,
) -> anyhow::Result<()> {
    if !read && !write {
        bail!("say what to allow: --read, --write or both");
    }
    check(index, bucket, owner)?;
    let mut grant = index.get_bucket_grant(bucket, owner)?;
    grant.read |= read;
    grant.write |= write;
    index.set_bucket_grant(bucket, owner, grant)?;
    print(bucket, owner, grant);
    Ok(())
}

/// Takes `read` / `write` (neither given: both) from `owner`'s grant.
pub(super) fn deny(
    index: &mut Index,
    bucket: &str,
    owner: &str,
    read: bool,
    write: bool,
) -> anyhow::Result<()> {
    let (read, write) = if read || write { (read, write) } else { (true, true) };
    index.get_bucket(bucket)?;
    let mut grant = index.get_bucket_grant(bucket, owner)?;
    grant.read &= !read;
    grant.write &= !write;
    index.set_bucket_grant(bucket, owner, grant)?;
    print(bucket, owner, grant);
    Ok(())
}

/// Lists the grants on `bucket`.
pub(super) fn list(index: &mut Index, bucket: &str) -> anyhow::Result<()> {
    for (owner, grant) in index.list_bucket_grants(bucket)? {
        print(bucket, &owner, grant);
    }
    Ok(())
}

/// Refuses a missing bucket, a grant to its own owner, and an owner no
/// access key acts as (a typo would otherwise grant nobody, silently).
fn check(index: &mut Index, bucket: &str, owner: &str) -> anyhow::Result<()> {
    let found = index.get_bucket(bucket)?;
    if found.owner == owner {
        bail!("{owner} owns bucket {bucket}: it needs no grant");
    }
    if !index.list_access_keys()?.iter().any(|k| k.owner == owner) {
        bail!("no access key acts as owner {owner:?} (create one with `key create --owner`)");
    }
    Ok(())
}

fn print(bucket: &str, owner: &str, grant: OwnerGrant) {
    let what = match (grant.read, grant.write) {
        (true, true) => "read, write",
        (true, false) => "read",
        (false, true) => "write",
        (false, false) => "nothing",
    };
    println!("{bucket}\t{owner}\t{what}");
}
