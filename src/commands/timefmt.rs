//! Unix seconds as `YYYY-MM-DD hh:mm:ss` (UTC), for the tools that print
//! timestamps (`fdfs info`, `fdfs monitor`). No time-zone database: output
//! is the same on every machine, which is what logs and tests want.

/// `YYYY-MM-DD hh:mm:ss` in UTC from unix seconds (proleptic Gregorian).
pub fn datetime_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days, the well-known algorithm over 400-year eras.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_epoch_leap_days_and_negatives() {
        assert_eq!(datetime_utc(0), "1970-01-01 00:00:00");
        assert_eq!(datetime_utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(datetime_utc(1_795_682_911), "2026-11-26 08:48:31");
        assert_eq!(datetime_utc(-1), "1969-12-31 23:59:59");
    }
}
