//! Owners as S3 shows them: a canonical ID of 64 hex digits and a display
//! name.
//!
//! An owner is a plain name on access keys (see `index::keys`), so its
//! canonical ID is derived, never stored: the SHA-256 of a fixed prefix
//! and the name. Every gateway over the same index, any restart and any
//! `rebuild-index` agree on it without coordination, and a grant to a
//! canonical ID keeps naming the same owner as long as the name exists.
//! The display name is the owner name itself.

use sha2::{Digest, Sha256};

/// The requester of an unsigned request, where an owner name is expected
/// (`owner_of`, the owner recorded on an object an anonymous writer put).
/// No access key can carry it: it holds a NUL, which no command line can.
pub(crate) const ANONYMOUS: &str = "\0anonymous";

/// AWS's canonical ID of the anonymous principal, for objects it wrote.
const ANONYMOUS_ID: &str = "65a011a29cdf8ec533ec3d1ccaae921c";

/// The canonical ID of owner `name`.
pub(crate) fn canonical_id(name: &str) -> String {
    if name == ANONYMOUS {
        return ANONYMOUS_ID.to_string();
    }
    let digest =
        Sha256::new().chain_update(b"fdfs-owner\0").chain_update(name.as_bytes()).finalize();
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// The display name of owner `name`.
pub(crate) fn display_name(name: &str) -> &str {
    if name == ANONYMOUS { "anonymous" } else { name }
}

/// Owner `name` as an S3 `Owner` element.
pub(crate) fn owner_dto(name: &str) -> s3s::dto::Owner {
    s3s::dto::Owner {
        display_name: Some(display_name(name).to_string()),
        id: Some(canonical_id(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::{ANONYMOUS, canonical_id, display_name};

    #[test]
    fn ids_are_stable_hex_and_distinct() {
        let a = canonical_id("alice");
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(a, canonical_id("alice"));
        assert_ne!(a, canonical_id("bob"));
        // A fixed value: changing the derivation would orphan every grant.
        assert_eq!(
            canonical_id("owner"),
            "fa9b3a13121a96485cc04dcb5ada6a22479eb66c3422a69f24b56f7a81ce27a4"
        );
        assert_eq!(display_name(ANONYMOUS), "anonymous");
        assert_eq!(canonical_id(ANONYMOUS).len(), 32);
    }
}
