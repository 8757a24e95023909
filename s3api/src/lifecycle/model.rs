//! A bucket's lifecycle configuration once validated: what the index
//! stores and the worker evaluates. [`super::parse`] builds it from s3s's
//! DTOs (refusing what AWS refuses) and turns it back into them for
//! GetBucketLifecycleConfiguration.

/// At most this many rules per configuration (AWS's limit).
pub const MAX_RULES: usize = 1000;

/// A rule ID is at most this many characters (AWS's limit).
pub const MAX_ID_LEN: usize = 255;

/// NewerNoncurrentVersions ranges over `1..=MAX_NEWER_VERSIONS`.
pub const MAX_NEWER_VERSIONS: u32 = 100;

/// A bucket's rules, in the order the client sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    pub rules: Vec<Rule>,
}

/// One rule: which objects ([`Filter`]) and what happens to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique within the configuration; generated when the client sent none.
    pub id: String,
    /// `Status` Enabled; a Disabled rule is kept but never applied.
    pub enabled: bool,
    pub filter: Filter,
    pub expiration: Option<Expiration>,
    pub noncurrent: Option<NoncurrentExpiration>,
    /// AbortIncompleteMultipartUpload's DaysAfterInitiation.
    pub abort_upload_days: Option<u32>,
}

/// How the filter was written, so GET answers in the form PUT used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterForm {
    /// The rule's own (deprecated) `<Prefix>`, no `<Filter>`.
    RulePrefix,
    /// `<Filter>` with at most one predicate (empty: every object).
    Single,
    /// `<Filter><And>…</And></Filter>`.
    And,
}

/// Which objects a rule applies to: every predicate must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub form: FilterForm,
    /// The key prefix; `None` (or empty) matches every key.
    pub prefix: Option<String>,
    /// Tags the object must carry, each with this value; keys unique.
    pub tags: Vec<(String, String)>,
    /// The object is larger than this many bytes.
    pub size_greater: Option<u64>,
    /// The object is smaller than this many bytes.
    pub size_less: Option<u64>,
}

/// When the current version expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiration {
    /// Days after creation, rounded up to the next midnight UTC.
    Days(u32),
    /// On this date (unix ms, a midnight UTC).
    Date(i64),
    /// ExpiredObjectDeleteMarker: a delete marker that is the only version
    /// left of its key is removed.
    ExpiredDeleteMarker,
}

/// NoncurrentVersionExpiration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoncurrentExpiration {
    /// Days after a version became noncurrent.
    pub days: u32,
    /// This many newest noncurrent versions are kept whatever their age.
    pub newer_versions: Option<u32>,
}

impl Filter {
    /// Whether the filter names tags (such a rule cannot remove delete
    /// markers or abort uploads: neither has tags).
    pub fn has_tags(&self) -> bool {
        !self.tags.is_empty()
    }

    /// Whether the filter names an object size (uploads have none yet, so
    /// such a rule never aborts an upload).
    pub fn has_size(&self) -> bool {
        self.size_greater.is_some() || self.size_less.is_some()
    }

    /// Whether an object with `key`, `size` bytes and tag set `tags`
    /// matches.
    pub fn matches(&self, key: &str, size: u64, tags: &[(String, String)]) -> bool {
        self.matches_key(key)
            && self.size_greater.is_none_or(|g| size > g)
            && self.size_less.is_none_or(|l| size < l)
            && self.tags.iter().all(|want| tags.contains(want))
    }

    /// Whether `key` starts with the prefix.
    pub fn matches_key(&self, key: &str) -> bool {
        self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
    }
}
