//! Reader for FastDFS's own configuration files (`tracker.conf`,
//! `storage.conf`, `client.conf`): `key = value` lines, `#` comments,
//! repeatable keys (`tracker_server`, `allow_hosts`), and `#include FILE`
//! relative to the including file. Values are kept as text; each role picks
//! the keys it honours and documents them.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The key/value pairs of one FastDFS config file, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FastdfsConf {
    entries: Vec<(String, String)>,
}

/// Includes nest at most this deep (FastDFS itself allows a few levels).
const MAX_INCLUDE_DEPTH: usize = 8;

impl FastdfsConf {
    /// Reads and parses `path`, following `#include`.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let mut conf = Self::default();
        conf.load_into(path, 0)?;
        Ok(conf)
    }

    fn load_into(&mut self, path: &Path, depth: usize) -> anyhow::Result<()> {
        if depth > MAX_INCLUDE_DEPTH {
            bail!("{}: #include nested too deep", path.display());
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(file) = line.strip_prefix("#include") {
                let file = file.trim();
                if file.is_empty() {
                    bail!("{}:{}: #include without a file", path.display(), number + 1);
                }
                let included: PathBuf = base.join(file);
                self.load_into(&included, depth + 1)?;
                continue;
            }
            self.parse_line(line).with_context(|| format!("{}:{}", path.display(), number + 1))?;
        }
        Ok(())
    }

    /// Parses text (no includes).
    #[allow(dead_code, reason = "unit tests parse inline text; roles load files")]
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut conf = Self::default();
        for (number, line) in text.lines().enumerate() {
            conf.parse_line(line.trim()).with_context(|| format!("line {}", number + 1))?;
        }
        Ok(conf)
    }

    fn parse_line(&mut self, line: &str) -> anyhow::Result<()> {
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let Some((key, value)) = line.split_once('=') else {
            bail!("expected `key = value`, got {line:?}");
        };
        let key = key.trim();
        if key.is_empty() {
            bail!("empty key in {line:?}");
        }
        self.entries.push((key.to_string(), value.trim().to_string()));
        Ok(())
    }

    /// The last value of `key` (later lines override earlier ones).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable key, in order.
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        self.entries.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    /// An integer value.
    pub fn get_i64(&self, key: &str) -> anyhow::Result<Option<i64>> {
        self.get(key)
            .map(|v| v.parse().with_context(|| format!("{key} = {v:?} is not an integer")))
            .transpose()
    }

    /// A TCP port (1..=65535).
    pub fn get_port(&self, key: &str) -> anyhow::Result<Option<u16>> {
        self.get_i64(key)?
            .map(|p| {
                u16::try_from(p)
                    .ok()
                    .filter(|&p| p != 0)
                    .with_context(|| format!("{key} = {p} is not a TCP port"))
            })
            .transpose()
    }

    /// A boolean in FastDFS's spellings (true/false, yes/no, on/off, 1/0).
    pub fn get_bool(&self, key: &str) -> anyhow::Result<Option<bool>> {
        self.get(key)
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Ok(true),
                "false" | "no" | "off" | "0" => Ok(false),
                _ => bail!("{key} = {v:?} is not a boolean"),
            })
            .transpose()
    }

    /// Keys present in the file, for warnings about unsupported ones.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comments_repeats_and_overrides() {
        let conf = FastdfsConf::parse(
            "# tracker\nport = 22122\n\nallow_hosts=10.0.0.1\nallow_hosts = 10.0.0.[2-3]\n\
             use_storage_id = false\nport=22123\n",
        )
        .unwrap();
        assert_eq!(conf.get("port"), Some("22123"));
        assert_eq!(conf.get_all("allow_hosts"), ["10.0.0.1", "10.0.0.[2-3]"]);
        assert_eq!(conf.get_bool("use_storage_id").unwrap(), Some(false));
        assert_eq!(conf.get_i64("port").unwrap(), Some(22123));
        assert!(conf.get("missing").is_none());
        assert!(FastdfsConf::parse("no equals sign").is_err());
    }

    #[test]
    fn follows_includes() {
        let dir = std::env::temp_dir().join(format!("fdfs-conf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("common.conf"), "base_path = /data\n").unwrap();
        std::fs::write(dir.join("main.conf"), "#include common.conf\nport = 1\n").unwrap();
        let conf = FastdfsConf::load(&dir.join("main.conf")).unwrap();
        assert_eq!(conf.get("base_path"), Some("/data"));
        std::fs::write(dir.join("loop.conf"), "#include loop.conf\n").unwrap();
        assert!(FastdfsConf::load(&dir.join("loop.conf")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
