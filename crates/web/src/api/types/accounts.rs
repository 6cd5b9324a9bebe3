//! Accounts: a user's API tokens, revoking one, deactivating a user.

use serde::Serialize;
use utoipa::ToSchema;

use store::users::TokenRow;

/// An API token (never the token itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    pub id: String,
    pub user_id: String,
    pub created_at: String,
    /// When the token stops working (a token made before tokens expired got a year from
    /// the upgrade).
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

impl From<&TokenRow> for Token {
    fn from(t: &TokenRow) -> Self {
        Token {
            id: t.id.to_string(),
            user_id: t.user_id.as_str().into(),
            created_at: t.created_at.clone(),
            expires_at: t.expires_at.clone(),
            revoked_at: t.revoked_at.clone(),
            last_used_at: t.last_used_at.clone(),
        }
    }
}

/// A user's tokens, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<Token>,
}

/// A revoked token.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    pub id: String,
    pub revoked: bool,
}

/// A deactivated user, and what ended with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deactivated {
    pub id: String,
    pub active: bool,
    pub sessions_ended: u64,
    pub tokens_revoked: u64,
}
