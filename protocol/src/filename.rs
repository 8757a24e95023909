//! Generated file names: the self-describing part of a FastDFS file ID.
//!
//! A storage names every new file after a 20-byte block (source storage,
//! create time, size, CRC32) in [`base64`](crate::base64), so a client can
//! tell where and when a file was written, and how big it is, without asking
//! anyone. A name is 27 block characters, for trunk files 16 more characters
//! of trunk position, then a 7-character extension part (`976.bin`,
//! `12.jpeg`, `3331705`). Slave names extend their master's name.
//!
//! All fallible functions return [`DecodeError::Invalid`]: a bad name or
//! extension always comes from a request, and the server answers it with
//! `EINVAL` ([`DecodeError::status`]).

use std::net::Ipv4Addr;

use rand::Rng;

use crate::base64;
use crate::consts::{
    FILE_EXT_NAME_MAX_LEN, FILE_PREFIX_MAX_LEN, FILENAME_BASE64_LENGTH, LOGIC_FILE_PATH_LEN,
    MAX_LOGIC_FILENAME_LEN, TRUNK_FILE_INFO_LEN,
};
use crate::error::DecodeError;

/// Bytes of the name block.
pub const NAME_BLOCK_LEN: usize = 20;
/// Bytes of a trunk position (id, offset, size).
pub const TRUNK_INFO_BYTES: usize = 12;
/// The extension part: `6 - len(ext)` digits, `.`, ext; or 7 digits.
pub const EXT_PART_LEN: usize = FILE_EXT_NAME_MAX_LEN + 1;
/// Length of a normal (and appender) name.
pub const NORMAL_NAME_LEN: usize = FILENAME_BASE64_LENGTH + EXT_PART_LEN;
/// Length of a trunk file's name.
pub const TRUNK_NAME_LEN: usize = NORMAL_NAME_LEN + TRUNK_FILE_INFO_LEN;
/// Longest name that still fits a logic filename.
pub const MAX_NAME_LEN: usize = MAX_LOGIC_FILENAME_LEN - LOGIC_FILE_PATH_LEN;

/// Size field bit 63: the high half is random and the low half is the size.
pub const RANDOM_SIZE_FLAG: u64 = 1 << 63;
/// Size field bit 58 (`INFINITE_FILE_SIZE`): an appender file.
pub const APPENDER_FLAG: u64 = 1 << 58;
/// Size field bit 59: a file packed in a trunk file.
pub const TRUNK_FLAG: u64 = 1 << 59;
/// The random bits of the size field's high half.
pub const RANDOM_SIZE_MASK: u32 = 0x7F_FFFF;
/// Largest plain size: bigger ones would collide with the flag bits.
pub const MAX_PLAIN_SIZE: u64 = APPENDER_FLAG - 1;
/// Largest numeric storage id a name can carry (`FDFS_MAX_SERVER_ID`).
pub const MAX_SERVER_ID: u32 = (1 << 24) - 1;

/// Exclusive bound of the random digits of an extension part.
const EXT_DIGITS_BOUND: u32 = 10_000_000;

/// A numeric storage id as names carry it: 1 to [`MAX_SERVER_ID`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(u32);

impl ServerId {
    /// `None` unless `1 <= id <= MAX_SERVER_ID`.
    pub fn new(id: u32) -> Option<Self> {
        (1..=MAX_SERVER_ID).contains(&id).then_some(Self(id))
    }

    /// The numeric id.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// The storage that first stored a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Its IPv4 address (the default, `id_type_in_filename = ip`).
    Ip(Ipv4Addr),
    /// Its numeric storage id (`use_storage_id` with `id_type_in_filename = id`).
    Id(ServerId),
}

impl Source {
    /// The four block bytes.
    ///
    /// An address is written in network order. FastDFS writes an id through
    /// `htonl` then big-endian, which on the little-endian hosts it runs on
    /// leaves the id's bytes in little-endian order.
    pub fn to_bytes(self) -> [u8; 4] {
        match self {
            Self::Ip(addr) => addr.octets(),
            Self::Id(id) => id.get().to_le_bytes(),
        }
    }

    /// Reads the four block bytes the way FastDFS does: the bytes taken as a
    /// little-endian number (its `s_addr`) are an id when in
    /// `1..=MAX_SERVER_ID`, otherwise an address. Like FastDFS, this reads an
    /// address ending in `.0` (other than `0.0.0.0`) as an id.
    pub fn from_bytes(bytes: [u8; 4]) -> Self {
        match ServerId::new(u32::from_le_bytes(bytes)) {
            Some(id) => Self::Id(id),
            None => Self::Ip(Ipv4Addr::from(bytes)),
        }
    }
}

/// The 20 bytes every generated name encodes, all big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NameBlock {
    /// Bytes 0–3: the storage that first stored the file.
    pub source: Source,
    /// Bytes 4–7: unix seconds, the file's mtime when the upload finished.
    pub create_time: u32,
    /// Bytes 8–15: size with flags (see [`NewFile::size_field`]).
    pub size_field: u64,
    /// Bytes 16–19: CRC-32/IEEE of the content (appenders: initial content).
    pub crc32: u32,
}

impl NameBlock {
    /// The block's bytes.
    pub fn to_bytes(&self) -> [u8; NAME_BLOCK_LEN] {
        let mut out = [0; NAME_BLOCK_LEN];
        out[0..4].copy_from_slice(&self.source.to_bytes());
        out[4..8].copy_from_slice(&self.create_time.to_be_bytes());
        out[8..16].copy_from_slice(&self.size_field.to_be_bytes());
        out[16..20].copy_from_slice(&self.crc32.to_be_bytes());
        out
    }

    /// Reads a block.
    pub fn from_bytes(bytes: &[u8; NAME_BLOCK_LEN]) -> Self {
        let [s0, s1, s2, s3, t0, t1, t2, t3, z0, z1, z2, z3, z4, z5, z6, z7, c0, c1, c2, c3] =
            *bytes;
        Self {
            source: Source::from_bytes([s0, s1, s2, s3]),
            create_time: u32::from_be_bytes([t0, t1, t2, t3]),
            size_field: u64::from_be_bytes([z0, z1, z2, z3, z4, z5, z6, z7]),
            crc32: u32::from_be_bytes([c0, c1, c2, c3]),
        }
    }

    /// The 27 base64 characters a name starts with.
    pub fn encode(&self) -> String {
        base64::encode(&self.to_bytes())
    }

    /// Decodes the 27 base64 characters a name starts with.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        base64::decode_array::<NAME_BLOCK_LEN>(text).map(|bytes| Self::from_bytes(&bytes))
    }
}

/// Where a small file sits inside a trunk file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrunkLocation {
    /// The trunk file's id.
    pub id: u32,
    /// Offset of the slot in the trunk file.
    pub offset: u32,
    /// Size of the slot.
    pub size: u32,
}

impl TrunkLocation {
    /// The 12 bytes, big-endian.
    pub fn to_bytes(&self) -> [u8; TRUNK_INFO_BYTES] {
        let mut out = [0; TRUNK_INFO_BYTES];
        out[0..4].copy_from_slice(&self.id.to_be_bytes());
        out[4..8].copy_from_slice(&self.offset.to_be_bytes());
        out[8..12].copy_from_slice(&self.size.to_be_bytes());
        out
    }

    /// Reads the 12 bytes.
    pub fn from_bytes(bytes: &[u8; TRUNK_INFO_BYTES]) -> Self {
        let [i0, i1, i2, i3, o0, o1, o2, o3, s0, s1, s2, s3] = *bytes;
        Self {
            id: u32::from_be_bytes([i0, i1, i2, i3]),
            offset: u32::from_be_bytes([o0, o1, o2, o3]),
            size: u32::from_be_bytes([s0, s1, s2, s3]),
        }
    }

    /// The 16 base64 characters that follow the block in a trunk name.
    pub fn encode(&self) -> String {
        base64::encode(&self.to_bytes())
    }

    /// Decodes the 16 base64 characters.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        base64::decode_array::<TRUNK_INFO_BYTES>(text).map(|bytes| Self::from_bytes(&bytes))
    }
}

/// What a decoded name says the file is (the C client's `FDFS_FILE_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A regular file; its size is in the name.
    Normal,
    /// An appender file; its size must be asked for (QUERY_FILE_INFO).
    Appender,
    /// A regular file packed in a trunk file; its size is in the name.
    Trunk,
    /// A slave file (name longer than its master's); the block is the
    /// master's, so the size must be asked for.
    Slave,
}

/// Everything a name tells about its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameInfo {
    /// The decoded block.
    pub block: NameBlock,
    /// The kind, decided as the C client does.
    pub kind: FileKind,
    /// The trunk position, when the size field has the trunk flag.
    pub trunk: Option<TrunkLocation>,
    /// The extension: what follows the first `.` in the last 7 characters,
    /// empty if there is none.
    pub ext: String,
}

impl NameInfo {
    /// Decodes a name (the part after `Mxx/HH/LL/`).
    ///
    /// The name must be 34 to 117 characters of `[A-Za-z0-9._-]` without
    /// `..`, start with a canonical block, and for trunk files carry a
    /// canonical trunk position. The kind follows the C client: the appender
    /// flag means appender; otherwise a name longer than a normal one (a
    /// trunk one with the trunk flag) is a slave.
    pub fn decode(name: &str) -> Result<Self, DecodeError> {
        if !(NORMAL_NAME_LEN..=MAX_NAME_LEN).contains(&name.len()) {
            return Err(DecodeError::invalid(
                "file name",
                format!("length {} outside {NORMAL_NAME_LEN}..={MAX_NAME_LEN}", name.len()),
            ));
        }
        check_chars("file name", name)?;
        let (block_text, rest) = name.split_at(FILENAME_BASE64_LENGTH);
        let block = NameBlock::decode(block_text)?;
        let trunk = if block.size_field & TRUNK_FLAG != 0 {
            if name.len() < TRUNK_NAME_LEN {
                return Err(DecodeError::invalid(
                    "file name",
                    format!("trunk file name of {} characters", name.len()),
                ));
            }
            Some(TrunkLocation::decode(&rest[..TRUNK_FILE_INFO_LEN])?)
        } else {
            None
        };
        let kind = if block.size_field & APPENDER_FLAG != 0 {
            FileKind::Appender
        } else if trunk.is_some() {
            if name.len() > TRUNK_NAME_LEN { FileKind::Slave } else { FileKind::Trunk }
        } else if name.len() > NORMAL_NAME_LEN {
            FileKind::Slave
        } else {
            FileKind::Normal
        };
        Ok(Self { block, kind, trunk, ext: ext_of(name).to_owned() })
    }

    /// The file size, when the name tells it (normal and trunk files).
    pub fn size(&self) -> Option<u64> {
        match self.kind {
            FileKind::Appender | FileKind::Slave => None,
            FileKind::Normal | FileKind::Trunk => Some(size_of_field(self.block.size_field)),
        }
    }

    /// The storage that first stored the file.
    pub fn source(&self) -> Source {
        self.block.source
    }

    /// Unix seconds when the upload finished.
    pub fn create_time(&self) -> u32 {
        self.block.create_time
    }

    /// CRC-32 of the content (for appenders: of the initial content).
    pub fn crc32(&self) -> u32 {
        self.block.crc32
    }
}

/// The size a size field holds, ignoring the appender flag: the low 32 bits
/// when bit 63 or the trunk flag is set, otherwise the whole field.
pub fn size_of_field(size_field: u64) -> u64 {
    if size_field & (RANDOM_SIZE_FLAG | TRUNK_FLAG) != 0 {
        size_field & u64::from(u32::MAX)
    } else {
        size_field
    }
}

/// The kind of file a new name is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NewFile {
    /// A regular file of this many bytes (at most [`MAX_PLAIN_SIZE`]).
    Normal { size: u64 },
    /// An appender file; its name carries no size.
    Appender,
    /// A file packed in a trunk file.
    Trunk { size: u32, location: TrunkLocation },
}

impl NewFile {
    /// The size field (`COMBINE_RAND_FILE_SIZE`): below 4 GiB the high half
    /// is `0x80000000 | rand23` (plus the appender or trunk flag) and the low
    /// half the size (0 for appenders); from 4 GiB on the plain size.
    /// `rand` is masked to its low 23 bits.
    pub fn size_field(&self, rand: u32) -> Result<u64, DecodeError> {
        let high = |flag: u64| RANDOM_SIZE_FLAG | flag | u64::from(rand & RANDOM_SIZE_MASK) << 32;
        match *self {
            Self::Normal { size } if size <= u64::from(u32::MAX) => Ok(high(0) | size),
            Self::Normal { size } if size <= MAX_PLAIN_SIZE => Ok(size),
            Self::Normal { size } => {
                Err(DecodeError::invalid("file size", format!("{size} exceeds {MAX_PLAIN_SIZE}")))
            }
            Self::Appender => Ok(high(APPENDER_FLAG)),
            Self::Trunk { size, .. } => Ok(high(TRUNK_FLAG) | u64::from(size)),
        }
    }
}

/// The facts a storage names a new file after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewName<'a> {
    /// This storage's address or id.
    pub source: Source,
    /// Unix seconds: the file's mtime once fully written.
    pub create_time: u32,
    /// Kind and size.
    pub file: NewFile,
    /// CRC-32/IEEE of the content.
    pub crc32: u32,
    /// The extension, `[A-Za-z0-9._-]{0,6}` (see [`validate_ext`]).
    pub ext: &'a str,
}

impl NewName<'_> {
    /// Generates the name with random size bits and extension digits.
    pub fn generate<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<String, DecodeError> {
        self.encode(rng.random::<u32>(), rng.random_range(0..EXT_DIGITS_BOUND))
    }

    /// Builds the name from explicit random inputs: `rand` for the size
    /// field (low 23 bits used) and `digits` for the extension part (its
    /// last `7 - len(ext part)` decimal digits used, zero-padded).
    pub fn encode(&self, rand: u32, digits: u32) -> Result<String, DecodeError> {
        validate_ext(self.ext)?;
        let block = NameBlock {
            source: self.source,
            create_time: self.create_time,
            size_field: self.file.size_field(rand)?,
            crc32: self.crc32,
        };
        let mut name = String::with_capacity(TRUNK_NAME_LEN);
        base64::encode_to(&block.to_bytes(), &mut name);
        if let NewFile::Trunk { location, .. } = self.file {
            base64::encode_to(&location.to_bytes(), &mut name);
        }
        push_ext_part(&mut name, self.ext, digits);
        Ok(name)
    }
}

/// Appends the 7-character extension part.
fn push_ext_part(name: &mut String, ext: &str, digits: u32) {
    if ext.is_empty() {
        let digits = digits % EXT_DIGITS_BOUND;
        name.push_str(&format!("{digits:0width$}", width = EXT_PART_LEN));
    } else {
        let width = FILE_EXT_NAME_MAX_LEN.saturating_sub(ext.len());
        if width > 0 {
            let bound = 10u32.pow(width as u32);
            name.push_str(&format!("{:0width$}", digits % bound));
        }
        name.push('.');
        name.push_str(ext);
    }
}

/// The extension of a name: what follows the first `.` in its last 7
/// characters, empty if none.
fn ext_of(name: &str) -> &str {
    let tail_start = name.len().saturating_sub(EXT_PART_LEN);
    let tail = name.get(tail_start..).unwrap_or("");
    tail.find('.').map_or("", |dot| &tail[dot + 1..])
}

/// Checks an extension: `[A-Za-z0-9._-]{0,6}`, not starting with `.` and
/// without `..` (either would put `..` in the name; FastDFS clients take
/// the extension after the last `.`, so neither occurs in practice).
pub fn validate_ext(ext: &str) -> Result<(), DecodeError> {
    if ext.len() > FILE_EXT_NAME_MAX_LEN {
        return Err(DecodeError::invalid(
            "file ext name",
            format!("length {} exceeds {FILE_EXT_NAME_MAX_LEN}", ext.len()),
        ));
    }
    if ext.starts_with('.') {
        return Err(DecodeError::invalid("file ext name", "starts with '.'"));
    }
    check_chars("file ext name", ext)
}

/// Checks a slave prefix: `[A-Za-z0-9._-]{1,16}` without `..`.
pub fn validate_prefix(prefix: &str) -> Result<(), DecodeError> {
    if prefix.is_empty() || prefix.len() > FILE_PREFIX_MAX_LEN {
        return Err(DecodeError::invalid(
            "prefix name",
            format!("length {} outside 1..={FILE_PREFIX_MAX_LEN}", prefix.len()),
        ));
    }
    check_chars("prefix name", prefix)
}

/// Whether `c` may appear in a name, extension or prefix (`fdfs_validate_filename`).
pub fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')
}

/// Rejects characters outside `[A-Za-z0-9._-]` and `..`.
fn check_chars(field: &'static str, text: &str) -> Result<(), DecodeError> {
    if let Some(&c) = text.as_bytes().iter().find(|&&c| !is_name_char(c)) {
        return Err(DecodeError::invalid(field, format!("invalid character 0x{c:02x}")));
    }
    if text.contains("..") {
        return Err(DecodeError::invalid(field, "contains \"..\""));
    }
    Ok(())
}

/// The name of a slave file: the master's name without its `.ext` (looked
/// for in its last 7 characters), then `prefix`, then `.ext` — or the
/// master's own `.ext` when `ext` is empty.
///
/// `master` is a name or a logic filename (`M00/00/00/` kept as is); the
/// result has the same form. Fails on a master name that does not decode, a
/// bad prefix or extension, and when the result would be too short to
/// decode as a slave (FastDFS would create it and later misreport it as a
/// normal file) or too long for a logic filename.
pub fn slave_name(master: &str, prefix: &str, ext: &str) -> Result<String, DecodeError> {
    validate_prefix(prefix)?;
    validate_ext(ext)?;
    let name_start = master.rfind('/').map_or(0, |slash| slash + 1);
    let master_name = &master[name_start..];
    let master_info = NameInfo::decode(master_name)?;
    let tail_start = master.len().saturating_sub(EXT_PART_LEN).max(name_start);
    let dot = master[tail_start..].find('.').map(|i| tail_start + i);
    let (stem, master_ext) = match dot {
        Some(dot) => master.split_at(dot),
        None => (master, ""),
    };
    let mut out = String::with_capacity(stem.len() + prefix.len() + EXT_PART_LEN);
    out.push_str(stem);
    out.push_str(prefix);
    if ext.is_empty() {
        out.push_str(master_ext);
    } else {
        out.push('.');
        out.push_str(ext);
    }
    let name_len = out.len() - name_start;
    check_chars("slave file name", &out[name_start..])?;
    let plain_len = if master_info.trunk.is_some() { TRUNK_NAME_LEN } else { NORMAL_NAME_LEN };
    if name_len <= plain_len {
        return Err(DecodeError::invalid(
            "slave file name",
            format!("{name_len} characters cannot be told from a master name"),
        ));
    }
    if name_len > MAX_NAME_LEN {
        return Err(DecodeError::invalid(
            "slave file name",
            format!("length {name_len} exceeds {MAX_NAME_LEN}"),
        ));
    }
    Ok(out)
}

/// The PJW (ELF) hash of `text`.
pub fn pjw_hash(text: &[u8]) -> u32 {
    text.iter().fold(0u32, |h, &c| {
        let h = (h << 4).wrapping_add(u32::from(c));
        let top = h & 0xF000_0000;
        if top == 0 { h } else { (h ^ (top >> 24)) & !top }
    })
}

/// The subdirectory pair for `file_distribute_path_mode = 1`: the PJW hash
/// of the name's 27 base64 characters mod 65536, high byte → `HH`, low byte
/// → `LL`, each mod `subdir_count` (1–256; 0 is treated as 1).
pub fn pjw_hash_subdir(base64_part: &str, subdir_count: u16) -> (u8, u8) {
    let n = pjw_hash(base64_part.as_bytes()) % 65536;
    let count = u32::from(subdir_count.max(1));
    let high = ((n >> 8) & 0xFF) % count;
    let low = (n & 0xFF) % count;
    (high as u8, low as u8)
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::{
        FileKind, NameInfo, NewFile, NewName, ServerId, Source, TrunkLocation, pjw_hash,
        pjw_hash_subdir, slave_name, validate_ext,
    };

    #[test]
    fn decodes_the_upload_fixture_name() {
        let info = NameInfo::decode("fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt").unwrap();
        assert_eq!(info.source(), Source::Ip(Ipv4Addr::new(127, 0, 0, 2)));
        assert_eq!(info.create_time(), 1_795_682_911);
        assert_eq!(info.block.size_field, 0x8077_90b8_0000_0016);
        assert_eq!(info.crc32(), 0x947f_6e92);
        assert_eq!(info.kind, FileKind::Normal);
        assert_eq!(info.size(), Some(22));
        assert_eq!(info.ext, "txt");
        assert_eq!(info.trunk, None);
    }

    #[test]
    fn size_fields() {
        let normal = NewFile::Normal { size: 290 };
        assert_eq!(normal.size_field(0x5a_8365).unwrap(), 0x805a_8365_0000_0122);
        assert_eq!(normal.size_field(0xFFFF_FFFF).unwrap() >> 32, 0x807F_FFFF);
        let big = NewFile::Normal { size: 5 << 30 };
        assert_eq!(big.size_field(123).unwrap(), 5 << 30);
        assert!(NewFile::Normal { size: 1 << 58 }.size_field(0).is_err());
        assert_eq!(NewFile::Appender.size_field(0x6f_96a5).unwrap(), 0x846f_96a5_0000_0000);
        let location = TrunkLocation { id: 1, offset: 2, size: 3 };
        let trunk = NewFile::Trunk { size: 7, location };
        assert_eq!(trunk.size_field(1).unwrap(), 0x8800_0001_0000_0007);
    }

    #[test]
    fn ext_parts() {
        let mut spec = NewName {
            source: Source::Ip(Ipv4Addr::new(127, 0, 0, 2)),
            create_time: 1_795_681_925,
            file: NewFile::Normal { size: 100_000 },
            crc32: 0xF5D2_6E6E,
            ext: "bin",
        };
        assert!(spec.encode(0, 12_976).unwrap().ends_with("976.bin"));
        spec.ext = "jpeg";
        assert!(spec.encode(0, 12).unwrap().ends_with("12.jpeg"));
        spec.ext = "";
        assert!(spec.encode(0, 3_331_705).unwrap().ends_with("3331705"));
        spec.ext = "tar.gz";
        let name = spec.encode(0, 99).unwrap();
        assert!(name.ends_with(".tar.gz"));
        assert_eq!(NameInfo::decode(&name).unwrap().ext, "tar.gz");
        spec.ext = "toolong";
        assert!(spec.encode(0, 0).is_err());
    }

    #[test]
    fn trunk_names() {
        let location = TrunkLocation { id: 42, offset: 1 << 20, size: 4096 };
        let spec = NewName {
            source: Source::Id(ServerId::new(100_001).unwrap()),
            create_time: 1_795_682_911,
            file: NewFile::Trunk { size: 4000, location },
            crc32: 7,
            ext: "png",
        };
        let name = spec.encode(5, 777).unwrap();
        assert_eq!(name.len(), 50);
        let info = NameInfo::decode(&name).unwrap();
        assert_eq!(info.kind, FileKind::Trunk);
        assert_eq!(info.trunk, Some(location));
        assert_eq!(info.size(), Some(4000));
        assert_eq!(info.source(), spec.source);
        let slave = slave_name(&name, "_s", "").unwrap();
        assert_eq!(NameInfo::decode(&slave).unwrap().kind, FileKind::Slave);
    }

    #[test]
    fn server_ids() {
        let id = Source::Id(ServerId::new(100_001).unwrap());
        assert_eq!(Source::from_bytes(id.to_bytes()), id);
        assert!(ServerId::new(0).is_none());
        assert!(ServerId::new(1 << 24).is_none());
        assert_eq!(Source::from_bytes([0, 0, 0, 0]), Source::Ip(Ipv4Addr::UNSPECIFIED));
    }

    #[test]
    fn slave_names() {
        let master = "fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt";
        assert_eq!(
            slave_name(master, "_small", "jpg").unwrap(),
            "fwAAAmsH8mKAFnOWAAABIhqN0Rk449_small.jpg"
        );
        assert_eq!(
            slave_name(&format!("M00/00/00/{master}"), "_big", "").unwrap(),
            "M00/00/00/fwAAAmsH8mKAFnOWAAABIhqN0Rk449_big.txt"
        );
        let no_ext = "fwAAAmsH8mKAFnOWAAABIhqN0Rk3331705";
        assert!(slave_name("not a name", "_x", "").is_err());
        assert_eq!(slave_name(no_ext, "_x", "").unwrap(), format!("{no_ext}_x"));
        assert!(slave_name(master, "", "jpg").is_err());
        assert!(slave_name(master, "a/b", "jpg").is_err());
        assert!(slave_name(master, "_s", "a/b").is_err());
        assert!(slave_name(master, "_s.", "jpg").is_err());
        // Would be 33 characters, shorter than a normal name.
        assert!(slave_name("fwAAAmsH8mKAFnOWAAABIhqN0Rk.abcdef", "_", "jpg").is_err());
    }

    #[test]
    fn ext_validation() {
        for ok in ["", "a", "jpg", "tar.gz", "A-b_9."] {
            assert!(validate_ext(ok).is_ok(), "{ok}");
        }
        for bad in ["toolong", "a b", "a/b", "..", "a..b", ".gz", "é", "a\0"] {
            assert!(validate_ext(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pjw() {
        assert_eq!(pjw_hash(b""), 0);
        assert_eq!(pjw_hash(b"A"), 0x41);
        assert_eq!(pjw_hash(b"AB"), 0x41 << 4 | 0x42);
        // Eight characters push bits into the top nibble, which folds back.
        let h = pjw_hash(b"zzzzzzzz");
        assert_eq!(h & 0xF000_0000, 0);
        let (high, low) = pjw_hash_subdir("fwAAAmsH8l-Ad5C4AAAAFpR_bpI", 256);
        let n = pjw_hash(b"fwAAAmsH8l-Ad5C4AAAAFpR_bpI") % 65536;
        assert_eq!((u32::from(high), u32::from(low)), (n >> 8, n & 0xFF));
        let (high, low) = pjw_hash_subdir("fwAAAmsH8l-Ad5C4AAAAFpR_bpI", 10);
        assert!(high < 10 && low < 10);
        assert_eq!(pjw_hash_subdir("x", 0), (0, 0));
    }
}
