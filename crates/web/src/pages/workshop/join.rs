//! The way in: the join page (a code, with or without an account) and the public list of
//! open questions anyone may vote on.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::{cookie_name, token_of, upper};
use crate::AppState;
use crate::ctx::{Ctx, set_cookie};
use crate::pages::{FormErrors, HtmlForm, render_status, see_other, url_encode};
use app::AppError;

#[derive(Template)]
#[template(path = "workshop_join.html")]
struct JoinPage<'a> {
    ctx: &'a Ctx,
    code: String,
    errors: FormErrors,
    may_run: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct JoinForm {
    code: String,
}

pub async fn join_form(ctx: Ctx, Query(q): Query<JoinForm>) -> Response {
    let may_run = app::campaigns::may_run_any(&ctx.caller);
    render_status(
        StatusCode::OK,
        &JoinPage {
            ctx: &ctx,
            code: q.code,
            errors: FormErrors::default(),
            may_run,
        },
    )
}

pub async fn join(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::security::ClientIp(ip): crate::security::ClientIp,
    headers: HeaderMap,
    HtmlForm(f): HtmlForm<JoinForm>,
) -> Response {
    let code = upper(&f.code);
    // Already in: straight back to the workshop.
    if token_of(&headers, &code).is_some()
        && app::campaigns::overview(&state.app, &code, token_of(&headers, &code).as_deref())
            .await
            .is_ok_and(|o| o.participant.is_some())
    {
        return see_other(&format!("/workshop/{}", url_encode(&code)));
    }
    if !state.join_limiter.allow(ip) {
        return ctx.too_many();
    }
    match app::campaigns::join(&state.app, &ctx.caller, &code).await {
        Ok(j) => {
            let mut res = see_other(&format!("/workshop/{}", url_encode(&code)));
            if let Ok(v) = HeaderValue::from_str(&set_cookie(
                &cookie_name(&code),
                &j.token,
                Some(7 * 24 * 3600),
                state.settings.secure_cookies,
            )) {
                res.headers_mut().append(SET_COOKIE, v);
            }
            res
        }
        Err(AppError::NotFound) => {
            let mut errors = FormErrors::default();
            errors.0.push((
                "code".into(),
                ctx.t.t("workshop.join.unknown_code").to_string(),
            ));
            let may_run = app::campaigns::may_run_any(&ctx.caller);
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &JoinPage {
                    ctx: &ctx,
                    code: f.code,
                    errors,
                    may_run,
                },
            )
        }
        Err(e) => ctx.fail(e),
    }
}

#[derive(Template)]
#[template(path = "showcase_questions.html")]
struct ShowcasePage<'a> {
    ctx: &'a Ctx,
    campaigns: Vec<store::campaigns::CampaignRow>,
}

/// The open questions anyone may vote on.
pub async fn showcase(State(state): State<AppState>, ctx: Ctx) -> Response {
    match app::campaigns::showcase(&state.app).await {
        Ok(campaigns) => render_status(
            StatusCode::OK,
            &ShowcasePage {
                ctx: &ctx,
                campaigns,
            },
        ),
        Err(e) => ctx.fail(e),
    }
}
