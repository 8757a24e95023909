//! ACLs as S3's XML (`AccessControlPolicy`) and back.

use std::collections::HashMap;

use s3s::dto::{self, AccessControlPolicy, Grantee as DtoGrantee, Type};
use s3s::{S3Error, S3ErrorCode, S3Result};

use crate::gateway::access::acl::{Acl, Grant, Grantee, Permission, is_canonical_id};
use crate::gateway::access::canonical::owner_dto;

/// `acl` as S3 answers it: the owner, and the grants with display names
/// for the owners `names` knows (by canonical ID).
pub(super) fn to_dto(acl: &Acl, names: &HashMap<String, String>) -> (dto::Owner, Vec<dto::Grant>) {
    let grants = acl
        .grants
        .iter()
        .map(|g| {
            let grantee = match &g.grantee {
                Grantee::Id(id) => DtoGrantee {
                    display_name: names.get(id).cloned(),
                    email_address: None,
                    id: Some(id.clone()),
                    type_: Type::from_static(Type::CANONICAL_USER),
                    uri: None,
                },
                group => DtoGrantee {
                    display_name: None,
                    email_address: None,
                    id: None,
                    type_: Type::from_static(Type::GROUP),
                    uri: group.uri().map(str::to_string),
                },
            };
            dto::Grant {
                grantee: Some(grantee),
                permission: Some(dto::Permission::from(g.permission.as_str().to_string())),
            }
        })
        .collect();
    (owner_dto(&acl.owner), grants)
}

/// The ACL an `AccessControlPolicy` body sets on something `owner` owns.
/// Refuses (400 MalformedACLError, or S3's specific codes) what S3 does:
/// an unknown permission or grantee type, a group URI S3 has not, an
/// e-mail grantee, an owner ID other than the real owner's.
pub(super) fn from_dto(policy: &AccessControlPolicy, owner: &str) -> S3Result<Acl> {
    if let Some(id) = policy.owner.as_ref().and_then(|o| o.id.as_deref())
        && id != crate::gateway::access::canonical::canonical_id(owner)
    {
        return Err(S3Error::with_message(
            S3ErrorCode::AccessDenied,
            "the Owner in the ACL is not the owner",
        ));
    }
    let mut grants = Vec::new();
    for g in policy.grants.iter().flatten() {
        let permission = g
            .permission
            .as_ref()
            .and_then(|p| Permission::parse(p.as_str()))
            .ok_or_else(|| malformed("a grant without a valid Permission"))?;
        let Some(grantee) = &g.grantee else { return Err(malformed("a grant without a Grantee")) };
        let grantee = match grantee.type_.as_str() {
            Type::CANONICAL_USER => {
                let id = grantee.id.as_deref().unwrap_or("");
                if !is_canonical_id(id) {
                    return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid id"));
                }
                Grantee::Id(id.to_string())
            }
            Type::GROUP => {
                let uri = grantee.uri.as_deref().unwrap_or("");
                Grantee::group(uri).ok_or_else(|| {
                    S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid group uri")
                })?
            }
            Type::AMAZON_CUSTOMER_BY_EMAIL => {
                return Err(S3Error::with_message(
                    S3ErrorCode::UnresolvableGrantByEmailAddress,
                    "The e-mail address you provided does not match any account on record.",
                ));
            }
            _ => return Err(malformed("unknown grantee type")),
        };
        grants.push(Grant { grantee, permission });
    }
    Ok(Acl { owner: owner.to_string(), grants })
}

fn malformed(why: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::MalformedACLError,
        format!("The XML you provided was not well-formed or did not validate: {why}"),
    )
}
