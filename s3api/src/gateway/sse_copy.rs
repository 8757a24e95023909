//! CopyObject of encrypted objects, by reference: the destination shares
//! the source's sealed file, so only the 32-byte data key is re-wrapped —
//! for the destination's name, under the master key or the destination's
//! SSE-C key. The copy stays O(1) whatever the object's size.
//!
//! Rules, as S3 has them where it can be done without re-encrypting:
//! - an SSE-C source needs its key in the `x-amz-copy-source-server-side-
//!   encryption-customer-*` headers (400 without, 403 when wrong);
//! - an encrypted source copied without encryption headers becomes SSE-S3
//!   (its bytes stay sealed; S3 too encrypts every new object by default);
//! - a plaintext source copied *with* encryption headers would need its
//!   bytes re-encrypted, which this build does not do: 501.

use s3s::S3Result;

use super::sse::{self, WriteSse};
use crate::crypto::{CustomerKey, DataKey, Envelope, MasterKey};

/// What a copy needs to give its destination an envelope.
#[derive(Debug, Clone)]
pub(super) struct CopyCrypto {
    pub master: MasterKey,
    /// The copy source's SSE-C key, if given.
    pub source_key: Option<CustomerKey>,
    /// What the destination asks for.
    pub dest: WriteSse,
    pub src: (String, String),
    pub dst: (String, String),
}

impl CopyCrypto {
    /// The destination's envelope for a source whose envelope is
    /// `source` (`None`: plaintext), or the S3 error refusing the copy.
    pub(super) fn envelope(&self, source: Option<&[u8]>) -> S3Result<Option<Vec<u8>>> {
        let (sb, sk) = (&self.src.0, &self.src.1);
        let data_key =
            match sse::unlock_with(&self.master, source, self.source_key.as_ref(), sb, sk)? {
                Some(dk) => dk,
                None => {
                    return match self.dest {
                        WriteSse::Plain => Ok(None),
                        _ => Err(sse::not_built("CopyObject encrypting a plaintext source")),
                    };
                }
            };
        Ok(Some(self.wrap(&data_key).encode()))
    }

    fn wrap(&self, dk: &DataKey) -> Envelope {
        let (b, k) = (&self.dst.0, &self.dst.1);
        match &self.dest {
            WriteSse::Customer(ck) => Envelope::seal_customer(ck, b, k, dk),
            WriteSse::Plain | WriteSse::S3 => Envelope::seal_s3(&self.master, b, k, dk),
        }
    }

    /// The reply's encryption headers for a destination stored encrypted
    /// (`encrypted`).
    pub(super) fn reply_headers(
        &self,
        encrypted: bool,
    ) -> (Option<s3s::dto::ServerSideEncryption>, Option<String>, Option<String>) {
        let md5 = match &self.dest {
            WriteSse::Customer(ck) => Some(ck.md5()),
            _ => None,
        };
        sse::reply_headers(md5, encrypted)
    }
}
