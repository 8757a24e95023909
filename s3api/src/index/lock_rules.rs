//! Object Lock's records and rules, without SQL: the retention modes,
//! a version's lock, a bucket's default retention, which retention
//! changes AWS allows, and the strongest of two locks (what a file shared
//! by several versions carries in its tags).

/// A retention mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockMode {
    /// Removable early with the bypass flag.
    Governance,
    /// Removable by no one until it expires.
    Compliance,
}

impl LockMode {
    /// The S3 (and stored) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }

    /// Parses the S3 spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "GOVERNANCE" => Some(LockMode::Governance),
            "COMPLIANCE" => Some(LockMode::Compliance),
            _ => None,
        }
    }
}

/// A retention: a mode and the moment it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// The mode.
    pub mode: LockMode,
    /// Retain until, unix ms.
    pub until_ms: i64,
}

/// What protects one object version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ObjectLock {
    /// Its retention, if any was ever set (it may have expired).
    pub retention: Option<Retention>,
    /// Whether a legal hold is on.
    pub legal_hold: bool,
}

impl ObjectLock {
    /// Whether the lock forbids removing the version at `now_ms`; with
    /// `bypass`, an unexpired GOVERNANCE retention does not.
    pub fn protects(&self, now_ms: i64, bypass: bool) -> bool {
        self.legal_hold
            || self
                .retention
                .is_some_and(|r| r.until_ms > now_ms && (r.mode == LockMode::Compliance || !bypass))
    }
}

/// A default retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// So many days.
    Days(u32),
    /// So many years.
    Years(u32),
}

/// A bucket's default retention: applied to new versions that ask for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRetention {
    /// The mode new versions get.
    pub mode: LockMode,
    /// For how long from their creation.
    pub period: Period,
}

impl DefaultRetention {
    /// The retention a version created at `now_ms` gets. A year counts
    /// 365 days, as AWS counts it.
    pub fn from(&self, now_ms: i64) -> Retention {
        const DAY_MS: i64 = 86_400_000;
        let days = match self.period {
            Period::Days(d) => i64::from(d),
            Period::Years(y) => i64::from(y) * 365,
        };
        Retention { mode: self.mode, until_ms: now_ms.saturating_add(days * DAY_MS) }
    }
}

/// A bucket's Object Lock configuration (object lock is enabled when one
/// exists; once enabled it cannot be turned off, as on AWS).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BucketLock {
    /// The default retention, if any.
    pub default: Option<DefaultRetention>,
}

/// Whether replacing retention `old` by `new` at `now_ms` is allowed.
pub fn retention_change_allowed(
    old: Option<Retention>,
    new: Option<Retention>,
    now_ms: i64,
    bypass: bool,
) -> std::result::Result<(), &'static str> {
    let Some(old) = old.filter(|o| o.until_ms > now_ms) else { return Ok(()) };
    let weaker = match new {
        None => true,
        Some(n) => n.until_ms < old.until_ms || n.mode < old.mode,
    };
    match (weaker, old.mode) {
        (false, _) => Ok(()),
        (true, LockMode::Compliance) => {
            Err("a COMPLIANCE retention can only be extended while it runs")
        }
        (true, LockMode::Governance) if bypass => Ok(()),
        (true, LockMode::Governance) => {
            Err("a GOVERNANCE retention can only be shortened or removed with \
             x-amz-bypass-governance-retention")
        }
    }
}

/// The stronger of two locks at `now_ms`: hold if either holds; the
/// latest end; COMPLIANCE over GOVERNANCE while it runs.
pub fn strongest(a: ObjectLock, b: ObjectLock, now_ms: i64) -> ObjectLock {
    let retention = match (a.retention, b.retention) {
        (None, r) | (r, None) => r,
        (Some(x), Some(y)) => {
            let until_ms = x.until_ms.max(y.until_ms);
            let running = |r: Retention| r.until_ms > now_ms;
            let mode = if (running(x) && x.mode == LockMode::Compliance)
                || (running(y) && y.mode == LockMode::Compliance)
            {
                LockMode::Compliance
            } else if x.until_ms >= y.until_ms {
                x.mode
            } else {
                y.mode
            };
            Some(Retention { mode, until_ms })
        }
    };
    ObjectLock { retention, legal_hold: a.legal_hold || b.legal_hold }
}
