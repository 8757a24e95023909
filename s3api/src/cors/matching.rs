//! Which rule answers a browser, and what the answer says.
//!
//! A preflight (`OPTIONS` with `Origin`, `Access-Control-Request-Method`
//! and maybe `Access-Control-Request-Headers`) matches the first rule that
//! allows the origin, the method and every requested header; an actual
//! request matches the first rule that allows its origin and its own
//! method. Origins and methods compare case-sensitively, headers
//! case-insensitively; a `*` in a pattern stands for any run of
//! characters (at most one per pattern, see [`super::CorsRule`]).
//!
//! The answer echoes the origin, or says `*` when the rule allows every
//! origin with a bare `*` (then without `Access-Control-Allow-Credentials`,
//! which browsers refuse beside `*`), as AWS answers.

use super::{CorsConfig, CorsRule};

/// The `Vary` value of every answer from a bucket with a configuration:
/// the answer depends on these request headers.
pub const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// The `Access-Control-*` headers of an allowed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// `Access-Control-Allow-Origin`.
    pub allow_origin: String,
    /// Whether to send `Access-Control-Allow-Credentials: true`.
    pub allow_credentials: bool,
    /// `Access-Control-Allow-Methods`: the rule's methods.
    pub allow_methods: String,
    /// `Access-Control-Allow-Headers` (preflight only): the requested
    /// headers, lower case, when any were asked for.
    pub allow_headers: Option<String>,
    /// `Access-Control-Expose-Headers`, when the rule names any.
    pub expose_headers: Option<String>,
    /// `Access-Control-Max-Age`, when the rule sets one.
    pub max_age: Option<i32>,
}

impl CorsConfig {
    /// The answer to a preflight from `origin` for `method` with the
    /// comma-separated `request_headers`; `None` when no rule allows it.
    pub fn preflight(
        &self,
        origin: &str,
        method: &str,
        request_headers: Option<&str>,
    ) -> Option<Allowed> {
        let asked: Vec<String> = request_headers
            .unwrap_or("")
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        let rule = self.rules.iter().find(|r| {
            allows_origin(r, origin)
                && allows_method(r, method)
                && asked.iter().all(|h| allows_header(r, h))
        })?;
        let mut allowed = answer(rule, origin);
        allowed.allow_headers = (!asked.is_empty()).then(|| asked.join(", "));
        Some(allowed)
    }

    /// The headers for an actual request from `origin` using `method`;
    /// `None` when no rule allows it.
    pub fn actual(&self, origin: &str, method: &str) -> Option<Allowed> {
        let rule =
            self.rules.iter().find(|r| allows_origin(r, origin) && allows_method(r, method))?;
        Some(answer(rule, origin))
    }
}

fn answer(rule: &CorsRule, origin: &str) -> Allowed {
    let any = rule.allowed_origins.iter().any(|o| o == "*");
    Allowed {
        allow_origin: if any { "*".to_string() } else { origin.to_string() },
        allow_credentials: !any,
        allow_methods: rule.allowed_methods.join(", "),
        allow_headers: None,
        expose_headers: (!rule.expose_headers.is_empty()).then(|| rule.expose_headers.join(", ")),
        max_age: rule.max_age_seconds,
    }
}

fn allows_origin(rule: &CorsRule, origin: &str) -> bool {
    rule.allowed_origins.iter().any(|p| wildcard_match(p, origin))
}

fn allows_method(rule: &CorsRule, method: &str) -> bool {
    rule.allowed_methods.iter().any(|m| m == method)
}

fn allows_header(rule: &CorsRule, header: &str) -> bool {
    rule.allowed_headers.iter().any(|p| wildcard_match(&p.to_ascii_lowercase(), header))
}

/// Whether `text` matches `pattern`, whose first `*` stands for any run
/// of characters (a second `*` is literal; validation refuses those).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, suffix)) => {
            text.len() >= prefix.len() + suffix.len()
                && text.starts_with(prefix)
                && text.ends_with(suffix)
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::{any, proptest};

    use super::super::CorsConfig;
    use super::super::tests::rule;
    use super::wildcard_match;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*", "http://a"));
        assert!(wildcard_match("http://*.example.com", "http://www.example.com"));
        assert!(!wildcard_match("http://*.example.com", "http://example.com"));
        assert!(!wildcard_match("http://*.example.com", "https://www.example.com"));
        assert!(wildcard_match("x-amz-*", "x-amz-date"));
        assert!(!wildcard_match("ab*ba", "aba"));
        assert!(wildcard_match("http://a.com", "http://a.com"));
        assert!(!wildcard_match("http://a.com", "http://A.com"));
    }

    proptest! {
        #[test]
        fn wildcard_never_panics_and_star_matches_all(
            q in any::<String>(), p in "[^*]*", t in any::<String>()
        ) {
            let _ = wildcard_match(&q, &t);
            assert!(wildcard_match("*", &t));
            assert!(wildcard_match(&format!("{p}*"), &format!("{p}{t}")));
        }
    }

    fn config() -> CorsConfig {
        let mut first = rule(&["https://app.example"], &["PUT", "POST"]);
        first.allowed_headers = vec!["Content-Type".into(), "x-amz-*".into()];
        first.expose_headers = vec!["ETag".into(), "x-amz-version-id".into()];
        first.max_age_seconds = Some(600);
        CorsConfig { rules: vec![first, rule(&["*"], &["GET", "HEAD"])] }
    }

    #[test]
    fn preflights_match_the_first_rule() {
        let c = config();
        let a =
            c.preflight("https://app.example", "PUT", Some("content-type, X-Amz-Date")).unwrap();
        assert_eq!(a.allow_origin, "https://app.example");
        assert!(a.allow_credentials);
        assert_eq!(a.allow_methods, "PUT, POST");
        assert_eq!(a.allow_headers.as_deref(), Some("content-type, x-amz-date"));
        assert_eq!(a.expose_headers.as_deref(), Some("ETag, x-amz-version-id"));
        assert_eq!(a.max_age, Some(600));
        // A header no rule allows.
        assert_eq!(c.preflight("https://app.example", "PUT", Some("authorization")), None);
        // Another origin may only GET and HEAD, without headers.
        assert_eq!(c.preflight("https://evil.example", "PUT", None), None);
        let g = c.preflight("https://evil.example", "GET", None).unwrap();
        assert_eq!((g.allow_origin.as_str(), g.allow_credentials), ("*", false));
        assert_eq!(g.allow_headers, None);
        assert_eq!(c.preflight("https://evil.example", "GET", Some("x-a")), None);
        // The first rule does not allow GET, the second does.
        let g = c.preflight("https://app.example", "GET", None).unwrap();
        assert_eq!(g.allow_methods, "GET, HEAD");
    }

    #[test]
    fn actual_requests_match_origin_and_method() {
        let c = config();
        assert_eq!(
            c.actual("https://app.example", "PUT").unwrap().allow_origin,
            "https://app.example"
        );
        assert_eq!(c.actual("https://other", "GET").unwrap().allow_origin, "*");
        assert_eq!(c.actual("https://other", "DELETE"), None);
    }
}
