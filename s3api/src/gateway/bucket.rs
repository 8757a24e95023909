//! Bucket operations. A bucket maps to a FastDFS group, its home group:
//! CreateBucket with a LocationConstraint naming an existing group pins
//! the bucket there; otherwise the tracker's store policy
//! (QUERY_STORE without group) picks it.
//!
//! CreateBucket of a bucket the requester already owns is 200 when the
//! request was signed for us-east-1 (or names no region), as AWS answers
//! there, and BucketAlreadyOwnedByYou (409) for any other region.
//!
//! A bucket named like a group (see `group_bucket`) is read-only and
//! belongs to no one: HeadBucket answers 200 for it and GetBucketLocation
//! names the group (to admin keys; AccessDenied to tenant keys), DeleteBucket is AccessDenied, CreateBucket of that name
//! is BucketAlreadyExists (a user bucket must not shadow a group), and
//! ListBuckets leaves it out (it cannot be listed, and tools that walk
//! every bucket would fail on it).

use s3s::dto::{
    BucketLocationConstraint, CreateBucketInput, CreateBucketOutput, DeleteBucketInput,
    DeleteBucketOutput, GetBucketLocationInput, GetBucketLocationOutput, HeadBucketInput,
    HeadBucketOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::{Inner, error, group_bucket, now_ms, owner_of};
use crate::index;

pub async fn create_bucket(
    inner: &Inner,
    req: S3Request<CreateBucketInput>,
) -> S3Result<S3Response<CreateBucketOutput>> {
    let owner = owner_of(inner, &req).await?;
    let name = req.input.bucket.clone();
    validate_bucket_name(&name)?;
    let us_east_1 = req.region.as_ref().is_none_or(|r| r.as_str() == US_EAST_1);
    let constraint = req
        .input
        .create_bucket_configuration
        .as_ref()
        .and_then(|c| c.location_constraint.as_ref())
        .map(|c| c.as_str().to_string());
    let span = info_span!("s3.create_bucket", bucket = %name, ?constraint);
    async {
        if group_bucket::is_group(inner, &name).await {
            return Err(S3Error::with_message(
                S3ErrorCode::BucketAlreadyExists,
                format!("{name:?} is a FastDFS group, served as a read-only bucket"),
            ));
        }
        let ownership = match &req.input.object_ownership {
            Some(o) => Some(super::access::ownership::Ownership::parse(o.as_str())?),
            None => None,
        };
        let acl =
            super::acl::for_new_bucket(inner, &req.headers, &owner, ownership.unwrap_or_default())
                .await?;
        let group = home_group(inner, constraint.as_deref()).await?;
        let bucket = index::Bucket {
            name: name.clone(),
            home_group: group,
            owner: owner.clone(),
            created_ms: now_ms(),
        };
        let lock = req.input.object_lock_enabled_for_bucket == Some(true);
        let created = inner
            .index
            .write(move |ix| {
                ix.atomically(|ix| {
                    ix.create_bucket(&bucket)?;
                    if lock {
                        super::object_lock::config::enable_on_create(ix, &bucket.name)?;
                    }
                    if acl.is_some() {
                        ix.set_bucket_acl(&bucket.name, acl.as_deref())?;
                    }
                    if let Some(o) = ownership {
                        ix.set_bucket_ownership(&bucket.name, Some(o.as_str()))?;
                    }
                    Ok(())
                })
            })
            .await;
        match created {
            Ok(()) => {}
            // AWS's us-east-1 answers 200 to the owner re-creating its
            // bucket (and changes nothing); other regions answer 409.
            Err(index::IndexError::BucketExists { owner: o, .. }) if o == owner && us_east_1 => {
                tracing::debug!("bucket already owned by the requester: 200 in us-east-1");
            }
            Err(e) => return Err(error::from_index(e, &owner)),
        }
        Ok(S3Response::new(CreateBucketOutput { location: Some(format!("/{name}")) }))
    }
    .instrument(span)
    .await
}

/// The region whose CreateBucket answers 200 to a bucket's owner: a
/// request signed for it (or with SigV2, which names no region).
const US_EAST_1: &str = "us-east-1";

/// The home group: the constraint when it names an existing group, else
/// the tracker's pick.
async fn home_group(inner: &Inner, constraint: Option<&str>) -> S3Result<String> {
    if let Some(wanted) = constraint {
        let groups = inner.tracker.list_groups().await.map_err(error::from_conn)?;
        if groups.iter().any(|g| g.group_name == wanted) {
            return Ok(wanted.to_string());
        }
    }
    let target = inner.tracker.query_store(None).await.map_err(error::from_conn)?;
    Ok(target.group)
}

pub async fn delete_bucket(
    inner: &Inner,
    req: S3Request<DeleteBucketInput>,
) -> S3Result<S3Response<DeleteBucketOutput>> {
    let owner = owner_of(inner, &req).await?;
    let name = req.input.bucket.clone();
    if group_bucket::is_group_bucket(inner, &name).await {
        return Err(group_bucket::read_only(&name));
    }
    check_owner(inner, &name, &owner).await?;
    let released = inner
        .index
        .write(move |ix| ix.delete_bucket(&name, now_ms()))
        .await
        .map_err(|e| error::from_index(e, &owner))?;
    inner.lifecycle_rules.invalidate(&req.input.bucket);
    inner.cors_rules.invalidate(&req.input.bucket);
    if !released.is_empty() {
        inner.deletes.notify_one();
    }
    Ok(S3Response::new(DeleteBucketOutput::default()))
}

pub async fn head_bucket(
    inner: &Inner,
    req: S3Request<HeadBucketInput>,
) -> S3Result<S3Response<HeadBucketOutput>> {
    let owner = owner_of(inner, &req).await?;
    if group_bucket::is_group_bucket(inner, &req.input.bucket).await {
        group_bucket::require_admin(inner, &req, &req.input.bucket).await?;
        return Ok(S3Response::new(HeadBucketOutput::default()));
    }
    check_owner(inner, &req.input.bucket, &owner).await?;
    Ok(S3Response::new(HeadBucketOutput::default()))
}

pub async fn get_bucket_location(
    inner: &Inner,
    req: S3Request<GetBucketLocationInput>,
) -> S3Result<S3Response<GetBucketLocationOutput>> {
    let owner = owner_of(inner, &req).await?;
    if group_bucket::is_group_bucket(inner, &req.input.bucket).await {
        group_bucket::require_admin(inner, &req, &req.input.bucket).await?;
        let group = req.input.bucket;
        return Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint: Some(BucketLocationConstraint::from(group)),
        }));
    }
    let bucket = check_owner(inner, &req.input.bucket, &owner).await?;
    Ok(S3Response::new(GetBucketLocationOutput {
        location_constraint: Some(BucketLocationConstraint::from(bucket.home_group)),
    }))
}

/// The bucket `name` if `owner` owns it or the access decision granted
/// this request access to it (an ACL, a grant, a policy; see
/// `access::verdict`): NoSuchBucket when it does not exist, AccessDenied
/// otherwise.
pub(crate) async fn check_owner(inner: &Inner, name: &str, owner: &str) -> S3Result<index::Bucket> {
    let n = name.to_string();
    let bucket = inner
        .index
        .read(move |ix| ix.get_bucket(&n))
        .await
        .map_err(|e| error::from_index(e, owner))?;
    if bucket.owner != owner && !super::access::verdict::bucket_granted(name) {
        return Err(S3Error::with_message(S3ErrorCode::AccessDenied, "bucket owned by another"));
    }
    Ok(bucket)
}

/// S3's bucket naming rules: 3–63 of lower-case letters, digits, `.` and
/// `-`, starting and ending with a letter or digit, no `..`, not an IPv4
/// address.
fn validate_bucket_name(name: &str) -> S3Result<()> {
    let bytes = name.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let ok = (3..=63).contains(&bytes.len())
        && bytes.iter().all(|&b| alnum(b) || b == b'.' || b == b'-')
        && bytes.first().copied().is_some_and(alnum)
        && bytes.last().copied().is_some_and(alnum)
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err();
    if ok {
        Ok(())
    } else {
        Err(S3Error::with_message(
            S3ErrorCode::InvalidBucketName,
            format!("invalid bucket name {name:?}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::validate_bucket_name;

    #[test]
    fn bucket_names() {
        for good in ["abc", "my-bucket.1", "a1b", &"a".repeat(63)] {
            assert!(validate_bucket_name(good).is_ok(), "{good}");
        }
        for bad in ["ab", "Abc", "-abc", "abc-", "a..b", "192.168.1.1", "a_b", &"a".repeat(64)] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
    }
}
