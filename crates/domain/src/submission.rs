//! A need, idea or solution offer as it comes in through the public intake ("en väg in"),
//! parsed from raw form or JSON input into a value that is valid by construction.

use crate::error::{ErrorCode, FieldError, FieldErrors};
use crate::org::Slug;
use crate::text::TextRule;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $( #[serde(rename = $s)] $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s.trim() { $($s => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// A row's text as the enum (`#[sqlx(try_from = "String")]`): one text on both
        /// databases, and a value the code does not know is an error, never a default.
        impl TryFrom<String> for $name {
            type Error = $crate::submission::UnknownValue;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s).ok_or($crate::submission::UnknownValue {
                    kind: stringify!($name),
                    value: s,
                })
            }
        }
    };
}
pub(crate) use string_enum;

/// A stored text that names no value of its enum (a row written by a newer version, or
/// changed by hand).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {kind}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

string_enum!(
    /// behov, idé or lösningsförslag (an offer from a company).
    SubmissionKind { Need => "need", Idea => "idea", Offer => "offer" }
);

string_enum!(
    /// Who the submitter is, in their own words.
    SubmitterRole {
        Citizen => "citizen",
        Patient => "patient",
        Staff => "staff",
        Company => "company",
        Academia => "academia",
        Nonprofit => "nonprofit",
    }
);

string_enum!(
    /// Where a submission stands in the receiving function.
    SubmissionStatus {
        New => "new",
        InReview => "in_review",
        AwaitingInfo => "awaiting_info",
        Accepted => "accepted",
        Rejected => "rejected",
        Duplicate => "duplicate",
    }
);

impl SubmissionStatus {
    /// Still waiting for a decision by the receiving function.
    pub fn is_open(&self) -> bool {
        matches!(self, Self::New | Self::InReview | Self::AwaitingInfo)
    }
}

pub const TITLE: TextRule = TextRule::line("title", 5, 120);
pub const DESCRIPTION: TextRule = TextRule::paragraph("description", 20, 5000);
pub const AFFECTED: TextRule = TextRule::paragraph("affected", 2, 2000).optional();
pub const CURRENT_SOLUTION: TextRule = TextRule::paragraph("current_solution", 2, 2000).optional();
pub const CONTACT_NAME: TextRule = TextRule::line("contact_name", 2, 100).optional();

/// A lowercased e-mail address with a plausible shape. Deliverability is not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &'static str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let bad = || FieldError::new(field, ErrorCode::InvalidEmail);
        if s.is_empty() {
            return Err(FieldError::new(field, ErrorCode::Required));
        }
        if s.len() > 254 {
            return Err(FieldError::new(field, ErrorCode::TooLong { max: 254 }));
        }
        if s.chars().any(crate::text::is_hidden) {
            return Err(FieldError::new(field, ErrorCode::HiddenCharacters));
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\".contains(c));
        if domain_ok && local_ok {
            Ok(Self(s.to_lowercase()))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Raw input from the intake form or the API, before any check.
#[derive(Debug, Clone, Default)]
pub struct SubmissionInput {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub affected: String,
    pub current_solution: String,
    pub submitter_role: String,
    pub organisation: String,
    pub contact_name: String,
    pub contact_email: String,
    pub consent: bool,
    /// The web form asks for consent itself; an API client answers for its own form.
    pub require_consent: bool,
}

/// A submission that has passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubmission {
    pub kind: SubmissionKind,
    pub title: String,
    pub description: String,
    pub affected: Option<String>,
    pub current_solution: Option<String>,
    pub submitter_role: SubmitterRole,
    /// `None` means: the default receiving organisation.
    pub organisation: Option<Slug>,
    pub contact_name: Option<String>,
    pub contact_email: Option<Email>,
    pub consent: bool,
}

impl NewSubmission {
    pub fn parse(input: &SubmissionInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = SubmissionKind::parse(&input.kind);
        if kind.is_none() {
            errors.push(
                "kind",
                if input.kind.trim().is_empty() {
                    ErrorCode::Required
                } else {
                    ErrorCode::InvalidChoice
                },
            );
        }
        let title = errors.take(TITLE.parse_required(&input.title));
        let description = errors.take(DESCRIPTION.parse_required(&input.description));
        let affected = errors.take(AFFECTED.parse(&input.affected));
        let current_solution = errors.take(CURRENT_SOLUTION.parse(&input.current_solution));
        let submitter_role = SubmitterRole::parse(&input.submitter_role);
        if submitter_role.is_none() {
            let code = if input.submitter_role.trim().is_empty() {
                ErrorCode::Required
            } else {
                ErrorCode::InvalidChoice
            };
            errors.push("submitter_role", code);
        }
        let organisation = if input.organisation.trim().is_empty() {
            Some(None)
        } else {
            errors
                .take(
                    Slug::parse("organisation", &input.organisation)
                        .map_err(|e| FieldError::new(e.field, ErrorCode::UnknownOrganisation)),
                )
                .map(Some)
        };
        let contact_name = errors.take(CONTACT_NAME.parse(&input.contact_name));
        let contact_email = if input.contact_email.trim().is_empty() {
            Some(None)
        } else {
            errors
                .take(Email::parse("contact_email", &input.contact_email))
                .map(Some)
        };
        if input.require_consent && !input.consent {
            errors.push("consent", ErrorCode::ConsentRequired);
        }
        match (
            kind,
            title,
            description,
            affected,
            current_solution,
            submitter_role,
            organisation,
            contact_name,
            contact_email,
        ) {
            (
                Some(kind),
                Some(title),
                Some(description),
                Some(affected),
                Some(current_solution),
                Some(submitter_role),
                Some(organisation),
                Some(contact_name),
                Some(contact_email),
            ) if errors.is_empty() => Ok(Self {
                kind,
                title,
                description,
                affected,
                current_solution,
                submitter_role,
                organisation,
                contact_name,
                contact_email,
                consent: input.consent || !input.require_consent,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> SubmissionInput {
        SubmissionInput {
            kind: "need".into(),
            title: "Digital incheckning".into(),
            description: "Patienter står i kö vid receptionen varje morgon.".into(),
            submitter_role: "patient".into(),
            consent: true,
            require_consent: true,
            ..Default::default()
        }
    }

    #[test]
    fn valid_input_parses() {
        let s = NewSubmission::parse(&valid()).unwrap();
        assert_eq!(s.kind, SubmissionKind::Need);
        assert_eq!(s.organisation, None);
        assert_eq!(s.contact_email, None);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let input = SubmissionInput {
            kind: "wish".into(),
            title: "".into(),
            description: "<script>alert(1)</script> och mer text här".into(),
            submitter_role: "".into(),
            organisation: "Not A Slug".into(),
            contact_email: "nope".into(),
            consent: false,
            require_consent: true,
            ..Default::default()
        };
        let errors = NewSubmission::parse(&input).unwrap_err();
        for f in [
            "kind",
            "title",
            "description",
            "submitter_role",
            "organisation",
            "contact_email",
            "consent",
        ] {
            assert!(errors.has(f), "missing error for {f}: {errors:?}");
        }
        assert!(
            errors
                .0
                .iter()
                .any(|e| e.field == "description" && e.code == ErrorCode::Markup)
        );
    }

    #[test]
    fn consent_only_where_asked() {
        let mut input = valid();
        input.consent = false;
        assert!(NewSubmission::parse(&input).is_err());
        input.require_consent = false;
        assert!(NewSubmission::parse(&input).is_ok());
    }

    #[test]
    fn emails_refuse_hidden_characters() {
        for bad in [
            "anna\u{202E}es.x@b",
            "an\u{200B}na@x.se",
            "\u{FEFF}anna@x.se",
        ] {
            assert_eq!(
                Email::parse("e", bad).unwrap_err().code,
                ErrorCode::HiddenCharacters,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("e", " Anna.Berg@Region.SE ").unwrap().as_str(),
            "anna.berg@region.se"
        );
        for bad in [
            "anna",
            "anna@",
            "@x.se",
            "a b@x.se",
            "a@x",
            "a@.se",
            "a@x..se",
            "a<b>@x.se",
        ] {
            assert_eq!(
                Email::parse("e", bad).unwrap_err().code,
                ErrorCode::InvalidEmail,
                "{bad}"
            );
        }
    }

    #[test]
    fn status_open() {
        assert!(SubmissionStatus::New.is_open());
        assert!(!SubmissionStatus::Rejected.is_open());
        for s in SubmissionStatus::ALL {
            assert_eq!(SubmissionStatus::parse(s.as_str()), Some(*s));
        }
    }
}
