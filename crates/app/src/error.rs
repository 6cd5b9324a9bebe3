//! The one error type of the use cases. Each variant says what the caller did wrong (or
//! that we did); the web layer gives each its HTTP status and its message in the caller's
//! language, as an HTML page or as JSON.

use domain::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input was refused field by field (HTTP 422).
    #[error("invalid input: {0}")]
    Validation(FieldErrors),
    /// Nothing by that name, or nothing the caller may see (HTTP 404).
    #[error("not found")]
    NotFound,
    /// Signed in, but without the role the action needs (HTTP 403).
    #[error("forbidden")]
    Forbidden,
    /// A gate or path decision by someone without the gate's role in the case's
    /// organisation (HTTP 403); names the role that has the mandate.
    #[error("no mandate: needs {}", .0.as_str())]
    NoMandate(domain::role::Role),
    /// Not signed in, or wrong credentials (HTTP 401).
    #[error("not signed in")]
    Unauthenticated,
    /// A process template was refused; each problem names its line and field (HTTP 422).
    #[error("invalid process template ({} problems)", .0.len())]
    Template(Vec<domain::process::TemplateError>),
    /// The action does not fit the current state, e.g. rejecting a closed submission (HTTP 409).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Our fault (HTTP 500); the cause is logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// One refused field.
    pub fn field(field: &'static str, code: domain::ErrorCode) -> Self {
        AppError::Validation(FieldErrors::single(field, code))
    }
}

impl From<store::StoreError> for AppError {
    fn from(e: store::StoreError) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Validation(e)
    }
}

pub type Result<T> = std::result::Result<T, AppError>;
