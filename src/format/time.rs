//! UTC timestamps as Unix seconds, shown and parsed as RFC 3339 (`2026-11-28T19:43:30Z`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The current time in Unix seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The latest time hushlist represents: 9999-12-31T23:59:59Z. Signed times
/// must lie in `0..=MAX_TIME` so that every one has an RFC 3339 form.
pub const MAX_TIME: i64 = 253_402_300_799;

/// Formats Unix seconds as RFC 3339 UTC; a time outside `0..=MAX_TIME` (which
/// no verified file carries) is shown as a plain number rather than failing.
pub fn rfc3339(secs: i64) -> String {
    if !(0..=MAX_TIME).contains(&secs) {
        return format!("@{secs}");
    }
    let t = UNIX_EPOCH + Duration::from_secs(secs as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Parses an RFC 3339 UTC time in the one form hushlist writes
/// (`2026-11-28T19:43:30Z`: whole seconds, `Z`); any other spelling is refused,
/// so that each time has exactly one signed form.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339(text).ok()?;
    let secs = t.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
    (secs <= MAX_TIME && rfc3339(secs) == text).then_some(secs)
}

/// Parses a duration such as `30d`, `12h` or `1y 6months` to seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    humantime::parse_duration(text)
        .map(|d| d.as_secs() as i64)
        .map_err(|e| format!("invalid duration {text:?}: {e} (examples: 30d, 12h, 1y)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        assert_eq!(rfc3339(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(parse_rfc3339("2027-01-15T08:00:00Z"), Some(1_800_000_000));
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(
            parse_rfc3339("2027-01-15T08:00:00.5Z"),
            None,
            "fractions are not canonical"
        );
        assert_eq!(
            parse_rfc3339("2027-01-15T08:00:60Z"),
            None,
            "leap seconds are not canonical"
        );
        assert_eq!(rfc3339(MAX_TIME), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(MAX_TIME + 1), format!("@{}", MAX_TIME + 1));
        assert_eq!(parse_duration("2d").unwrap(), 172_800);
        assert!(parse_duration("soon").is_err());
    }
}
