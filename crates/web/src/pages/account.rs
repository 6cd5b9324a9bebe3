//! The account of a person with a local password: asking for a reset link by e-mail
//! (/logga-in/glomt), setting a new password with it (/losenord/{token}), changing it when
//! signed in (/konto), and signing out of every session. The app layer decides
//! (`app::password`); these handlers render its answers.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::error::{Failing, PageResult};
use super::form::TypedForm;
use super::{FormErrors, render_status, see_other};
use crate::AppState;
use crate::ctx::{Ctx, SESSION_COOKIE, cookie, set_cookie};
use crate::security::ClientIp;
use app::AppError;

#[derive(Template)]
#[template(path = "account_forgot.html")]
struct ForgotPage<'a> {
    ctx: &'a Ctx,
    sent: bool,
}

pub async fn forgot_form(State(state): State<AppState>, ctx: Ctx) -> Response {
    if !state.app.config.local_passwords {
        return super::not_found(ctx).await;
    }
    render_status(
        StatusCode::OK,
        &ForgotPage {
            ctx: &ctx,
            sent: false,
        },
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

/// Always the same answer, whether the address has an account or not.
pub async fn forgot(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    form: TypedForm<ForgotForm>,
) -> PageResult {
    if !state.sign_in_limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    if let Ok(form) = form.input {
        app::password::request_reset(&state.app, &form.email, ctx.lang.code())
            .await
            .or_page(&ctx)?;
    }
    Ok(render_status(
        StatusCode::OK,
        &ForgotPage {
            ctx: &ctx,
            sent: true,
        },
    ))
}

#[derive(Template)]
#[template(path = "account_reset.html")]
struct ResetPage<'a> {
    ctx: &'a Ctx,
    action: String,
    errors: FormErrors,
    done: bool,
}

pub async fn reset_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Response {
    if !state.app.config.local_passwords {
        return super::not_found(ctx).await;
    }
    render_status(
        StatusCode::OK,
        &ResetPage {
            action: format!("/losenord/{}", super::url_encode(&token)),
            ctx: &ctx,
            errors: FormErrors::default(),
            done: false,
        },
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NewPasswordForm {
    password: String,
    password_again: String,
}

/// A new password typed twice: the same both times, else an error on the second.
fn typed_twice(ctx: &Ctx, password: &str, again: &str) -> FormErrors {
    let mut errors = FormErrors::default();
    if password != again {
        errors.push("password_again", ctx.t.t("account.password_mismatch"));
    }
    errors
}

fn labels() -> [(&'static str, &'static str); 3] {
    [
        ("current_password", "account.current_password"),
        ("password", "account.new_password"),
        ("password_again", "account.password_again"),
    ]
}

pub async fn reset(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    form: TypedForm<NewPasswordForm>,
) -> PageResult {
    if !state.sign_in_limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    let page = |errors: FormErrors, done: bool| ResetPage {
        action: format!("/losenord/{}", super::url_encode(&token)),
        ctx: &ctx,
        errors,
        done,
    };
    let form = match form.input {
        Ok(f) => f,
        Err(e) => {
            let errors = FormErrors::in_form(&ctx.t, &labels(), &e);
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(errors, false),
            ));
        }
    };
    let errors = typed_twice(&ctx, &form.password, &form.password_again);
    let result = if errors.is_empty() {
        app::password::reset(&state.app, &token, &form.password).await
    } else {
        Err(AppError::Validation(domain::FieldErrors::new()))
    };
    match result {
        Ok(()) => Ok(render_status(
            StatusCode::OK,
            &page(FormErrors::default(), true),
        )),
        Err(AppError::Validation(e)) => {
            let mut all = FormErrors::in_form(&ctx.t, &labels(), &e);
            all.0.extend(errors.0);
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(all, false),
            ))
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    ctx: &'a Ctx,
    email: String,
    errors: FormErrors,
    changed: bool,
    /// Whether local passwords are on (`--local-passwords`): off, the password form is not
    /// offered (the identity provider keeps the password).
    passwords: bool,
    /// The person's notification choices (`pages::notify`), and whether they were just saved.
    shown: super::notify::Shown,
    notify_saved: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AccountQuery {
    andrat: Option<String>,
    aviseringar: Option<String>,
}

async fn account_page(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    errors: FormErrors,
    (changed, notify_saved): (bool, bool),
) -> PageResult {
    let Some(me) = ctx.caller.user() else {
        return Err(AppError::Unauthenticated).or_page(ctx);
    };
    let choices = app::notify::my_choices(&state.app, &ctx.caller)
        .await
        .or_page(ctx)?;
    Ok(render_status(
        status,
        &AccountPage {
            ctx,
            email: me.email.clone(),
            errors,
            changed,
            passwords: state.app.config.local_passwords,
            shown: super::notify::Shown::of(&choices),
            notify_saved,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AccountQuery>,
) -> PageResult {
    account_page(
        &state,
        &ctx,
        StatusCode::OK,
        FormErrors::default(),
        (q.andrat.is_some(), q.aviseringar.is_some()),
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ChangeForm {
    current_password: String,
    password: String,
    password_again: String,
}

pub async fn change(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    form: TypedForm<ChangeForm>,
) -> PageResult {
    if ctx.caller.user().is_none() {
        return Err(AppError::Unauthenticated).or_page(&ctx);
    }
    if !state.sign_in_limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    let form = match form.input {
        Ok(f) => f,
        Err(e) => {
            let errors = FormErrors::in_form(&ctx.t, &labels(), &e);
            return account_page(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                (false, false),
            )
            .await;
        }
    };
    let errors = typed_twice(&ctx, &form.password, &form.password_again);
    let session = cookie(&headers, SESSION_COOKIE);
    let result = if errors.is_empty() {
        app::password::change(
            &state.app,
            &ctx.caller,
            session.as_deref(),
            &form.current_password,
            &form.password,
        )
        .await
    } else {
        Err(AppError::Validation(domain::FieldErrors::new()))
    };
    match result {
        Ok(()) => Ok(see_other("/konto?andrat=1")),
        Err(AppError::Validation(e)) => {
            let mut all = FormErrors::in_form(&ctx.t, &labels(), &e);
            all.0.extend(errors.0);
            account_page(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                all,
                (false, false),
            )
            .await
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

/// Ends every session of the person, this one too, and leaves them signed out.
pub async fn sign_out_everywhere(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    app::password::sign_out_everywhere(&state.app, &ctx.caller)
        .await
        .or_page(&ctx)?;
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
