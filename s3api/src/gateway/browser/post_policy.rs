//! The POST policy: a base64 JSON document, signed by the form's
//! signature, that says until when the form is good and what its fields
//! may be. Checked as AWS checks it:
//!
//! - `expiration` passed: 403 AccessDenied "Policy expired."
//! - each condition — `{"field": "value"}` or `["eq", "$field", "value"]`
//!   (exact), `["starts-with", "$field", "prefix"]`, and
//!   `["content-length-range", min, max]` on the file's size — must hold,
//!   field names compared case-insensitively: 403 AccessDenied "Policy
//!   Condition failed", or 400 EntityTooSmall / EntityTooLarge.
//! - every form field must be named by some condition, but `policy`,
//!   the signature fields, `file` and `x-ignore-*`: 403 AccessDenied
//!   "Extra input fields".
//!
//! `$bucket` is the bucket the form was posted to; `$key` is the key with
//! `${filename}` already put in.

use base64::Engine as _;
use serde_json::Value;

/// Why a policy refuses a form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum PolicyError {
    /// The document is not a policy (400 InvalidPolicyDocument).
    #[error("Invalid Policy: {0}")]
    Invalid(String),
    /// The form breaks the policy (403 AccessDenied).
    #[error("Invalid according to Policy: {0}")]
    Denied(String),
    /// The file is below the content-length-range (400 EntityTooSmall).
    #[error("Your proposed upload is smaller than the minimum allowed size")]
    TooSmall,
    /// The file is above it (400 EntityTooLarge).
    #[error("Your proposed upload exceeds the maximum allowed size")]
    TooLarge,
}

/// One condition of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// The field (lower case) equals the value.
    Eq(String, String),
    /// The field starts with the prefix.
    StartsWith(String, String),
    /// The file's size is within these bounds, inclusive.
    Length(u64, u64),
}

/// A parsed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Policy {
    /// Unix ms after which the form is refused.
    pub expiration_ms: i64,
    conditions: Vec<Condition>,
}

/// Fields no condition needs to name.
fn exempt(name: &str) -> bool {
    matches!(name, "policy" | "x-amz-signature" | "signature" | "awsaccesskeyid" | "file")
        || name.starts_with("x-ignore-")
}

impl Policy {
    /// The policy of a form's `policy` field.
    pub fn from_base64(text: &str) -> Result<Self, PolicyError> {
        let bad = |m: &str| PolicyError::Invalid(m.to_string());
        let raw = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| bad("Policy is not base64."))?;
        let doc: Value = serde_json::from_slice(&raw).map_err(|_| bad("Invalid JSON."))?;
        let expiration = doc
            .get("expiration")
            .ok_or_else(|| bad("Policy missing expiration."))?
            .as_str()
            .and_then(parse_iso8601_ms)
            .ok_or_else(|| bad("Invalid 'expiration' value."))?;
        let conditions = doc
            .get("conditions")
            .ok_or_else(|| bad("Policy missing conditions."))?
            .as_array()
            .ok_or_else(|| bad("Invalid 'conditions' value."))?
            .iter()
            .map(condition)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { expiration_ms: expiration, conditions })
    }

    /// Checks the form's `fields` (the key with `${filename}` put in),
    /// posted to `bucket`, with a file of `file_len` bytes, at `now_ms`.
    pub fn check(
        &self,
        fields: &[(String, String)],
        bucket: &str,
        file_len: u64,
        now_ms: i64,
    ) -> Result<(), PolicyError> {
        if now_ms >= self.expiration_ms {
            return Err(PolicyError::Denied("Policy expired.".into()));
        }
        let value = |name: &str| -> Option<&str> {
            if name == "bucket" {
                return Some(bucket);
            }
            fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
        };
        for c in &self.conditions {
            let held = match c {
                Condition::Eq(f, v) => value(f) == Some(v.as_str()),
                Condition::StartsWith(f, p) => value(f).unwrap_or("").starts_with(p.as_str()),
                Condition::Length(min, max) => {
                    if file_len < *min {
                        return Err(PolicyError::TooSmall);
                    }
                    if file_len > *max {
                        return Err(PolicyError::TooLarge);
                    }
                    true
                }
            };
            if !held {
                return Err(PolicyError::Denied(format!(
                    "Policy Condition failed: {}",
                    describe(c)
                )));
            }
        }
        let named = |n: &str| {
            self.conditions.iter().any(|c| match c {
                Condition::Eq(f, _) | Condition::StartsWith(f, _) => f == n,
                Condition::Length(..) => false,
            })
        };
        let extra: Vec<&str> = fields
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| {
                let lower = n.to_ascii_lowercase();
                !exempt(&lower) && !named(&lower)
            })
            .collect();
        if !extra.is_empty() {
            return Err(PolicyError::Denied(format!("Extra input fields: {}", extra.join(", "))));
        }
        Ok(())
    }
}

/// A condition as AWS quotes it in a refusal.
fn describe(c: &Condition) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match c {
        Condition::Eq(f, v) => format!("[\"eq\", {}, {}]", q(&format!("${f}")), q(v)),
        Condition::StartsWith(f, p) => {
            format!("[\"starts-with\", {}, {}]", q(&format!("${f}")), q(p))
        }
        Condition::Length(min, max) => format!("[\"content-length-range\", {min}, {max}]"),
    }
}

fn condition(v: &Value) -> Result<Condition, PolicyError> {
    let bad = || PolicyError::Invalid(format!("Invalid Condition: {v}"));
    if let Some(obj) = v.as_object() {
        let mut entries = obj.iter();
        let (Some((name, value)), None) = (entries.next(), entries.next()) else {
            return Err(bad());
        };
        let name = name.strip_prefix('$').unwrap_or(name).to_ascii_lowercase();
        return Ok(Condition::Eq(name, scalar(value).ok_or_else(bad)?));
    }
    let items = v.as_array().ok_or_else(bad)?;
    let [op, a, b] = items.as_slice() else { return Err(bad()) };
    let op = op.as_str().ok_or_else(bad)?.to_ascii_lowercase();
    if op == "content-length-range" {
        let n = |v: &Value| {
            v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())).ok_or_else(bad)
        };
        return Ok(Condition::Length(n(a)?, n(b)?));
    }
    let field = a.as_str().and_then(|f| f.strip_prefix('$')).ok_or_else(bad)?;
    let field = field.to_ascii_lowercase();
    let value = scalar(b).ok_or_else(bad)?;
    match op.as_str() {
        "eq" => Ok(Condition::Eq(field, value)),
        "starts-with" => Ok(Condition::StartsWith(field, value)),
        _ => Err(bad()),
    }
}

/// A string condition value (numbers as written).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Unix ms of `YYYY-MM-DDTHH:MM:SS[.fff…]Z`, the form AWS's policies use.
pub(super) fn parse_iso8601_ms(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let num = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
    };
    let mut d = date.split('-');
    let (y, mo, da) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':');
    let (h, mi, se) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    if d.next().is_some() || t.next().is_some() || date.len() != 10 || hms.len() != 8 {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let ms = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().take(3).collect();
        num(&format!("{digits:0<3}"))?
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + h * 3600 + mi * 60 + se) * 1000) + ms)
}

#[cfg(test)]
#[path = "post_policy_tests.rs"]
mod tests;
