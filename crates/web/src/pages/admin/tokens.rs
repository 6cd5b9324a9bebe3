//! API tokens (/admin/nycklar): the tokens of the users of the caller's regions, newest
//! first, the form to make one (its secret is shown on the answer once, never again), and
//! a button per live token to revoke it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use store::users::OwnedToken;

use super::super::error::{Failing, PageResult};
use super::super::form::{TypedForm, Values};
use super::super::{FormErrors, render_status, see_other, url_encode};
use super::Refused;
use super::people::Buttons;
use crate::AppState;
use crate::ctx::Ctx;
use app::AppError;

const LABELS: &[(&str, &str)] = &[
    ("email", "admin.tokens.email"),
    ("name", "admin.tokens.name"),
    ("days", "admin.tokens.days"),
];

/// A token as listed.
struct Shown {
    id: String,
    name: String,
    user_name: String,
    created: String,
    expires: String,
    live: bool,
}

fn when(t: Option<&str>) -> String {
    t.and_then(domain::time::Timestamp::parse_db)
        .map(|t| t.swedish_date_string())
        .unwrap_or_default()
}

impl Shown {
    fn of(t: OwnedToken, now: &str) -> Shown {
        let live =
            t.token.revoked_at.is_none() && t.token.expires_at.as_deref().is_none_or(|e| e > now);
        Shown {
            id: t.token.id.to_string(),
            // A token made on the command line has no name: the start of its id, which
            // `sluss token revoke` takes.
            name: t
                .token
                .name
                .clone()
                .unwrap_or_else(|| t.token.id.as_str().chars().take(8).collect()),
            user_name: t.user_name,
            created: when(Some(&t.token.created_at)),
            expires: when(t.token.expires_at.as_deref()),
            live,
        }
    }
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    tokens: Vec<Shown>,
    next: Option<String>,
    /// The secret of the token just made, shown this once.
    secret: Option<String>,
    done: String,
    refused: Refused,
    /// The e-mail address the form starts with (from a user's page).
    email: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    /// The key of the page: creation time and id of the token before it.
    fore: String,
    id: String,
    klart: String,
    /// An e-mail address to make a token for.
    for_email: String,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    q: &ListQuery,
    secret: Option<String>,
    refused: Refused,
    status: StatusCode,
) -> PageResult {
    let before = (!q.fore.is_empty()).then_some((q.fore.as_str(), q.id.as_str()));
    let list = app::admin::tokens::list(&state.app, &ctx.caller, before)
        .await
        .or_page(ctx)?;
    let now = domain::time::Timestamp::now().to_db();
    let next = list.next.map(|(at, id)| {
        format!(
            "/admin/nycklar?fore={}&id={}",
            url_encode(&at),
            url_encode(&id)
        )
    });
    let done = match q.klart.as_str() {
        "revoked" => "revoked".to_string(),
        _ => String::new(),
    };
    Ok(render_status(
        status,
        &Page {
            ctx,
            tokens: list
                .tokens
                .into_iter()
                .map(|t| Shown::of(t, &now))
                .collect(),
            next,
            secret,
            done,
            refused,
            email: q.for_email.clone(),
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> PageResult {
    page(&state, &ctx, &q, None, Refused::default(), StatusCode::OK).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CreateForm {
    email: String,
    name: String,
    days: Option<u32>,
}

async fn refused(state: &AppState, ctx: &Ctx, values: Values, errors: FormErrors) -> PageResult {
    let refused = Refused::new("token", values, errors);
    page(
        state,
        ctx,
        &ListQuery::default(),
        None,
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// Makes a token and shows its secret on the answer (not after a redirect: it is never
/// shown again).
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    form: TypedForm<CreateForm>,
) -> PageResult {
    let values = form.values;
    let f = match form.input {
        Ok(f) => f,
        Err(e) => {
            return refused(
                &state,
                &ctx,
                values,
                FormErrors::in_form(&ctx.t, LABELS, &e),
            )
            .await;
        }
    };
    match app::admin::tokens::create(&state.app, &ctx.caller, &f.email, &f.name, f.days).await {
        Ok((_, secret)) => {
            page(
                &state,
                &ctx,
                &ListQuery::default(),
                Some(secret),
                Refused::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(AppError::Validation(e)) => {
            refused(
                &state,
                &ctx,
                values,
                FormErrors::in_form(&ctx.t, LABELS, &e),
            )
            .await
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    form: TypedForm<Buttons>,
) -> PageResult {
    form.or_page(&ctx)?;
    app::admin::tokens::revoke(&state.app, &ctx.caller, &id)
        .await
        .or_page(&ctx)?;
    Ok(see_other("/admin/nycklar?klart=revoked"))
}
