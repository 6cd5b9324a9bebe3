//! Validation errors as data: a field name and a code, never a sentence. The web layer
//! turns a code into a message in the user's language from the message catalogs.

use serde::Serialize;

/// Why one field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "code")]
pub enum ErrorCode {
    Required,
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// The text contains HTML or script markup.
    Markup,
    /// Control characters other than line breaks and tabs.
    ControlCharacters,
    InvalidEmail,
    /// The value is not one of the allowed choices.
    InvalidChoice,
    UnknownOrganisation,
    UnknownUser,
    UnknownSubmission,
    ConsentRequired,
    InvalidSlug,
    InvalidFormat,
    InvalidDate,
    /// Refers to the thing itself (a duplicate of itself, forward to the same unit).
    SelfReference,
    /// Only a region may have this (its own diarium series); units use their region's.
    OnlyForRegions,
    /// A case is opened only from accepted submissions.
    NotAccepted,
    /// Required checklist items are open: passing the gate needs a reason on record.
    OverrideRequired,
    InvalidNumber,
    /// Too long, with the length it had (a concept over 500 characters).
    TooLongWas {
        max: usize,
        len: usize,
    },
    /// A vote for a pair that was not offered to this participant.
    NotOffered,
    /// Characters that cannot be seen or that reorder the text around them: bidirectional
    /// overrides and isolates, zero-width characters, a byte-order mark.
    HiddenCharacters,
    /// The current password given to change it is not the account's.
    WrongPassword,
    /// A file larger than the limit, in megabytes.
    FileTooLarge {
        max_mb: usize,
    },
    /// More files than one item may carry.
    TooManyFiles {
        max: usize,
    },
    /// A file whose content is not one of the allowed types (whatever its name says).
    FileTypeNotAllowed,
}

impl ErrorCode {
    /// Every code (with sample numbers), so catalogs can be checked against all of them.
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::Required,
        ErrorCode::TooShort { min: 1 },
        ErrorCode::TooLong { max: 1 },
        ErrorCode::Markup,
        ErrorCode::ControlCharacters,
        ErrorCode::InvalidEmail,
        ErrorCode::InvalidChoice,
        ErrorCode::UnknownOrganisation,
        ErrorCode::UnknownUser,
        ErrorCode::UnknownSubmission,
        ErrorCode::ConsentRequired,
        ErrorCode::InvalidSlug,
        ErrorCode::InvalidFormat,
        ErrorCode::InvalidDate,
        ErrorCode::SelfReference,
        ErrorCode::OnlyForRegions,
        ErrorCode::NotAccepted,
        ErrorCode::OverrideRequired,
        ErrorCode::InvalidNumber,
        ErrorCode::TooLongWas { max: 1, len: 2 },
        ErrorCode::NotOffered,
        ErrorCode::HiddenCharacters,
        ErrorCode::WrongPassword,
        ErrorCode::FileTooLarge { max_mb: 1 },
        ErrorCode::TooManyFiles { max: 1 },
        ErrorCode::FileTypeNotAllowed,
    ];

    /// The message catalog key for this code.
    pub fn key(&self) -> &'static str {
        match self {
            ErrorCode::Required => "error.required",
            ErrorCode::TooShort { .. } => "error.too_short",
            ErrorCode::TooLong { .. } => "error.too_long",
            ErrorCode::Markup => "error.markup",
            ErrorCode::ControlCharacters => "error.control_characters",
            ErrorCode::InvalidEmail => "error.invalid_email",
            ErrorCode::InvalidChoice => "error.invalid_choice",
            ErrorCode::UnknownOrganisation => "error.unknown_organisation",
            ErrorCode::UnknownUser => "error.unknown_user",
            ErrorCode::UnknownSubmission => "error.unknown_submission",
            ErrorCode::ConsentRequired => "error.consent_required",
            ErrorCode::InvalidSlug => "error.invalid_slug",
            ErrorCode::InvalidFormat => "error.invalid_format",
            ErrorCode::InvalidDate => "error.invalid_date",
            ErrorCode::SelfReference => "error.self_reference",
            ErrorCode::OnlyForRegions => "error.only_for_regions",
            ErrorCode::NotAccepted => "error.not_accepted",
            ErrorCode::OverrideRequired => "error.override_required",
            ErrorCode::InvalidNumber => "error.invalid_number",
            ErrorCode::TooLongWas { .. } => "error.too_long_was",
            ErrorCode::NotOffered => "error.not_offered",
            ErrorCode::HiddenCharacters => "error.hidden_characters",
            ErrorCode::WrongPassword => "error.wrong_password",
            ErrorCode::FileTooLarge { .. } => "attach.error.too_large",
            ErrorCode::TooManyFiles { .. } => "attach.error.too_many",
            ErrorCode::FileTypeNotAllowed => "attach.error.type",
        }
    }

    /// The number a message may show (`{n}` in the catalog).
    pub fn number(&self) -> Option<usize> {
        match self {
            ErrorCode::TooShort { min } => Some(*min),
            ErrorCode::TooLong { max } => Some(*max),
            ErrorCode::TooLongWas { max, .. } => Some(*max),
            ErrorCode::FileTooLarge { max_mb } => Some(*max_mb),
            ErrorCode::TooManyFiles { max } => Some(*max),
            _ => None,
        }
    }
}

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    #[serde(flatten)]
    pub code: ErrorCode,
}

impl FieldError {
    pub fn new(field: &'static str, code: ErrorCode) -> Self {
        Self { field, code }
    }
}

/// All refused fields of one input, collected so that a form shows every problem at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn push(&mut self, field: &'static str, code: ErrorCode) {
        self.0.push(FieldError::new(field, code));
    }

    /// Keeps the value if the parse succeeded, records the error otherwise.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    pub fn single(field: &'static str, code: ErrorCode) -> Self {
        Self(vec![FieldError::new(field, code)])
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.code.key()))
            .collect();
        write!(f, "{}", parts.join(", "))
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ALL` lists every variant: the match below fails to compile when one is added, and
    /// the count catches a variant left out of the list.
    #[test]
    fn all_lists_every_code() {
        let index = |c: &ErrorCode| match c {
            ErrorCode::Required => 0,
            ErrorCode::TooShort { .. } => 1,
            ErrorCode::TooLong { .. } => 2,
            ErrorCode::Markup => 3,
            ErrorCode::ControlCharacters => 4,
            ErrorCode::InvalidEmail => 5,
            ErrorCode::InvalidChoice => 6,
            ErrorCode::UnknownOrganisation => 7,
            ErrorCode::UnknownUser => 8,
            ErrorCode::UnknownSubmission => 9,
            ErrorCode::ConsentRequired => 10,
            ErrorCode::InvalidSlug => 11,
            ErrorCode::InvalidFormat => 12,
            ErrorCode::InvalidDate => 13,
            ErrorCode::SelfReference => 14,
            ErrorCode::OnlyForRegions => 15,
            ErrorCode::NotAccepted => 16,
            ErrorCode::OverrideRequired => 17,
            ErrorCode::InvalidNumber => 18,
            ErrorCode::TooLongWas { .. } => 19,
            ErrorCode::NotOffered => 20,
            ErrorCode::HiddenCharacters => 21,
            ErrorCode::WrongPassword => 22,
            ErrorCode::FileTooLarge { .. } => 23,
            ErrorCode::TooManyFiles { .. } => 24,
            ErrorCode::FileTypeNotAllowed => 25,
        };
        let mut seen: Vec<usize> = ErrorCode::ALL.iter().map(index).collect();
        seen.sort();
        assert_eq!(seen, (0..26).collect::<Vec<_>>());
    }
}
