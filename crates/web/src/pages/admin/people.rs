//! People (/admin/anvandare): the users of the caller's regions, a page at a time and
//! searchable, the form to invite someone, and one page per user with their roles, to give
//! and take a role, send the invitation again, and turn the account off or on. The invited
//! person's page (/inbjudan/{token}) sets their password and signs them in.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::id::{OrgId, UserId};
use domain::role::Role;

use super::super::error::{Failing, PageResult};
use super::super::form::{TypedForm, Values};
use super::super::{FormErrors, render_status, see_other, url_encode};
use super::Refused;
use crate::AppState;
use crate::ctx::Ctx;
use crate::security::ClientIp;
use app::AppError;
use app::admin::people::{Invitation, Listed, UserView};

/// The labels of the fields of this page's forms, for the error summary.
const LABELS: &[(&str, &str)] = &[
    ("name", "admin.users.name"),
    ("email", "admin.users.email"),
    ("org", "admin.users.org"),
    ("role", "admin.users.role"),
];

#[derive(Template)]
#[template(path = "admin_users.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    users: Vec<Listed>,
    search: String,
    next: Option<String>,
    /// (id, name) of the organisations of the caller's regions.
    orgs: Vec<(OrgId, String)>,
    roles: [Role; 10],
    refused: Refused,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    /// The key of the page: the name and id of the user before it.
    efter: String,
    id: String,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    refused: Refused,
    status: StatusCode,
) -> PageResult {
    let after = (!q.efter.is_empty()).then_some((q.efter.as_str(), q.id.as_str()));
    let page = app::admin::people::list(&state.app, &ctx.caller, &q.q, after)
        .await
        .or_page(ctx)?;
    let regions = app::admin::units::regions(&state.app, &ctx.caller)
        .await
        .or_page(ctx)?;
    let orgs = regions
        .iter()
        .flat_map(|r| {
            r.units.iter().map(|u| {
                (
                    u.org.id.clone(),
                    format!("{}{}", "– ".repeat(u.depth), u.org.name),
                )
            })
        })
        .collect();
    let next = page.next.map(|(name, id)| {
        format!(
            "/admin/anvandare?q={}&efter={}&id={}",
            url_encode(&q.q),
            url_encode(&name),
            url_encode(&id)
        )
    });
    Ok(render_status(
        status,
        &ListPage {
            ctx,
            users: page.users,
            search: q.q.clone(),
            next,
            orgs,
            roles: Role::ALL,
            refused,
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    list_page(&state, &ctx, &q, Refused::default(), StatusCode::OK).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    name: String,
    email: String,
    org: String,
    role: String,
}

/// The invitation's refusal, shown in its form with what was typed.
async fn invite_refused(
    state: &AppState,
    ctx: &Ctx,
    values: Values,
    errors: FormErrors,
) -> PageResult {
    let refused = Refused::new("invite", values, errors);
    list_page(
        state,
        ctx,
        &ListQuery::default(),
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

pub async fn invite(
    State(state): State<AppState>,
    ctx: Ctx,
    form: TypedForm<InviteForm>,
) -> PageResult {
    let values = form.values;
    let f = match form.input {
        Ok(f) => f,
        Err(e) => {
            let errors = FormErrors::in_form(&ctx.t, LABELS, &e);
            return invite_refused(&state, &ctx, values, errors).await;
        }
    };
    let invitation = Invitation {
        name: &f.name,
        email: &f.email,
        org_id: &f.org,
        role: &f.role,
        lang: ctx.lang.code(),
    };
    match app::admin::people::invite(&state.app, &ctx.caller, &invitation).await {
        Ok(user) => Ok(see_other(&format!(
            "/admin/anvandare/{}?klart=invited",
            user.id
        ))),
        Err(AppError::Validation(e)) => {
            let errors = FormErrors::in_form(&ctx.t, LABELS, &e);
            invite_refused(&state, &ctx, values, errors).await
        }
        Err(AppError::Conflict(app::Conflict::EmailTaken)) => {
            let mut errors = FormErrors::default();
            errors.push("email", ctx.t.t("conflict.email_taken"));
            invite_refused(&state, &ctx, values, errors).await
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage<'a> {
    ctx: &'a Ctx,
    v: UserView,
    /// The user's address, as a query string's value.
    email_q: String,
    invited_until: String,
    roles: [Role; 10],
    done: String,
    refused: Refused,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    klart: String,
}

async fn user_page(
    state: &AppState,
    ctx: &Ctx,
    id: &UserId,
    done: &str,
    refused: Refused,
    status: StatusCode,
) -> PageResult {
    let v = app::admin::people::view(&state.app, &ctx.caller, id)
        .await
        .or_page(ctx)?;
    let invited_until = v
        .invited_until
        .as_deref()
        .and_then(domain::time::Timestamp::parse_db)
        .map(|t| t.swedish_minute_string())
        .unwrap_or_default();
    let done = match done {
        d @ ("invited" | "resent" | "granted" | "removed" | "deactivated" | "reactivated") => {
            d.to_string()
        }
        _ => String::new(),
    };
    Ok(render_status(
        status,
        &UserPage {
            ctx,
            email_q: url_encode(&v.user.email),
            v,
            invited_until,
            roles: Role::ALL,
            done,
            refused,
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UserId>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    user_page(
        &state,
        &ctx,
        &id,
        &q.klart,
        Refused::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    org: String,
    role: String,
}

fn back(id: &UserId, done: &str) -> Response {
    see_other(&format!(
        "/admin/anvandare/{}?klart={done}",
        url_encode(id.as_str())
    ))
}

pub async fn grant(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UserId>,
    form: TypedForm<RoleForm>,
) -> PageResult {
    let values = form.values;
    let result = match form.input {
        Ok(f) => app::admin::people::grant(&state.app, &ctx.caller, &id, &f.org, &f.role).await,
        Err(e) => Err(AppError::Validation(e)),
    };
    match result {
        Ok(_) => Ok(back(&id, "granted")),
        Err(AppError::Validation(e)) => {
            let refused = Refused::new("grant", values, FormErrors::in_form(&ctx.t, LABELS, &e));
            user_page(
                &state,
                &ctx,
                &id,
                "",
                refused,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UserId>,
    form: TypedForm<RoleForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    app::admin::people::remove(
        &state.app,
        &ctx.caller,
        &id,
        &OrgId::from(f.org.as_str()),
        &f.role,
    )
    .await
    .or_page(&ctx)?;
    Ok(back(&id, "removed"))
}

/// A form of buttons only (the CSRF token).
#[derive(serde::Deserialize, Default)]
pub struct Buttons {}

pub async fn resend(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UserId>,
    form: TypedForm<Buttons>,
) -> PageResult {
    form.or_page(&ctx)?;
    app::admin::people::resend(&state.app, &ctx.caller, &id, ctx.lang.code())
        .await
        .or_page(&ctx)?;
    Ok(back(&id, "resent"))
}

pub async fn deactivate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UserId>,
    form: TypedForm<Buttons>,
) -> PageResult {
    form.or_page(&ctx)?;
    app::admin::people::deactivate(&state.app, &ctx.caller, &id)
        .await
        .or_page(&ctx)?;
    Ok(back(&id, "deactivated"))
}

pub async fn reactivate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<UserId>,
    form: TypedForm<Buttons>,
) -> PageResult {
    form.or_page(&ctx)?;
    app::admin::people::reactivate(&state.app, &ctx.caller, &id)
        .await
        .or_page(&ctx)?;
    Ok(back(&id, "reactivated"))
}

#[derive(Template)]
#[template(path = "account_invite.html")]
struct InvitePage<'a> {
    ctx: &'a Ctx,
    action: String,
    errors: FormErrors,
}

fn invite_page(ctx: &Ctx, token: &str, errors: FormErrors, status: StatusCode) -> Response {
    render_status(
        status,
        &InvitePage {
            action: format!("/inbjudan/{}", url_encode(token)),
            ctx,
            errors,
        },
    )
}

/// `/inbjudan/{token}`: the invited person chooses a password.
pub async fn accept_form(ctx: Ctx, Path(token): Path<String>) -> Response {
    invite_page(&ctx, &token, FormErrors::default(), StatusCode::OK)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AcceptForm {
    password: String,
    password_again: String,
}

pub async fn accept(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    form: TypedForm<AcceptForm>,
) -> PageResult {
    if !state.sign_in_limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    let labels = [
        ("password", "account.new_password"),
        ("password_again", "account.password_again"),
    ];
    let f = match form.input {
        Ok(f) => f,
        Err(e) => {
            let errors = FormErrors::in_form(&ctx.t, &labels, &e);
            return Ok(invite_page(
                &ctx,
                &token,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    if f.password != f.password_again {
        let mut errors = FormErrors::default();
        errors.push("password_again", ctx.t.t("account.password_mismatch"));
        return Ok(invite_page(
            &ctx,
            &token,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match app::admin::people::accept(&state.app, &token, &f.password).await {
        Ok(session) => Ok(super::super::login::signed_in(
            &state,
            "/mitt-arbete",
            &session,
        )),
        Err(AppError::Validation(e)) => {
            let errors = FormErrors::in_form(&ctx.t, &labels, &e);
            Ok(invite_page(
                &ctx,
                &token,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}
