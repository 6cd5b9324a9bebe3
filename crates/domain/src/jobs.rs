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
        Invite => "invite",
        // Notifications (issue 20, item 3): to the submitter, to staff, to participants.
        Question => "question",
        CaseImplemented => "case_implemented",
        Assigned => "assigned",
        GateWaiting => "gate_waiting",
        StepsOverdue => "steps_overdue",
        Mentioned => "mentioned",
        WorkshopClosed => "workshop_closed",
        Digest => "digest",
        // Retention and accessibility (issue 20, items 7 and 8): a report of an
        // accessibility problem, to the address of `--accessibility-contact`.
        AccessibilityReport => "accessibility_report",
    }
);

string_enum!(
    /// How a person wants one kind of notification: at once, gathered into one mail a
    /// day, or not at all.
    NotifyMode {
        Immediate => "immediate",
        Daily => "daily",
        Never => "never",
    }
);

impl MailKind {
    /// The kinds a person chooses how to get, in the order the choices are shown. The
    /// others are not notifications: a receipt (it carries the follow-up link), a reset
    /// link asked for, the digest itself.
    pub const CHOSEN: &'static [MailKind] = &[
        MailKind::Accepted,
        MailKind::Rejected,
        MailKind::Forwarded,
        MailKind::CaseOpened,
        MailKind::Question,
        MailKind::CaseImplemented,
        MailKind::Assigned,
        MailKind::GateWaiting,
        MailKind::StepsOverdue,
        MailKind::Mentioned,
        MailKind::WorkshopClosed,
    ];

    pub fn is_chosen(self) -> bool {
        Self::CHOSEN.contains(&self)
    }

    /// Whether only staff get this kind (work handed to them, gates, steps, mentions): a
    /// submitter or participant without an account is not offered a choice of it.
    pub fn is_for_staff(self) -> bool {
        matches!(
            self,
            MailKind::Assigned
                | MailKind::GateWaiting
                | MailKind::StepsOverdue
                | MailKind::Mentioned
        )
    }
}

/// The daily job that sends each person the notifications they chose as a digest.
pub const DIGEST: &str = "notify.digest";
/// The daily job that reminds each person of the checklist steps overdue on their cases.
pub const OVERDUE: &str = "notify.overdue";

/// The hour (UTC) the daily jobs run: 05:00 UTC is 06:00 or 07:00 in Sweden, before the
/// working day.
pub const DAILY_HOUR_UTC: u8 = 5;

/// When a daily job next runs after `now`: the next [`DAILY_HOUR_UTC`] o'clock.
pub fn next_daily(now: crate::time::Timestamp) -> crate::time::Timestamp {
    let t = now.inner();
    let today =
        t.replace_time(time::Time::from_hms(DAILY_HOUR_UTC, 0, 0).unwrap_or(time::Time::MIDNIGHT));
    let next = if today > t {
        today
    } else {
        today + time::Duration::days(1)
    };
    crate::time::Timestamp::from_offset(next)
}

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
        assert!(MailKind::parse("nonsense").is_none());
    }

    #[test]
    fn the_daily_jobs_run_at_five_utc() {
        use crate::time::Timestamp;
        let at = |s: &str| Timestamp::parse_db(s).unwrap();
        let before = next_daily(at("2026-11-30T04:59:59.000Z"));
        assert_eq!(before.to_db(), at("2026-11-30T05:00:00.000Z").to_db());
        let after = next_daily(at("2026-11-30T05:00:00.000Z"));
        assert_eq!(after.to_db(), at("2026-12-01T05:00:00.000Z").to_db());
        assert!(!MailKind::Receipt.is_chosen() && MailKind::Assigned.is_chosen());
    }
}
