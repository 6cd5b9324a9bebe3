//! Time as stored: UTC, RFC 3339 with fixed microsecond width, so that text order is time
//! order on both databases.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// A point in time, always UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self(OffsetDateTime::now_utc())
    }

    pub fn from_offset(t: OffsetDateTime) -> Self {
        Self(t.to_offset(time::UtcOffset::UTC))
    }

    pub fn inner(&self) -> OffsetDateTime {
        self.0
    }

    pub fn year(&self) -> i32 {
        self.0.year()
    }

    /// The stored form: `2026-11-22T23:49:17.123456Z`.
    pub fn to_db(&self) -> String {
        let f = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
        );
        self.0.format(&f).unwrap_or_default()
    }

    pub fn parse_db(s: &str) -> Option<Self> {
        OffsetDateTime::parse(s, &Rfc3339).ok().map(Self::from_offset)
    }

    /// `2026-11-22`
    pub fn date_string(&self) -> String {
        let f = format_description!("[year]-[month]-[day]");
        self.0.format(&f).unwrap_or_default()
    }

    /// `2026-11-22 23:49` in UTC; pages show this with the zone named.
    pub fn minute_string(&self) -> String {
        let f = format_description!("[year]-[month]-[day] [hour]:[minute]");
        self.0.format(&f).unwrap_or_default()
    }

    pub fn plus_seconds(&self, secs: i64) -> Self {
        Self(self.0 + time::Duration::seconds(secs))
    }
}

/// A calendar date typed by a person (`YYYY-MM-DD`), used in filters.
pub fn parse_date(s: &str) -> Option<time::Date> {
    let f = format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), &f).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_form_round_trips_and_sorts() {
        let a = Timestamp::now();
        let b = a.plus_seconds(1);
        let (sa, sb) = (a.to_db(), b.to_db());
        assert_eq!(sa.len(), 27);
        assert!(sa < sb);
        assert_eq!(Timestamp::parse_db(&sa).unwrap().to_db(), sa);
    }

    #[test]
    fn dates_parse() {
        assert!(parse_date("2026-02-28").is_some());
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("igår").is_none());
    }
}
