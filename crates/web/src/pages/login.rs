//! Sign-in and sign-out for staff.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::error::{Failing, PageResult};
use super::form::TypedForm;
use super::{render_status, safe_next, see_other};
use crate::AppState;
use crate::ctx::{Ctx, SESSION_COOKIE, cookie, set_cookie};
use crate::security::ClientIp;
use app::AppError;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    ctx: &'a Ctx,
    email: String,
    next: String,
    failed: bool,
    /// The identity provider's name, for its button, when one is configured.
    provider: Option<&'a str>,
    /// Whether the password form is offered (`--local-passwords`).
    passwords: bool,
}

impl<'a> LoginPage<'a> {
    fn new(state: &'a AppState, ctx: &'a Ctx, email: String, next: String, failed: bool) -> Self {
        Self {
            ctx,
            email,
            next,
            failed,
            provider: state
                .app
                .config
                .oidc
                .as_ref()
                .map(|o| o.settings.name.as_str()),
            passwords: state.app.config.local_passwords,
        }
    }

    /// The provider's button's target, keeping where to go after.
    fn provider_href(&self) -> String {
        match self.next.as_str() {
            "/" => "/logga-in/oidc".to_string(),
            next => format!("/logga-in/oidc?next={}", super::url_encode(next)),
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    // Already signed in: go on to where the sign-in would have led.
    if ctx.user_name.is_some() {
        return see_other(landing(&next));
    }
    render_status(
        StatusCode::OK,
        &LoginPage::new(&state, &ctx, String::new(), next, false),
    )
}

/// Where to go after signing in: the page asked for, else "Mitt arbete", the start page of
/// every role.
/// A redirect to `next` (Mitt arbete for the start page) that sets the cookie of the new
/// session `token`.
pub(crate) fn signed_in(state: &AppState, next: &str, token: &str) -> Response {
    let mut res = see_other(landing(next));
    let c = set_cookie(
        SESSION_COOKIE,
        token,
        Some(state.app.config.session_ttl_secs),
        state.settings.secure_cookies,
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

pub(super) fn landing(next: &str) -> &str {
    match next {
        "/" => "/mitt-arbete",
        other => other,
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    form: TypedForm<LoginForm>,
) -> PageResult {
    if !state.sign_in_limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    // Two text boxes and a hidden path: only a crafted post fails to decode (a field sent
    // twice), and it is answered as a failed sign-in, with the address as typed.
    let Ok(form) = form.input else {
        let page = LoginPage::new(
            &state,
            &ctx,
            form.values.get("email").cloned().unwrap_or_default(),
            safe_next(form.values.get("next").map(String::as_str)),
            true,
        );
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    let next = safe_next(form.next.as_deref());
    match app::auth::login(&state.app, &form.email, &form.password).await {
        Ok(token) => Ok(signed_in(&state, &next, &token)),
        Err(AppError::Unauthenticated) => Ok(render_status(
            StatusCode::UNAUTHORIZED,
            &LoginPage::new(&state, &ctx, form.email, next, true),
        )),
        Err(e) => Err(e).or_page(&ctx),
    }
}

pub async fn logout(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> PageResult {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        app::auth::logout(&state.app, &token).await.or_page(&ctx)?;
    }
    let mut res = see_other("/");
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        SESSION_COOKIE,
        "",
        Some(0),
        state.settings.secure_cookies,
    )) {
        res.headers_mut().append(SET_COOKIE, v);
    }
    Ok(res)
}
