//! The JSON API v1 for accounts: a region's administrator lists a user's API tokens,
//! revokes one, or deactivates the user. Only users whose roles are all held in regions
//! the caller administers are reached; any other id answers 404, as one that does not
//! exist. Same conventions as the rest of v1 (see `api`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::{bearer, fail};
use crate::ctx::api_lang_of;
use crate::i18n::Tr;
use app::accounts::Administrator;
use store::users::TokenRow;

fn token_json(t: &TokenRow) -> Value {
    json!({
        "id": t.id,
        "user_id": t.user_id,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
        "last_used_at": t.last_used_at,
    })
}

pub async fn tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    match app::accounts::tokens_of(&state.app, Administrator::Caller(&caller), &user_id).await {
        Ok(list) => Json(json!({ "items": list.iter().map(token_json).collect::<Vec<_>>() }))
            .into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    match app::accounts::revoke_token(&state.app, Administrator::Caller(&caller), &id).await {
        Ok(t) => Json(json!({ "id": t.id, "revoked": true })).into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn deactivate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    match app::accounts::deactivate(&state.app, Administrator::Caller(&caller), &user_id).await {
        Ok(d) => Json(json!({
            "id": d.user.id,
            "active": false,
            "sessions_ended": d.sessions_ended,
            "tokens_revoked": d.tokens_revoked,
        }))
        .into_response(),
        Err(e) => fail(&tr, e),
    }
}
