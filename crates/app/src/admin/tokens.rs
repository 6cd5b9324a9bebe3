//! API tokens on the administration pages (/admin/nycklar): the tokens of the users of the
//! regions the caller administers, newest first; a new one for such a user, named and
//! lasting a number of days, whose secret is shown once; revoking one (see
//! [`crate::accounts::revoke_token`]).

use domain::id::TokenId;
use domain::text::{TextRule, may_name_something};
use domain::{ErrorCode, FieldErrors};
use store::users::{self, OwnedToken, TokenRow};

use super::people::region_orgs;
use crate::accounts::{Administrator, administered, home_org};
use crate::auth::{MAX_TOKEN_DAYS, insert_api_token};
use crate::error::Result;
use crate::{App, AppError, Caller};

/// Tokens per page of the list.
pub const TOKENS_PAGE: i64 = 50;

const NAME: TextRule = TextRule::line("name", 2, 80);

/// One page of tokens.
#[derive(Debug, Clone)]
pub struct TokensPage {
    pub tokens: Vec<OwnedToken>,
    /// The key (creation time, id) of the next, older page.
    pub next: Option<(String, String)>,
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn list(app: &App, caller: &Caller, before: Option<(&str, &str)>) -> Result<TokensPage> {
    let tree = app.tree().await?;
    let orgs = region_orgs(&tree, caller)?;
    let before = before.filter(|(a, i)| may_name_something(a) && may_name_something(i));
    let mut tx = app.db.read().await?;
    let mut tokens = users::tokens_in_orgs(&mut tx, &orgs, before, TOKENS_PAGE + 1).await?;
    tx.commit().await?;
    let next = if tokens.len() > TOKENS_PAGE as usize {
        tokens.truncate(TOKENS_PAGE as usize);
        tokens
            .last()
            .map(|t| (t.token.created_at.clone(), t.token.id.to_string()))
    } else {
        None
    };
    Ok(TokensPage { tokens, next })
}

/// A new token for the active user with this e-mail address in the caller's regions: its
/// id and its secret, shown once. Another region's user is unknown, as one that is not.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn create(
    app: &App,
    caller: &Caller,
    email: &str,
    name: &str,
    days: Option<u32>,
) -> Result<(TokenId, String)> {
    let tree = app.tree().await?;
    region_orgs(&tree, caller)?;
    let mut errors = FieldErrors::new();
    let name = errors.take(NAME.parse_required(name));
    let days = days.filter(|d| (1..=MAX_TOKEN_DAYS).contains(d));
    if days.is_none() {
        errors.push("days", ErrorCode::InvalidNumber);
    }
    let mut tx = app.db.write().await?;
    let user = if may_name_something(email) {
        users::by_email(&mut tx, email).await?
    } else {
        None
    };
    let user = match user {
        Some(u) => match administered(&mut tx, Administrator::Caller(caller), &u.id).await {
            Ok(u) if u.active => Some(u),
            Ok(_) | Err(AppError::NotFound) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    if user.is_none() {
        errors.push("email", ErrorCode::UnknownUser);
    }
    let (Some(user), Some(name), Some(days)) = (user, name, days) else {
        return Err(AppError::Validation(errors));
    };
    let org = home_org(&mut tx, &user.id).await?;
    let made = insert_api_token(
        &mut tx,
        &caller.actor(),
        &user.id,
        Some(&name),
        days,
        org.as_ref(),
    )
    .await?;
    tx.commit().await?;
    Ok(made)
}

/// Revokes a token of a user of the caller's regions.
pub async fn revoke(app: &App, caller: &Caller, id: &str) -> Result<TokenRow> {
    crate::accounts::revoke_token(app, Administrator::Caller(caller), id).await
}
