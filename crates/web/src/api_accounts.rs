//! The JSON API v1 for accounts: a region's administrator lists a user's API tokens,
//! revokes one, or deactivates the user. Only users whose roles are all held in regions
//! the caller administers are reached; any other id answers 404, as one that does not
//! exist. Same conventions as the rest of v1 (see `api`).

use axum::Json;
use axum::extract::{Path, State};

use crate::AppState;
use crate::api::types::Error;
use crate::api::types::accounts::{Deactivated, Revoked, TokenList};
use crate::api::{ApiResult, Bearer};
use app::accounts::Administrator;
use domain::id::UserId;

#[utoipa::path(get, path = "/api/v1/users/{id}/tokens", tag = "accounts",
    summary = "A user's API tokens (never the tokens themselves): for an administrator of every region the user holds a role in",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The user's tokens, oldest first.", body = TokenList),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "The caller administers no region.", body = Error),
        (status = 404, description = "No such user, or not one of the caller's regions.", body = Error),
    ))]
pub async fn tokens(
    State(state): State<AppState>,
    Path(user_id): Path<UserId>,
    Bearer(caller): Bearer,
) -> ApiResult<Json<TokenList>> {
    let list =
        app::accounts::tokens_of(&state.app, Administrator::Caller(&caller), &user_id).await?;
    Ok(Json(TokenList {
        items: list.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "accounts",
    summary = "Revoke an API token by its id (or a unique prefix of eight or more characters)",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "Revoked (also when it already was).", body = Revoked),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "The caller administers no region.", body = Error),
        (status = 404, description = "No such token, or not one of a user of the caller's regions.", body = Error),
        (status = 409, description = "Several tokens begin with that id.", body = Error),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Bearer(caller): Bearer,
) -> ApiResult<Json<Revoked>> {
    let t = app::accounts::revoke_token(&state.app, Administrator::Caller(&caller), &id).await?;
    Ok(Json(Revoked {
        id: t.id.into_string(),
        revoked: true,
    }))
}

#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "accounts",
    summary = "Deactivate a user: no more sign-ins; their sessions and API tokens end at once",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "Deactivated (also when the user already was).", body = Deactivated),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "The caller administers no region.", body = Error),
        (status = 404, description = "No such user, or not one of the caller's regions.", body = Error),
    ))]
pub async fn deactivate(
    State(state): State<AppState>,
    Path(user_id): Path<UserId>,
    Bearer(caller): Bearer,
) -> ApiResult<Json<Deactivated>> {
    let d = app::accounts::deactivate(&state.app, Administrator::Caller(&caller), &user_id).await?;
    Ok(Json(Deactivated {
        id: d.user.id.into(),
        active: false,
        sessions_ended: d.sessions_ended,
        tokens_revoked: d.tokens_revoked,
    }))
}
