//! The master key: 32 random bytes that seal every other secret the
//! gateway keeps at rest.
//!
//! Why one key per data directory rather than a key per secret: the index
//! may be copied, backed up or read by tools; with the secrets in it
//! sealed, a copy of `index.db` without `master.key` leaks nothing. The
//! key itself is the one file an operator must back up apart from the
//! index (or keep elsewhere and name with `--master-key-file`).
//!
//! File format: one line, `fdfs-master-key-v1:` followed by 64 lower-case
//! hex digits (a raw 32-byte file is accepted too, for keys made with
//! `head -c 32 /dev/urandom`). The file is created with mode 0600 through
//! a temp file and a hard link, so two processes starting on the same
//! data directory at once agree on one key and none is ever overwritten.
//!
//! Sealing: AES-256-GCM with a random 96-bit nonce under a subkey derived
//! per purpose (HMAC-SHA256 of the master key and the purpose label), the
//! caller's associated data authenticated with it. A sealed value is
//! `version (1) | nonce (12) | ciphertext | tag (16)`.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The master key's file name inside the gateway's data directory.
pub const MASTER_KEY_FILE: &str = "master.key";

const TEXT_PREFIX: &str = "fdfs-master-key-v1:";
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why the master key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    /// Reading or creating the file failed.
    #[error("master key {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    /// The file holds something other than a key.
    #[error("master key {path}: not a key ({why})")]
    Malformed { path: PathBuf, why: &'static str },
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Too short, or of a version this build does not read.
    #[error("sealed value is malformed")]
    Malformed,
    /// The tag did not verify: another key, another purpose or associated
    /// data, or tampered bytes.
    #[error("sealed value does not open with this key")]
    Mismatch,
}

/// A 256-bit master key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; 32],
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A key from its 32 bytes (tests, and keys handed in by other means).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes }
    }

    /// A fresh key from the OS-seeded RNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self { bytes }
    }

    /// The key of data directory `dir` (`dir/master.key`), made on first
    /// use; see [`MasterKey::load_or_create`].
    pub fn for_data_dir(dir: &Path) -> Result<Self, MasterKeyError> {
        Self::load_or_create(&dir.join(MASTER_KEY_FILE))
    }

    /// Reads the key at `path`, or creates it (mode 0600, fsynced, linked
    /// into place only if no other process made one first).
    pub fn load_or_create(path: &Path) -> Result<Self, MasterKeyError> {
        match Self::load(path) {
            Err(MasterKeyError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                Self::create(path)
            }
            other => other,
        }
    }

    /// Reads the key at `path` (an operator's `--master-key-file`).
    pub fn load(path: &Path) -> Result<Self, MasterKeyError> {
        let io_err = |source| MasterKeyError::Io { path: path.to_path_buf(), source };
        let raw = fs::read(path).map_err(io_err)?;
        Self::parse(&raw).map_err(|why| MasterKeyError::Malformed { path: path.to_path_buf(), why })
    }

    fn parse(raw: &[u8]) -> Result<Self, &'static str> {
        if raw.len() == 32 && !raw.starts_with(TEXT_PREFIX.as_bytes()) {
            let mut bytes = [0u8; 32];
            bytes.copy_from_slice(raw);
            return Ok(Self { bytes });
        }
        let text = std::str::from_utf8(raw).map_err(|_| "neither text nor 32 bytes")?.trim();
        let hex = text.strip_prefix(TEXT_PREFIX).unwrap_or(text);
        if hex.len() != 64 {
            return Err("expected 64 hex digits");
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| "not hex")?;
        }
        Ok(Self { bytes })
    }

    fn create(path: &Path) -> Result<Self, MasterKeyError> {
        let io_err = |source| MasterKeyError::Io { path: path.to_path_buf(), source };
        let key = Self::generate();
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let temp = dir.join(format!(".{MASTER_KEY_FILE}.{}.tmp", rand::rng().next_u64()));
        let written = (|| {
            let mut file =
                fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
            // The mode above is filtered by the umask; set it outright.
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
            file.write_all(key.to_text().as_bytes())?;
            file.sync_all()?;
            // A hard link fails when the name exists: the first creator
            // wins and everyone else reads its key.
            fs::hard_link(&temp, path)
        })();
        let _ = fs::remove_file(&temp);
        match written {
            Ok(()) => {
                fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io_err)?;
                Ok(key)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(io_err(e)),
        }
    }

    fn to_text(&self) -> String {
        let mut text = String::with_capacity(TEXT_PREFIX.len() + 65);
        text.push_str(TEXT_PREFIX);
        for byte in self.bytes {
            text.push_str(&format!("{byte:02x}"));
        }
        text.push('\n');
        text
    }

    /// A 256-bit subkey for `purpose` (HMAC-SHA256 of the master key), so
    /// values sealed for one purpose never open as another's.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.bytes)
            .expect("HMAC takes keys of any length");
        mac.update(b"fdfs-master-key-v1/");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn cipher(&self, purpose: &str) -> Aes256Gcm {
        Aes256Gcm::new(&self.derive(purpose).into())
    }

    /// Seals `plaintext` for `purpose`, authenticating `aad` with it.
    pub fn seal(&self, purpose: &str, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher(purpose)
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
            .expect("AES-GCM encrypts any message under 64 GiB");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`MasterKey::seal`] made with the same purpose and `aad`.
    pub fn open(&self, purpose: &str, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEAL_VERSION {
            return Err(SealError::Malformed);
        }
        let (nonce, body) = sealed[1..].split_at(NONCE_LEN);
        self.cipher(purpose)
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
            .map_err(|_| SealError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_with_mode_0600_and_reread() {
        let dir = tempfile::tempdir().unwrap();
        let first = MasterKey::for_data_dir(dir.path()).unwrap();
        let path = dir.path().join(MASTER_KEY_FILE);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let again = MasterKey::for_data_dir(dir.path()).unwrap();
        assert_eq!(first.bytes, again.bytes);
        // No temp files left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn concurrent_creators_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<[u8; 32]> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| MasterKey::for_data_dir(dir.path()).unwrap().bytes))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn raw_and_hex_files_parse_and_garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("raw");
        fs::write(&raw, [7u8; 32]).unwrap();
        assert_eq!(MasterKey::load(&raw).unwrap().bytes, [7u8; 32]);
        let hex = dir.path().join("hex");
        fs::write(&hex, format!("{}\n", "ab".repeat(32))).unwrap();
        assert_eq!(MasterKey::load(&hex).unwrap().bytes, [0xab; 32]);
        let bad = dir.path().join("bad");
        fs::write(&bad, "not a key").unwrap();
        assert!(matches!(MasterKey::load(&bad), Err(MasterKeyError::Malformed { .. })));
    }

    #[test]
    fn sealed_values_bind_key_purpose_and_aad() {
        let key = MasterKey::generate();
        let sealed = key.seal("access-key", b"AKID", b"secret");
        assert_eq!(key.open("access-key", b"AKID", &sealed).unwrap(), b"secret");
        assert_eq!(key.open("access-key", b"OTHER", &sealed), Err(SealError::Mismatch));
        assert_eq!(key.open("sse-s3", b"AKID", &sealed), Err(SealError::Mismatch));
        assert_eq!(
            MasterKey::generate().open("access-key", b"AKID", &sealed),
            Err(SealError::Mismatch)
        );
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(key.open("access-key", b"AKID", &flipped), Err(SealError::Mismatch));
        assert_eq!(key.open("access-key", b"AKID", &sealed[..10]), Err(SealError::Malformed));
        assert_ne!(key.seal("p", b"", b"x"), key.seal("p", b"", b"x"), "nonces are random");
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", MasterKey::from_bytes([1; 32])), "MasterKey(<redacted>)");
    }
}
