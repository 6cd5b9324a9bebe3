//! Background jobs and the mail they send: their states and kinds, and how long a failed
//! job waits before its next try. The job table and its claiming are in `store::jobs`; the
//! runner in `app::jobs`.

use crate::submission::string_enum;

string_enum!(
    /// Where a job stands. A running job whose lease ran out (its node stopped) is due again.
    JobState {
        Pending => "pending",
        Running => "running",
        Failed => "failed",
        Done => "done",
    }
);

string_enum!(
    /// Where a mail of the outbox stands: queued until an SMTP server accepts it.
    MailState { Queued => "queued", Sent => "sent" }
);

string_enum!(
    /// What a mail is about; each kind has its templates in both languages.
    MailKind {
        Receipt => "receipt",
        Accepted => "accepted",
        Rejected => "rejected",
        Forwarded => "forwarded",
        CaseOpened => "case_opened",
        PasswordReset => "password_reset",
        // Retention and accessibility (issue 20, items 7 and 8): a report of an
        // accessibility problem, to the address of `--accessibility-contact`.
        AccessibilityReport => "accessibility_report",
    }
);

/// The job kind that sends one mail of the outbox.
pub const SEND_MAIL: &str = "mail.send";

/// How many times a job is tried before it is left failed: with [`backoff_secs`] the
/// tries spread over about a day and a half, long enough for an SMTP server's outage.
pub const MAX_ATTEMPTS: i64 = 15;

/// Seconds to wait after the `attempts`-th failed try: 30 s doubling each time, at most
/// six hours.
pub fn backoff_secs(attempts: i64) -> i64 {
    const FIRST: i64 = 30;
    const LONGEST: i64 = 6 * 3600;
    let doublings = attempts.clamp(1, 20) - 1;
    (FIRST << doublings).min(LONGEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_six_hours() {
        assert_eq!(backoff_secs(0), 30);
        assert_eq!(backoff_secs(1), 30);
        assert_eq!(backoff_secs(2), 60);
        assert_eq!(backoff_secs(3), 120);
        assert_eq!(backoff_secs(10), 15_360);
        assert_eq!(backoff_secs(11), 6 * 3600);
        assert_eq!(backoff_secs(i64::MAX), 6 * 3600);
        let total: i64 = (1..MAX_ATTEMPTS).map(backoff_secs).sum();
        assert!(total > 24 * 3600 && total < 48 * 3600, "{total}");
    }

    #[test]
    fn states_round_trip() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(*s));
        }
        assert!(MailKind::parse("digest").is_none());
    }
}
