//! Retention (gallring): which kinds of record Sluss removes when they are no longer
//! needed, how long each is kept by default, and the limit a rule sets. A region sets its
//! rules (its units inherit them); a rule may keep the records instead (when the archive
//! rules say keep). The removal itself is `store::retention`, one function per kind; the
//! daily job `app::retention`.
//!
//! A new kind is one more variant here, with its default, and one more arm in
//! `store::retention::{scope, erase}` (as `case_attachments` was added).

use crate::error::{ErrorCode, FieldError};
use crate::submission::string_enum;
use crate::time::Timestamp;

string_enum!(
    /// A kind of record a rule removes. `rejected_contact`: the name and e-mail address of
    /// a rejected submission, months after the decision; `answered_contact`: those of an
    /// answered one (accepted, or a duplicate); `workshop_participants`: what links a
    /// workshop's pseudonymous participants to a person or a device (their token and
    /// account), months after the workshop closed; `housekeeping`: expired sign-in
    /// sessions and used or expired password-reset links, not set per region (they belong
    /// to accounts, and nobody needs them once they have ended); `case_attachments`: the
    /// files of a completed or closed case, months after it ended — kept by default, as a
    /// case's documents are the archive's to judge (arkivlagen), until a region sets a limit.
    RetentionKind {
        RejectedContact => "rejected_contact",
        AnsweredContact => "answered_contact",
        WorkshopParticipants => "workshop_participants",
        CaseAttachments => "case_attachments",
        Housekeeping => "housekeeping",
    }
);

/// How long a rule keeps its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Removed this many months after the record's moment (decision, closing).
    Months(u32),
    /// Kept: the archive rules say so. The rule removes nothing.
    Always,
    /// Removed as soon as it has ended (housekeeping).
    Ended,
}

/// The longest a rule may say, in months (50 years): beyond that, keep.
pub const MAX_MONTHS: u32 = 600;

impl RetentionKind {
    /// Whether a region sets this rule (housekeeping is the same everywhere).
    pub fn per_region(&self) -> bool {
        !matches!(self, RetentionKind::Housekeeping)
    }

    /// The kinds a region sets, in the order pages show them.
    pub fn regional() -> impl Iterator<Item = RetentionKind> {
        Self::ALL.iter().copied().filter(|k| k.per_region())
    }

    /// What applies while a region has set nothing.
    pub fn default_keep(&self) -> Keep {
        match self {
            RetentionKind::RejectedContact => Keep::Months(12),
            RetentionKind::AnsweredContact => Keep::Months(24),
            RetentionKind::WorkshopParticipants => Keep::Months(24),
            RetentionKind::CaseAttachments => Keep::Always,
            RetentionKind::Housekeeping => Keep::Ended,
        }
    }
}

impl Keep {
    /// The stored form: months, or none for keep (housekeeping is never stored).
    pub fn months(&self) -> Option<i64> {
        match self {
            Keep::Months(m) => Some(i64::from(*m)),
            Keep::Always | Keep::Ended => None,
        }
    }

    /// From the stored form.
    pub fn from_months(months: Option<i64>) -> Keep {
        match months.and_then(|m| u32::try_from(m).ok()) {
            Some(m) => Keep::Months(m),
            None => Keep::Always,
        }
    }

    /// A rule as typed: "keep" ticked, or a whole number of months from 1 to [`MAX_MONTHS`].
    pub fn parse(months: &str, keep: bool) -> Result<Keep, FieldError> {
        if keep {
            return Ok(Keep::Always);
        }
        let months = months.trim();
        if months.is_empty() {
            return Err(FieldError::new("months", ErrorCode::Required));
        }
        match months.parse::<u32>() {
            Ok(m) if (1..=MAX_MONTHS).contains(&m) => Ok(Keep::Months(m)),
            _ => Err(FieldError::new("months", ErrorCode::InvalidNumber)),
        }
    }

    /// Records whose moment lies before this are removed now; none when the rule keeps.
    pub fn limit(&self, now: &Timestamp) -> Option<Timestamp> {
        match self {
            Keep::Months(m) => Some(now.minus_months(*m)),
            Keep::Ended => Some(*now),
            Keep::Always => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_is_months_or_keep() {
        assert_eq!(Keep::parse("12", false), Ok(Keep::Months(12)));
        assert_eq!(Keep::parse(" 600 ", false), Ok(Keep::Months(600)));
        assert_eq!(Keep::parse("nej", true), Ok(Keep::Always));
        for bad in ["0", "601", "-3", "1,5", "tolv"] {
            assert_eq!(
                Keep::parse(bad, false).map_err(|e| e.code),
                Err(ErrorCode::InvalidNumber),
                "{bad}"
            );
        }
        assert_eq!(
            Keep::parse("", false).map_err(|e| e.code),
            Err(ErrorCode::Required)
        );
        assert_eq!(Keep::from_months(Some(12)), Keep::Months(12));
        assert_eq!(Keep::from_months(None), Keep::Always);
        assert_eq!(Keep::Months(7).months(), Some(7));
    }

    #[test]
    fn the_limit_lies_whole_months_back() {
        let now = Timestamp::parse_db("2026-03-31T10:00:00.000000Z").expect("time");
        let limit = Keep::Months(1).limit(&now).expect("a limit");
        assert_eq!(limit.to_db(), "2026-02-28T10:00:00.000000Z");
        let limit = Keep::Months(12).limit(&now).expect("a limit");
        assert_eq!(limit.to_db(), "2025-03-31T10:00:00.000000Z");
        assert_eq!(Keep::Always.limit(&now), None);
        assert_eq!(Keep::Ended.limit(&now), Some(now));
        assert!(RetentionKind::regional().all(|k| k.per_region()));
        assert!(!RetentionKind::Housekeeping.per_region());
    }
}
