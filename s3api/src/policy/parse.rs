//! Bucket policy JSON → [`Policy`], validated as S3 validates a
//! PutBucketPolicy: the document must be a JSON object of at most 20 KB,
//! name only S3 actions and resources of its own bucket, use known
//! condition operators and keys with values of the operator's type, and
//! every statement needs Effect, Principal, Action and Resource (or their
//! `Not` forms). Failures are [`Malformed`] with AWS's wording, answered
//! as 400 MalformedPolicy.

use serde_json::{Map, Value};

use super::actions::{valid_action, valid_condition_key};
use super::conditions::{parse_cidr, parse_date_ms};
use super::model::{
    Condition, Effect, Match, Operator, Policy, Principals, SetQualifier, Statement,
};
use super::wildcard;

/// The largest policy S3 stores: 20 KB.
pub const MAX_POLICY_BYTES: usize = 20 * 1024;

/// Why a policy was refused: the message of the MalformedPolicy error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

fn bad(msg: impl Into<String>) -> Malformed {
    Malformed(msg.into())
}

/// Parses and validates `text` as the policy of `bucket`.
pub fn parse(text: &str, bucket: &str) -> Result<Policy, Malformed> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(bad("Policy exceeds the maximum allowed document size."));
    }
    if !text.trim_start().starts_with('{') {
        return Err(bad("Policies must be valid JSON and the first byte must be '{'"));
    }
    let doc: Value = serde_json::from_str(text)
        .map_err(|_| bad("Policies must be valid JSON and the first byte must be '{'"))?;
    let Value::Object(doc) = doc else {
        return Err(bad("Policies must be valid JSON and the first byte must be '{'"));
    };
    let mut version = None;
    let mut id = None;
    let mut statements = None;
    for (field, value) in &doc {
        match field.as_str() {
            "Version" => {
                let v = value.as_str().filter(|v| matches!(*v, "2012-10-17" | "2008-10-17"));
                let v = v.ok_or_else(|| bad("The policy must contain a valid version string"))?;
                version = Some(v.to_string());
            }
            "Id" => id = Some(string(value, "Id")?),
            "Statement" => statements = Some(value),
            other => return Err(bad(format!("Unknown field {other}"))),
        }
    }
    let statements = statements.ok_or_else(|| bad("Missing required field Statement"))?;
    let list: Vec<&Value> = match statements {
        Value::Array(items) => items.iter().collect(),
        v @ Value::Object(_) => vec![v],
        _ => return Err(bad("Statement must be an object or an array of objects")),
    };
    if list.is_empty() {
        return Err(bad("Could not parse the policy: Statement is empty!"));
    }
    let mut out = Vec::with_capacity(list.len());
    for value in list {
        let Value::Object(map) = value else {
            return Err(bad("Statement must be an object or an array of objects"));
        };
        let statement = statement(map, bucket)?;
        if let Some(sid) = &statement.sid
            && out.iter().any(|s: &Statement| s.sid.as_ref() == Some(sid))
        {
            return Err(bad("Statement IDs (SID) in a single policy must be unique."));
        }
        out.push(statement);
    }
    Ok(Policy { version, id, statements: out })
}

fn statement(map: &Map<String, Value>, bucket: &str) -> Result<Statement, Malformed> {
    let mut sid = None;
    let mut effect = None;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut conditions = Vec::new();
    for (field, value) in map {
        match field.as_str() {
            "Sid" => sid = Some(string(value, "Sid")?),
            "Effect" => {
                effect = Some(match value.as_str() {
                    Some("Allow") => Effect::Allow,
                    Some("Deny") => Effect::Deny,
                    Some(other) => return Err(bad(format!("Invalid effect: {other}"))),
                    None => return Err(bad("Invalid effect")),
                })
            }
            "Principal" | "NotPrincipal" => {
                let p = principals(value)?;
                let p = if field == "Principal" { Match::Is(p) } else { Match::Not(p) };
                set_once(&mut principal, p, "Principal")?;
            }
            "Action" | "NotAction" => {
                let list = strings(value, field)?;
                if list.is_empty() || !list.iter().all(|a| valid_action(a)) {
                    return Err(bad("Policy has invalid action"));
                }
                let a = if field == "Action" { Match::Is(list) } else { Match::Not(list) };
                set_once(&mut action, a, "Action")?;
            }
            "Resource" | "NotResource" => {
                let list = strings(value, field)?;
                if list.is_empty() || !list.iter().all(|r| valid_resource(r, bucket)) {
                    return Err(bad("Policy has invalid resource"));
                }
                let r = if field == "Resource" { Match::Is(list) } else { Match::Not(list) };
                set_once(&mut resource, r, "Resource")?;
            }
            "Condition" => conditions = condition_block(value)?,
            other => return Err(bad(format!("Unknown field {other}"))),
        }
    }
    Ok(Statement {
        sid,
        effect: effect.ok_or_else(|| bad("Missing required field Effect"))?,
        principal: principal.ok_or_else(|| bad("Missing required field Principal"))?,
        action: action.ok_or_else(|| bad("Missing required field Action"))?,
        resource: resource.ok_or_else(|| bad("Missing required field Resource"))?,
        conditions,
    })
}

fn set_once<T>(slot: &mut Option<T>, value: T, name: &str) -> Result<(), Malformed> {
    if slot.is_some() {
        return Err(bad(format!("Statement can have only one of {name} and Not{name}")));
    }
    *slot = Some(value);
    Ok(())
}

/// `"*"`, or an object of `AWS` / `CanonicalUser` / `Service` names.
fn principals(value: &Value) -> Result<Principals, Malformed> {
    let invalid = || bad("Invalid principal in policy");
    match value {
        Value::String(s) if s == "*" => Ok(Principals::Anyone),
        Value::Object(map) if !map.is_empty() => {
            let mut named = Vec::new();
            for (kind, names) in map {
                if !matches!(kind.as_str(), "AWS" | "CanonicalUser" | "Service") {
                    return Err(invalid());
                }
                let names = strings(names, kind).map_err(|_| invalid())?;
                if names.is_empty() {
                    return Err(invalid());
                }
                for name in names {
                    if kind == "AWS" && name == "*" {
                        return Ok(Principals::Anyone);
                    }
                    if name.is_empty() || name.contains(['*', '?']) {
                        return Err(invalid());
                    }
                    // Services never sign requests to this gateway: kept
                    // (the policy stays valid) under a name no key has.
                    named.push(if kind == "Service" { format!("service:{name}") } else { name });
                }
            }
            Ok(Principals::Named(named))
        }
        _ => Err(invalid()),
    }
}

/// `*`, `arn:aws:s3:::<bucket>` or `arn:aws:s3:::<bucket>/<key pattern>`
/// where the bucket part (a pattern) covers `bucket`.
fn valid_resource(resource: &str, bucket: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let Some(rest) = resource.strip_prefix("arn:aws:s3:::") else {
        return false;
    };
    let bucket_part = rest.split('/').next().unwrap_or_default();
    !bucket_part.is_empty() && wildcard::matches(bucket_part, bucket, false)
}

/// `{"Operator": {"key": value or [values]}}`.
fn condition_block(value: &Value) -> Result<Vec<Condition>, Malformed> {
    let Value::Object(ops) = value else {
        return Err(bad("Condition must be an object"));
    };
    let mut out = Vec::new();
    for (name, keys) in ops {
        let (operator, qualifier, if_exists) = operator(name)?;
        let Value::Object(keys) = keys else {
            return Err(bad(format!("Invalid Condition block for {name}")));
        };
        for (key, values) in keys {
            let key = key.to_ascii_lowercase();
            if !valid_condition_key(&key) {
                return Err(bad("Policy has an invalid condition key"));
            }
            let values = condition_values(values, name)?;
            for v in &values {
                check_value(operator, v, name)?;
            }
            out.push(Condition { operator, qualifier, if_exists, key, values });
        }
    }
    Ok(out)
}

/// `ForAnyValue:StringLikeIfExists` → its parts; names are matched
/// case-insensitively.
fn operator(name: &str) -> Result<(Operator, Option<SetQualifier>, bool), Malformed> {
    let invalid = || bad(format!("Invalid Condition type : {name}"));
    let (qualifier, rest) = match name.split_once(':') {
        Some((q, rest)) if q.eq_ignore_ascii_case("ForAnyValue") => {
            (Some(SetQualifier::ForAnyValue), rest)
        }
        Some((q, rest)) if q.eq_ignore_ascii_case("ForAllValues") => {
            (Some(SetQualifier::ForAllValues), rest)
        }
        Some(_) => return Err(invalid()),
        None => (None, name),
    };
    let lower = rest.to_ascii_lowercase();
    let (base, if_exists) = match lower.strip_suffix("ifexists") {
        Some(base) => (base, true),
        None => (lower.as_str(), false),
    };
    let op = Operator::ALL
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(base))
        .map(|(_, op)| *op)
        .ok_or_else(invalid)?;
    if op == Operator::Null && (if_exists || qualifier.is_some()) {
        return Err(invalid());
    }
    Ok((op, qualifier, if_exists))
}

fn condition_values(value: &Value, op: &str) -> Result<Vec<String>, Malformed> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(bad(format!("Invalid Condition value for {op}"))),
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect(),
        v => Ok(vec![one(v)?]),
    }
}

/// A value the operator cannot compare refuses the policy, so evaluation
/// never meets one.
fn check_value(op: Operator, value: &str, name: &str) -> Result<(), Malformed> {
    use Operator as O;
    let ok = match op {
        O::NumericEquals
        | O::NumericNotEquals
        | O::NumericLessThan
        | O::NumericLessThanEquals
        | O::NumericGreaterThan
        | O::NumericGreaterThanEquals => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
        O::DateEquals
        | O::DateNotEquals
        | O::DateLessThan
        | O::DateLessThanEquals
        | O::DateGreaterThan
        | O::DateGreaterThanEquals => parse_date_ms(value).is_some(),
        O::Bool | O::Null => {
            value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false")
        }
        O::IpAddress | O::NotIpAddress => parse_cidr(value).is_some(),
        _ => true,
    };
    if ok { Ok(()) } else { Err(bad(format!("Invalid Condition value for {name}: {value}"))) }
}

fn string(value: &Value, field: &str) -> Result<String, Malformed> {
    value.as_str().map(str::to_string).ok_or_else(|| bad(format!("{field} must be a string")))
}

/// A string or an array of strings.
fn strings(value: &Value, field: &str) -> Result<Vec<String>, Malformed> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items.iter().map(|v| string(v, field)).collect(),
        _ => Err(bad(format!("{field} must be a string or an array of strings"))),
    }
}
