//! UTC timestamps as Unix seconds, shown and parsed as RFC 3339 (`2026-11-28T19:43:30Z`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The current time in Unix seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Formats Unix seconds as RFC 3339 UTC; times before 1970 show as the epoch.
pub fn rfc3339(secs: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Parses an RFC 3339 UTC time (`Z` suffix) to Unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339(text).ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64)
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
        assert_eq!(parse_duration("2d").unwrap(), 172_800);
        assert!(parse_duration("soon").is_err());
    }
}
