//! A report of an accessibility problem, sent from the accessibility statement's form
//! (/tillganglighet): which page, what the problem is, and an address for an answer if the
//! person wants one.

use crate::error::FieldErrors;
use crate::submission::Email;
use crate::text::TextRule;

pub const PAGE: TextRule = TextRule::line("page", 1, 300);
pub const PROBLEM: TextRule = TextRule::paragraph("problem", 10, 5000);

/// A report, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub page: String,
    pub problem: String,
    /// Where to answer; none when the person wants no answer.
    pub email: Option<Email>,
}

impl Report {
    /// Every field's problem at once.
    pub fn parse(page: &str, problem: &str, email: &str) -> Result<Report, FieldErrors> {
        let mut errors = FieldErrors::new();
        let page = errors.take(PAGE.parse_required(page));
        let problem = errors.take(PROBLEM.parse_required(problem));
        let email = if email.trim().is_empty() {
            Some(None)
        } else {
            errors.take(Email::parse("email", email).map(Some))
        };
        match (page, problem, email) {
            (Some(page), Some(problem), Some(email)) if errors.is_empty() => Ok(Report {
                page,
                problem,
                email,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn a_report_names_every_bad_field() {
        let r = Report::parse("/lamna", "Knappen går inte att nå med tangentbordet.", "")
            .expect("valid");
        assert_eq!(r.email, None);
        let e = Report::parse("", "kort", "inte en adress").expect_err("invalid");
        let codes: Vec<_> = e.0.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("page", ErrorCode::Required),
                ("problem", ErrorCode::TooShort { min: 10 }),
                ("email", ErrorCode::InvalidEmail),
            ]
        );
    }
}
