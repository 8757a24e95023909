//! A bucket's CORS configuration (PutBucketCors): its rules as AWS
//! validates them, their stored form, and which rule answers a browser.
//!
//! A rule allows some origins (each with at most one `*` wildcard) to use
//! some methods (only GET, PUT, POST, DELETE and HEAD), optionally with
//! some request headers (case-insensitive, one wildcard each), and names
//! the response headers a page may read and how long a preflight answer
//! may be cached. Rules are tried in order and the first match wins, as on
//! AWS.
//!
//! The stored form is JSON of [`CorsConfig`] (the index keeps it per
//! bucket, and `export-config` can carry it as is).
//!
//! # Layout
//!
//! - this file — the model, validation from the `s3s` DTO and back.
//! - [`matching`] — preflight and actual-request matching, wildcards.

pub mod matching;

use serde::{Deserialize, Serialize};

/// AWS's limit on rules per configuration.
pub const MAX_RULES: usize = 100;

/// The methods a rule may allow.
pub const METHODS: [&str; 5] = ["GET", "PUT", "POST", "DELETE", "HEAD"];

/// The longest rule ID AWS accepts.
const MAX_ID_LEN: usize = 255;

/// One CORS rule, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    /// The rule's `ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `AllowedOrigin`s (case-sensitive, at most one `*` each).
    pub allowed_origins: Vec<String>,
    /// `AllowedMethod`s (upper case).
    pub allowed_methods: Vec<String>,
    /// `AllowedHeader`s (matched case-insensitively, at most one `*`).
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    /// `ExposeHeader`s.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// `MaxAgeSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<i32>,
}

/// A bucket's CORS configuration: its rules in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsConfig {
    pub rules: Vec<CorsRule>,
}

/// Why a configuration is refused: AWS answers each 400, with these codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorsError {
    /// Malformed: no rules, too many, a rule without origin or method.
    #[error("{0}")]
    Malformed(String),
    /// Well formed but not allowed (an unsupported method, two wildcards).
    #[error("{0}")]
    Invalid(String),
}

impl CorsConfig {
    /// The validated configuration of a PutBucketCors body.
    pub fn from_dto(dto: &s3s::dto::CORSConfiguration) -> Result<Self, CorsError> {
        let rules = dto.cors_rules.iter().map(rule_from_dto).collect::<Vec<_>>();
        let config = Self { rules };
        config.validate()?;
        Ok(config)
    }

    /// Checks AWS's rules on a configuration.
    pub fn validate(&self) -> Result<(), CorsError> {
        if self.rules.is_empty() {
            return Err(CorsError::Malformed(
                "The XML you provided was not well-formed or did not validate against our \
                 published schema"
                    .into(),
            ));
        }
        if self.rules.len() > MAX_RULES {
            return Err(CorsError::Malformed(format!(
                "The CORS configuration may have at most {MAX_RULES} rules"
            )));
        }
        for rule in &self.rules {
            validate_rule(rule)?;
        }
        Ok(())
    }

    /// The rules as GetBucketCors answers them.
    pub fn to_dto(&self) -> Vec<s3s::dto::CORSRule> {
        self.rules
            .iter()
            .map(|r| s3s::dto::CORSRule {
                id: r.id.clone(),
                allowed_origins: r.allowed_origins.clone(),
                allowed_methods: r.allowed_methods.clone(),
                allowed_headers: (!r.allowed_headers.is_empty()).then(|| r.allowed_headers.clone()),
                expose_headers: (!r.expose_headers.is_empty()).then(|| r.expose_headers.clone()),
                max_age_seconds: r.max_age_seconds,
            })
            .collect()
    }

    /// The stored form (JSON).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"rules\":[]}"))
    }

    /// A configuration from its stored form.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

fn rule_from_dto(r: &s3s::dto::CORSRule) -> CorsRule {
    let trimmed = |v: &Vec<String>| v.iter().map(|s| s.trim().to_string()).collect::<Vec<_>>();
    CorsRule {
        id: r.id.clone(),
        allowed_origins: trimmed(&r.allowed_origins),
        allowed_methods: trimmed(&r.allowed_methods),
        allowed_headers: r.allowed_headers.as_ref().map(trimmed).unwrap_or_default(),
        expose_headers: r.expose_headers.as_ref().map(trimmed).unwrap_or_default(),
        max_age_seconds: r.max_age_seconds,
    }
}

fn validate_rule(rule: &CorsRule) -> Result<(), CorsError> {
    if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
        return Err(CorsError::Malformed(
            "The XML you provided was not well-formed or did not validate against our \
             published schema"
                .into(),
        ));
    }
    if let Some(id) = &rule.id
        && id.chars().count() > MAX_ID_LEN
    {
        return Err(CorsError::Invalid(format!(
            "The ID of a CORS rule may be at most {MAX_ID_LEN} characters long"
        )));
    }
    for m in &rule.allowed_methods {
        if !METHODS.contains(&m.as_str()) {
            return Err(CorsError::Invalid(format!(
                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
            )));
        }
    }
    for o in &rule.allowed_origins {
        if o.matches('*').count() > 1 {
            return Err(CorsError::Invalid(format!(
                "AllowedOrigin \"{o}\" can not have more than one wildcard."
            )));
        }
    }
    for h in &rule.allowed_headers {
        if h.matches('*').count() > 1 {
            return Err(CorsError::Invalid(format!(
                "AllowedHeader \"{h}\" can not have more than one wildcard."
            )));
        }
    }
    for text in rule.allowed_origins.iter().chain(&rule.allowed_headers).chain(&rule.expose_headers)
    {
        // These come back as header values.
        if text.is_empty() || text.bytes().any(|b| b.is_ascii_control() || !b.is_ascii()) {
            return Err(CorsError::Invalid(format!(
                "CORS origins and headers must be non-empty ASCII without control characters: \
                 {text:?}"
            )));
        }
    }
    if rule.max_age_seconds.is_some_and(|s| s < 0) {
        return Err(CorsError::Invalid("MaxAgeSeconds must not be negative".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{CorsConfig, CorsError, CorsRule};

    pub(super) fn rule(origins: &[&str], methods: &[&str]) -> CorsRule {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_string()).collect();
        CorsRule {
            id: None,
            allowed_origins: v(origins),
            allowed_methods: v(methods),
            allowed_headers: Vec::new(),
            expose_headers: Vec::new(),
            max_age_seconds: None,
        }
    }

    fn check(rules: Vec<CorsRule>) -> Result<(), CorsError> {
        CorsConfig { rules }.validate()
    }

    #[test]
    fn validation_as_aws() {
        assert!(check(vec![rule(&["*"], &["GET", "PUT", "POST", "DELETE", "HEAD"])]).is_ok());
        assert!(matches!(check(vec![]), Err(CorsError::Malformed(_))));
        assert!(matches!(check(vec![rule(&["*"], &["PATCH"])]), Err(CorsError::Invalid(m))
            if m.ends_with("Unsupported method is PATCH")));
        assert!(matches!(check(vec![rule(&["*"], &["get"])]), Err(CorsError::Invalid(_))));
        assert!(matches!(check(vec![rule(&["http://*.*.com"], &["GET"])]),
            Err(CorsError::Invalid(m)) if m.contains("more than one wildcard")));
        let mut r = rule(&["http://*.a.com"], &["GET"]);
        r.allowed_headers = vec!["x-*-*".into()];
        assert!(matches!(check(vec![r.clone()]), Err(CorsError::Invalid(m))
            if m.starts_with("AllowedHeader")));
        r.allowed_headers = vec!["x-amz-*".into()];
        assert!(check(vec![r.clone()]).is_ok());
        r.id = Some("x".repeat(256));
        assert!(check(vec![r.clone()]).is_err());
        r.id = Some("x".repeat(255));
        assert!(check(vec![r]).is_ok());
        assert!(check(vec![rule(&[], &["GET"])]).is_err());
        assert!(check(vec![rule(&["*"], &["GET"]); 100]).is_ok());
        assert!(matches!(check(vec![rule(&["*"], &["GET"]); 101]), Err(CorsError::Malformed(_))));
    }

    #[test]
    fn stored_form_round_trips() {
        let mut r = rule(&["https://app.example"], &["GET", "PUT"]);
        r.id = Some("web".into());
        r.allowed_headers = vec!["*".into()];
        r.expose_headers = vec!["ETag".into()];
        r.max_age_seconds = Some(3000);
        let config = CorsConfig { rules: vec![r, rule(&["*"], &["GET"])] };
        assert_eq!(CorsConfig::from_json(&config.to_json()).unwrap(), config);
    }
}
