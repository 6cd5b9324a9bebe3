//! The submitter's follow-up page behind the private link, and the receipt shown right
//! after submitting.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::error::{Failing, PageResult};
use super::form::TypedForm;
use super::{FormErrors, render_status, see_other};
use crate::AppState;
use crate::ctx::Ctx;
use crate::security::ClientIp;
use app::AppError;
use app::follow_up::FollowUp;
use domain::time::Timestamp;

#[derive(Template)]
#[template(path = "follow_up.html")]
struct FollowUpPage<'a> {
    ctx: &'a Ctx,
    f: FollowUp,
    token: String,
    link: String,
    is_new: bool,
    replied: bool,
    reply: String,
    errors: FormErrors,
}

impl FollowUpPage<'_> {
    /// A process text in the page's language (Swedish, marked so, where it has no English).
    fn named(&self, sv: &str, en: &Option<String>) -> super::work::Named {
        super::work::Named::pick(self.ctx, sv, en)
    }

    fn when(&self, ts: &str) -> String {
        Timestamp::parse_db(ts)
            .map(|t| t.swedish_minute_string())
            .unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FollowUpQuery {
    ny: Option<String>,
    svar: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    token: String,
    q: FollowUpQuery,
    reply: String,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let f = app::follow_up::view(&state.app, &token)
        .await
        .or_page(ctx)?;
    let link = format!("{}/folj/{}", state.app.config.public_url, token);
    let page = FollowUpPage {
        ctx,
        f,
        token,
        link,
        is_new: q.ny.is_some(),
        replied: q.svar.is_some(),
        reply,
        errors,
    };
    Ok(render_status(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(q): Query<FollowUpQuery>,
) -> PageResult {
    page(
        &state,
        &ctx,
        token,
        q,
        String::new(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ReplyForm {
    reply: String,
}

pub async fn reply(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    form: TypedForm<ReplyForm>,
) -> PageResult {
    if !state.limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    let typed = form.values.get("reply").cloned().unwrap_or_default();
    let result = match form.input {
        Ok(f) => app::follow_up::reply(&state.app, &token, &f.reply).await,
        Err(e) => Err(AppError::Validation(e)),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/folj/{token}?svar=1"))),
        Err(AppError::Validation(e)) => {
            let errors = FormErrors::in_form(&ctx.t, &[("reply", "follow.reply.label")], &e);
            page(
                &state,
                &ctx,
                token,
                FollowUpQuery::default(),
                typed,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}
