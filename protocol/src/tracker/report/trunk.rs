//! Trunk-file bookkeeping between the trunk server storage and the tracker
//! (72–74): the current trunk file id and the trunk free space.

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::error::DecodeError;
use crate::message::{Decode, Empty, Encode};
use crate::wire::Reader;

use crate::tracker::records::expect_len;

empty_request!(
    /// STORAGE_FETCH_TRUNK_FID (72): the current trunk file id.
    FetchTrunkFid = cmd::STORAGE_FETCH_TRUNK_FID => TrunkFid
);

/// A trunk file id, 4 bytes: the reply to 72.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrunkFid(pub i32);

impl Encode for TrunkFid {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_i32(self.0);
    }
}

impl Decode for TrunkFid {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, 4, "trunk file id")?;
        Reader::new(body).i32().map(Self)
    }
}

/// STORAGE_REPORT_TRUNK_FID (73): the trunk server's current file id, 4B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportTrunkFid {
    pub trunk_file_id: i32,
}

impl Encode for ReportTrunkFid {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_i32(self.trunk_file_id);
    }
}

impl Decode for ReportTrunkFid {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        TrunkFid::decode(body).map(|f| Self { trunk_file_id: f.0 })
    }
}

request!(ReportTrunkFid = cmd::STORAGE_REPORT_TRUNK_FID => Empty);

/// STORAGE_REPORT_TRUNK_FREE (74): the group's trunk free space in MB, 8B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportTrunkFree {
    pub free_mb: i64,
}

impl Encode for ReportTrunkFree {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_i64(self.free_mb);
    }
}

impl Decode for ReportTrunkFree {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, 8, "trunk free report")?;
        Reader::new(body).i64().map(|free_mb| Self { free_mb })
    }
}

request!(ReportTrunkFree = cmd::STORAGE_REPORT_TRUNK_FREE => Empty);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Request;

    #[test]
    fn round_trips_and_lengths() {
        assert_eq!((FetchTrunkFid::CMD, ReportTrunkFid::CMD, ReportTrunkFree::CMD), (72, 73, 74));
        assert_eq!(FetchTrunkFid::decode(&[]).unwrap(), FetchTrunkFid);
        assert!(FetchTrunkFid::decode(&[0]).is_err());
        assert_eq!(TrunkFid::decode(&TrunkFid(-1).to_body()).unwrap(), TrunkFid(-1));
        assert!(TrunkFid::decode(&[0; 5]).is_err());
        let fid = ReportTrunkFid { trunk_file_id: 42 };
        assert_eq!(fid.to_body().as_ref(), &[0, 0, 0, 42]);
        assert_eq!(ReportTrunkFid::decode(&fid.to_body()).unwrap(), fid);
        assert!(ReportTrunkFid::decode(&[0; 3]).is_err());
        let free = ReportTrunkFree { free_mb: 1 << 40 };
        assert_eq!(ReportTrunkFree::decode(&free.to_body()).unwrap(), free);
        assert!(ReportTrunkFree::decode(&[0; 4]).is_err());
    }
}
