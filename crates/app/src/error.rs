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
    #[error("conflict: {}", .0.key())]
    Conflict(Conflict),
    /// Our fault (HTTP 500); the cause is logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Declares the conflicts: each variant with the key its message has in the catalogs
/// (`conflict.KEY`), and the list of them all, which a test checks against both catalogs.
macro_rules! conflicts {
    ($($(#[$doc:meta])* $variant:ident => $key:literal,)*) => {
        /// Why an action does not fit the current state (HTTP 409). The key is what the API
        /// answers as `code` and what names its message in the catalogs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Conflict {
            $($(#[$doc])* $variant,)*
        }

        impl Conflict {
            pub const ALL: &'static [Conflict] = &[$(Conflict::$variant,)*];

            pub fn key(self) -> &'static str {
                match self {
                    $(Conflict::$variant => $key,)*
                }
            }
        }
    };
}

conflicts! {
    ActionNotAllowedInStatus => "action_not_allowed_in_status",
    NotAwaitingInfo => "not_awaiting_info",
    TemplateVersionExists => "template_version_exists",
    OrganisationExists => "organisation_exists",
    TokenIdAmbiguous => "token_id_ambiguous",
    CaseNotActive => "case_not_active",
    AlreadyTicked => "already_ticked",
    NotTicked => "not_ticked",
    PathNotHere => "path_not_here",
    PathAlreadyChosen => "path_already_chosen",
    PathRequired => "path_required",
    PathEndsCase => "path_ends_case",
    NothingBefore => "nothing_before",
    CaseChanged => "case_changed",
    HandoverRequired => "handover_required",
    AlreadyAdopted => "already_adopted",
    CampaignClosed => "campaign_closed",
    Busy => "busy",
    PhaseClosed => "phase_closed",
    QuotaUsed => "quota_used",
    AlreadyVoted => "already_voted",
    IdeaWithdrawn => "idea_withdrawn",
    ResetLinkInvalid => "reset_link_invalid",
    InviteLinkInvalid => "invite_link_invalid",
    LastRole => "last_role",
    NotInvited => "not_invited",
    EmailTaken => "email_taken",
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
