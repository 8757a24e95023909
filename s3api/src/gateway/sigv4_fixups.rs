//! SigV4 rules AWS applies that `s3s` 0.14.1 does not, applied to a
//! request before `s3s` sees it:
//!
//! - a presigned URL lives at most 7 days: `X-Amz-Expires` outside
//!   1..=604800 is refused with AuthorizationQueryParametersError (400),
//!   as AWS does. `s3s` accepts any `u32`, so a 10-year URL would work.
//! - a header-signed request may carry its timestamp in a `Date` header
//!   instead of `x-amz-date` (`x-amz-date` wins when both are present).
//!   `s3s` requires `x-amz-date`, so one is added, holding the `Date`
//!   value in SigV4's basic ISO 8601 form. The signature is unaffected:
//!   `s3s` rebuilds the canonical request from the SignedHeaders list
//!   (which names `date`, not the added header), and the string to sign
//!   holds the timestamp in exactly that form.

use http::HeaderMap;
use http::header::{AUTHORIZATION, DATE};
use s3s::{S3Error, S3ErrorCode};

/// The longest a presigned URL may be valid, as on AWS (7 days).
pub const MAX_PRESIGNED_EXPIRES: u64 = 604_800;

/// The `x-amz-date` header.
const X_AMZ_DATE: &str = "x-amz-date";

/// Refuses a SigV4 presigned URL whose `X-Amz-Expires` is out of range.
/// Other queries pass; so does a presigned URL without `X-Amz-Expires`
/// (`s3s` refuses it as incomplete).
pub fn check_presigned_expiry(query: Option<&str>) -> Result<(), S3Error> {
    let Some(query) = query else { return Ok(()) };
    let mut signed = false;
    let mut expires = None;
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "X-Amz-Signature" => signed = true,
            "X-Amz-Expires" => expires = Some(value),
            _ => {}
        }
    }
    let (true, Some(value)) = (signed, expires) else { return Ok(()) };
    let refuse = |msg: &'static str| {
        Err(S3Error::with_message(S3ErrorCode::AuthorizationQueryParametersError, msg))
    };
    match value.parse::<u64>() {
        Ok(0) => refuse("X-Amz-Expires must be at least 1 second"),
        Ok(n) if n > MAX_PRESIGNED_EXPIRES => {
            refuse("X-Amz-Expires must be less than a week (in seconds) that is 604800")
        }
        Ok(_) => Ok(()),
        Err(_) if value.starts_with('-') => refuse("X-Amz-Expires must be non-negative"),
        Err(_) => refuse("X-Amz-Expires should be a number"),
    }
}

/// Adds `x-amz-date` from `Date` to a SigV4 header-signed request that
/// has no `x-amz-date`; see the module docs. A `Date` that is not an
/// IMF-fixdate is left alone (and `s3s` refuses the request for its
/// missing `x-amz-date`).
pub fn date_as_amz_date(headers: &mut HeaderMap) {
    let sigv4 =
        headers.get(AUTHORIZATION).is_some_and(|v| v.as_bytes().starts_with(b"AWS4-HMAC-SHA256 "));
    if !sigv4 || headers.contains_key(X_AMZ_DATE) {
        return;
    }
    let Some(amz) = headers.get(DATE).and_then(|v| v.to_str().ok()).and_then(imf_to_amz) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&amz) {
        headers.insert(X_AMZ_DATE, value);
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7, what
/// every SDK sends) as `19941106T084937Z`; `None` for anything else.
pub fn imf_to_amz(date: &str) -> Option<String> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let mut parts = date.trim().split(' ');
    let weekday = parts.next()?.strip_suffix(',')?;
    let (day, month, year, time, zone) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || zone != "GMT" || !DAYS.contains(&weekday) {
        return None;
    }
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    let mut hms = time.split(':');
    let (h, m, s) = (hms.next()?, hms.next()?, hms.next()?);
    if hms.next().is_some() || ![day, h, m, s].iter().all(|p| digits(p, 2)) || !digits(year, 4) {
        return None;
    }
    let in_range = |v: &str, max: u8| v.parse::<u8>().is_ok_and(|v| v <= max);
    if !in_range(day, 31) || day == "00" || !in_range(h, 23) || !in_range(m, 59) || !in_range(s, 60)
    {
        return None;
    }
    Some(format!("{year}{month:02}{day}T{h}{m}{s}Z"))
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use s3s::S3ErrorCode;

    use super::{check_presigned_expiry, date_as_amz_date, imf_to_amz};

    #[test]
    fn presigned_expiry_bounds() {
        let q = |e: &str| format!("X-Amz-Expires={e}&X-Amz-Signature=ab");
        for ok in ["1", "3600", "604800"] {
            assert!(check_presigned_expiry(Some(&q(ok))).is_ok(), "{ok}");
        }
        for bad in ["0", "604801", "315360000", "-1", "x", "99999999999999999999999"] {
            let e = check_presigned_expiry(Some(&q(bad))).unwrap_err();
            assert_eq!(e.code(), &S3ErrorCode::AuthorizationQueryParametersError, "{bad}");
        }
        // Not presigned: no opinion.
        assert!(check_presigned_expiry(Some("X-Amz-Expires=0")).is_ok());
        assert!(check_presigned_expiry(Some("list-type=2")).is_ok());
        assert!(check_presigned_expiry(None).is_ok());
    }

    #[test]
    fn imf_fixdates() {
        assert_eq!(
            imf_to_amz("Sun, 06 Nov 1994 08:49:37 GMT").as_deref(),
            Some("19941106T084937Z")
        );
        assert_eq!(
            imf_to_amz("Sun, 06 Dec 2026 19:50:00 GMT").as_deref(),
            Some("20261206T195000Z")
        );
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT x",
            "Sun, 06 Nov +994 08:49:37 GMT",
        ] {
            assert_eq!(imf_to_amz(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn date_header_feeds_x_amz_date() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "AWS4-HMAC-SHA256 Credential=x".parse().unwrap());
        h.insert("date", "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
        date_as_amz_date(&mut h);
        assert_eq!(h["x-amz-date"], "19941106T084937Z");
        // x-amz-date wins.
        h.insert("x-amz-date", "20200101T000000Z".parse().unwrap());
        date_as_amz_date(&mut h);
        assert_eq!(h["x-amz-date"], "20200101T000000Z");
        // Only for SigV4 header auth.
        let mut h = HeaderMap::new();
        h.insert("date", "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
        date_as_amz_date(&mut h);
        assert!(!h.contains_key("x-amz-date"));
    }

    proptest::proptest! {
        /// Network input: never a panic, and any output is an AmzDate shape.
        #[test]
        fn any_date_or_query_is_safe(s in "\\PC{0,60}") {
            if let Some(amz) = imf_to_amz(&s) {
                proptest::prop_assert_eq!(amz.len(), 16);
            }
            let _ = check_presigned_expiry(Some(&s));
        }
    }
}
