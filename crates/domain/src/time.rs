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

    /// The same moment `days` days later (or earlier, when negative).
    pub fn plus_days(&self, days: i64) -> Self {
        Self(self.0.saturating_add(time::Duration::days(days)))
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
        OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .map(Self::from_offset)
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

    /// The time on a Swedish wall clock (CET/CEST by the EU rule), as `2026-11-22 23:49`.
    pub fn swedish_minute_string(&self) -> String {
        let f = format_description!("[year]-[month]-[day] [hour]:[minute]");
        self.0
            .to_offset(swedish_offset(self.0))
            .format(&f)
            .unwrap_or_default()
    }

    /// The Swedish calendar date, as `2026-11-22`.
    pub fn swedish_date_string(&self) -> String {
        let f = format_description!("[year]-[month]-[day]");
        self.0
            .to_offset(swedish_offset(self.0))
            .format(&f)
            .unwrap_or_default()
    }

    pub fn plus_seconds(&self, secs: i64) -> Self {
        Self(self.0 + time::Duration::seconds(secs))
    }

    /// The same time of day `months` calendar months earlier; a day the month lacks
    /// becomes its last (31 March less a month is 28 or 29 February).
    pub fn minus_months(&self, months: u32) -> Self {
        let date = self.0.date();
        let total =
            i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 - i64::from(months);
        let year = i32::try_from(total.div_euclid(12)).unwrap_or(date.year());
        let month = u8::try_from(total.rem_euclid(12) + 1)
            .ok()
            .and_then(|m| time::Month::try_from(m).ok())
            .unwrap_or(date.month());
        let day = date.day().min(month.length(year));
        match time::Date::from_calendar_date(year, month, day) {
            Ok(d) => Self(self.0.replace_date(d)),
            Err(_) => *self,
        }
    }
}

/// Summer time runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
/// Sunday of October (EU rule); otherwise Sweden is at UTC+1.
fn swedish_offset(t: OffsetDateTime) -> time::UtcOffset {
    let last_sunday = |month: time::Month| {
        let mut d = time::Date::from_calendar_date(t.year(), month, month.length(t.year())).ok()?;
        while d.weekday() != time::Weekday::Sunday {
            d = d.previous_day()?;
        }
        Some(d.with_hms(1, 0, 0).ok()?.assume_utc())
    };
    let summer = match (
        last_sunday(time::Month::March),
        last_sunday(time::Month::October),
    ) {
        (Some(start), Some(end)) => t >= start && t < end,
        _ => false,
    };
    time::UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).unwrap_or(time::UtcOffset::UTC)
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
    fn swedish_wall_clock() {
        let winter = Timestamp::parse_db("2026-01-15T12:00:00.000000Z").unwrap();
        assert_eq!(winter.swedish_minute_string(), "2026-01-15 13:00");
        let summer = Timestamp::parse_db("2026-07-01T12:00:00.000000Z").unwrap();
        assert_eq!(summer.swedish_minute_string(), "2026-07-01 14:00");
        // 2026: summer time starts 29 March 01:00 UTC and ends 25 October 01:00 UTC.
        assert_eq!(
            Timestamp::parse_db("2026-03-29T00:59:00.000000Z")
                .unwrap()
                .swedish_minute_string(),
            "2026-03-29 01:59"
        );
        assert_eq!(
            Timestamp::parse_db("2026-03-29T01:00:00.000000Z")
                .unwrap()
                .swedish_minute_string(),
            "2026-03-29 03:00"
        );
        assert_eq!(
            Timestamp::parse_db("2026-10-25T00:59:00.000000Z")
                .unwrap()
                .swedish_minute_string(),
            "2026-10-25 02:59"
        );
        assert_eq!(
            Timestamp::parse_db("2026-10-25T01:00:00.000000Z")
                .unwrap()
                .swedish_minute_string(),
            "2026-10-25 02:00"
        );
        assert_eq!(
            Timestamp::parse_db("2026-12-31T23:30:00.000000Z")
                .unwrap()
                .swedish_date_string(),
            "2027-01-01"
        );
    }

    #[test]
    fn dates_parse() {
        assert!(parse_date("2026-02-28").is_some());
        assert!(parse_date("2026-02-30").is_none());
        assert!(parse_date("igår").is_none());
    }
}
