//! Condition operators: one condition (operator, key, values) against the
//! request's values for that key.
//!
//! The rules are IAM's: a condition's values are OR'd; a negated operator
//! (`StringNotEquals`, `NotIpAddress`, ...) holds when the request value
//! matches none of them; a key the request does not carry fails the
//! condition, except under `...IfExists`, for negated operators, and for
//! `ForAllValues:` (vacuously true); `Null` tests presence itself.
//! Values that cannot be compared (a non-number for a Numeric operator)
//! simply do not match: a request can never make evaluation fail.

use std::net::IpAddr;

use s3s::dto::{Timestamp, TimestampFormat};

use super::model::{Condition, Operator, SetQualifier};
use super::wildcard::{self, Vars};

/// Whether `cond` holds for a request whose values for `cond.key` are
/// `values` (`None` or empty: the key is absent). `var` resolves policy
/// variables in string and ARN values (`None` for a 2008-10-17 policy,
/// where `${...}` is literal).
pub fn holds(cond: &Condition, values: Option<&[String]>, var: Vars<'_>) -> bool {
    let values = values.unwrap_or_default();
    if cond.operator == Operator::Null {
        let absent = values.is_empty();
        return cond.values.iter().any(|v| v.eq_ignore_ascii_case("true") == absent);
    }
    if values.is_empty() {
        return cond.if_exists
            || cond.qualifier == Some(SetQualifier::ForAllValues)
            || (cond.qualifier.is_none() && cond.operator.negated());
    }
    let policy_values: Vec<String> = cond
        .values
        .iter()
        .filter_map(|v| match var {
            Some(var) if substitutes(cond.operator) => wildcard::substitute(v, var),
            _ => Some(v.clone()),
        })
        .collect();
    let positive = positive_of(cond.operator);
    let ok = |rv: &String| {
        let hit = policy_values.iter().any(|pv| compare(positive, rv, pv));
        hit != cond.operator.negated()
    };
    match cond.qualifier {
        Some(SetQualifier::ForAllValues) => values.iter().all(ok),
        Some(SetQualifier::ForAnyValue) | None => values.iter().any(ok),
    }
}

/// Whether policy variables are substituted in this operator's values.
fn substitutes(op: Operator) -> bool {
    use Operator as O;
    matches!(
        op,
        O::StringEquals
            | O::StringNotEquals
            | O::StringEqualsIgnoreCase
            | O::StringNotEqualsIgnoreCase
            | O::StringLike
            | O::StringNotLike
            | O::ArnEquals
            | O::ArnNotEquals
            | O::ArnLike
            | O::ArnNotLike
    )
}

/// The operator whose negation `op` is (itself when not negated).
fn positive_of(op: Operator) -> Operator {
    use Operator as O;
    match op {
        O::StringNotEquals => O::StringEquals,
        O::StringNotEqualsIgnoreCase => O::StringEqualsIgnoreCase,
        O::StringNotLike => O::StringLike,
        O::NumericNotEquals => O::NumericEquals,
        O::DateNotEquals => O::DateEquals,
        O::NotIpAddress => O::IpAddress,
        O::ArnNotEquals => O::ArnEquals,
        O::ArnNotLike => O::ArnLike,
        other => other,
    }
}

/// Request value `rv` against policy value `pv` under a positive operator.
fn compare(op: Operator, rv: &str, pv: &str) -> bool {
    use Operator as O;
    match op {
        O::StringEquals => rv == pv,
        O::StringEqualsIgnoreCase => rv.to_lowercase() == pv.to_lowercase(),
        O::StringLike | O::ArnEquals | O::ArnLike => wildcard::matches(pv, rv, false),
        O::NumericEquals
        | O::NumericLessThan
        | O::NumericLessThanEquals
        | O::NumericGreaterThan
        | O::NumericGreaterThanEquals => match (number(rv), number(pv)) {
            (Some(r), Some(p)) => ordered(op, r.partial_cmp(&p)),
            _ => false,
        },
        O::DateEquals
        | O::DateLessThan
        | O::DateLessThanEquals
        | O::DateGreaterThan
        | O::DateGreaterThanEquals => match (parse_date_ms(rv), parse_date_ms(pv)) {
            (Some(r), Some(p)) => ordered(op, Some(r.cmp(&p))),
            _ => false,
        },
        O::Bool => rv.eq_ignore_ascii_case(pv),
        O::IpAddress => match (rv.trim().parse::<IpAddr>(), parse_cidr(pv)) {
            (Ok(ip), Some(cidr)) => cidr.contains(ip),
            _ => false,
        },
        // Negated operators were mapped to their positive form; Null is
        // handled before any comparison.
        _ => false,
    }
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Whether `ord` (request vs policy) satisfies a Numeric/Date operator.
fn ordered(op: Operator, ord: Option<std::cmp::Ordering>) -> bool {
    use Operator as O;
    use std::cmp::Ordering::{Equal, Greater, Less};
    match (op, ord) {
        (_, None) => false,
        (O::NumericEquals | O::DateEquals, Some(o)) => o == Equal,
        (O::NumericLessThan | O::DateLessThan, Some(o)) => o == Less,
        (O::NumericLessThanEquals | O::DateLessThanEquals, Some(o)) => o != Greater,
        (O::NumericGreaterThan | O::DateGreaterThan, Some(o)) => o == Greater,
        (O::NumericGreaterThanEquals | O::DateGreaterThanEquals, Some(o)) => o != Less,
        _ => false,
    }
}

/// A date as IAM writes it: ISO 8601 / RFC 3339 (`2026-01-02T03:04:05Z`),
/// a bare date (`2026-01-02`, midnight UTC), or epoch seconds; in ms.
pub fn parse_date_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().ok()?.checked_mul(1000);
    }
    let full;
    let text = if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') {
        full = format!("{s}T00:00:00Z");
        full.as_str()
    } else {
        s
    };
    let ts = Timestamp::parse(TimestampFormat::DateTime, text).ok()?;
    let mut buf = Vec::new();
    ts.format(TimestampFormat::EpochSeconds, &mut buf).ok()?;
    let secs: f64 = std::str::from_utf8(&buf).ok()?.parse().ok()?;
    Some((secs * 1000.0).round() as i64)
}

/// An address range: `10.0.0.0/8`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

/// Parses a CIDR block or a bare address (a /32 or /128).
pub fn parse_cidr(s: &str) -> Option<Cidr> {
    let s = s.trim();
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
        None => {
            let a = s.parse::<IpAddr>().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some(Cidr { addr, prefix })
}

impl Cidr {
    /// Whether `ip` lies in the block; an IPv4-mapped IPv6 address counts
    /// as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(
                u128::from(u32::from(net)) << 96,
                u128::from(u32::from(ip)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_eq(u128::from(net), u128::from(ip), self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the top `prefix` bits of `a` and `b` agree.
fn prefix_eq(a: u128, b: u128, prefix: u8) -> bool {
    if prefix == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(prefix));
    a & mask == b & mask
}
