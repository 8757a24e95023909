//! The storage statistics block (`FDFSStorageStatBuff`, 348 bytes) and the
//! connection counters it starts with.
//!
//! A storage sends the block in its heart beat; the tracker keeps it and
//! echoes it inside every SERVER_LIST_STORAGE record. Connection counters
//! also appear in tracker pings and cluster listings, so they are their own
//! record.

use bytes::{BufMut, BytesMut};

use crate::error::DecodeError;
use crate::message::{Decode, Encode};
use crate::wire::Reader;

use super::records::expect_len;

/// Connection counters: `alloc_count`, `current_count`, `max_count`, each 4B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConnStats {
    pub alloc_count: i32,
    pub current_count: i32,
    pub max_count: i32,
}

impl ConnStats {
    /// Encoded size.
    pub const LEN: usize = 12;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self { alloc_count: r.i32()?, current_count: r.i32()?, max_count: r.i32()? })
    }
}

impl Encode for ConnStats {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_i32(self.alloc_count);
        buf.put_i32(self.current_count);
        buf.put_i32(self.max_count);
    }
}

impl Decode for ConnStats {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, Self::LEN, "connection stats")?;
        let mut r = Reader::new(body);
        let s = Self::read(&mut r)?;
        r.finish()?;
        Ok(s)
    }
}

/// Declares [`StorageStatBuff`] with its 8-byte fields in wire order, so the
/// struct, the reader and the writer cannot disagree on the order.
macro_rules! stat_buff {
    ($($(#[$doc:meta])* $field:ident,)*) => {
        /// `FDFSStorageStatBuff`: 348 bytes, the connection counters then 42
        /// 8-byte fields in this order (counts as `total_X` / `success_X`
        /// pairs, then four unix-second timestamps).
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct StorageStatBuff {
            pub connection: ConnStats,
            $($(#[$doc])* pub $field: i64,)*
        }

        impl StorageStatBuff {
            pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(Self { connection: ConnStats::read(r)?, $($field: r.i64()?,)* })
            }
        }

        impl Encode for StorageStatBuff {
            fn encode(&self, buf: &mut BytesMut) {
                self.connection.encode(buf);
                $(buf.put_i64(self.$field);)*
            }
        }
    };
}

stat_buff! {
    total_upload_count,
    success_upload_count,
    total_append_count,
    success_append_count,
    total_modify_count,
    success_modify_count,
    total_truncate_count,
    success_truncate_count,
    total_set_meta_count,
    success_set_meta_count,
    total_delete_count,
    success_delete_count,
    total_download_count,
    success_download_count,
    total_get_meta_count,
    success_get_meta_count,
    total_create_link_count,
    success_create_link_count,
    total_delete_link_count,
    success_delete_link_count,
    total_upload_bytes,
    success_upload_bytes,
    total_append_bytes,
    success_append_bytes,
    total_modify_bytes,
    success_modify_bytes,
    total_download_bytes,
    success_download_bytes,
    total_sync_in_bytes,
    success_sync_in_bytes,
    total_sync_out_bytes,
    success_sync_out_bytes,
    total_file_open_count,
    success_file_open_count,
    total_file_read_count,
    success_file_read_count,
    total_file_write_count,
    success_file_write_count,
    /// Last time a file was written on this storage by a client.
    last_source_update,
    /// Last time a file was written here by replication.
    last_sync_update,
    /// Everything created before this time has been received from peers.
    last_synced_timestamp,
    /// Last heart beat the tracker received.
    last_heart_beat_time,
}

impl StorageStatBuff {
    /// Encoded size.
    pub const LEN: usize = ConnStats::LEN + 42 * 8;
}

impl Decode for StorageStatBuff {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, Self::LEN, "storage stat")?;
        let mut r = Reader::new(body);
        let s = Self::read(&mut r)?;
        r.finish()?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_order_and_length() {
        let s = StorageStatBuff {
            connection: ConnStats { alloc_count: 1, current_count: 2, max_count: 3 },
            total_upload_count: 4,
            success_file_write_count: 5,
            last_heart_beat_time: 6,
            ..Default::default()
        };
        let b = s.to_body();
        assert_eq!(b.len(), 348);
        assert_eq!(&b[..12], &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
        assert_eq!(b[19], 4, "total_upload_count at body+12");
        assert_eq!(b[12 + 37 * 8 + 7], 5, "success_file_write_count is field 38");
        assert_eq!(b[347], 6, "last_heart_beat_time is last");
        assert_eq!(StorageStatBuff::decode(&b).unwrap(), s);
        assert!(StorageStatBuff::decode(&b[..347]).is_err());
        assert!(ConnStats::decode(&[0; 13]).is_err());
    }
}
