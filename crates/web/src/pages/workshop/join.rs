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
use crate::pages::error::{Failing, PageResult};
use crate::pages::form::TypedForm;
use crate::pages::{FormErrors, render_status, see_other, url_encode};
use app::AppError;

#[derive(Template)]
#[template(path = "workshop_join.html")]
struct JoinPage<'a> {
    ctx: &'a Ctx,
    code: String,
    /// The address a participant may leave for the results (notifications).
    email: String,
    errors: FormErrors,
    may_run: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct JoinForm {
    code: String,
    email: String,
}

const LABELS: [(&str, &str); 2] = [
    ("code", "workshop.join.code"),
    ("email", "notify.join.email"),
];

pub async fn join_form(ctx: Ctx, Query(q): Query<JoinForm>) -> Response {
    let may_run = app::campaigns::may_run_any(&ctx.caller);
    render_status(
        StatusCode::OK,
        &JoinPage {
            ctx: &ctx,
            code: q.code,
            email: q.email,
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
    form: TypedForm<JoinForm>,
) -> PageResult {
    let typed = form.values.get("code").cloned().unwrap_or_default();
    let typed_email = form.values.get("email").cloned().unwrap_or_default();
    let refused = |errors: FormErrors| {
        let may_run = app::campaigns::may_run_any(&ctx.caller);
        let page = JoinPage {
            ctx: &ctx,
            code: typed.clone(),
            email: typed_email.clone(),
            errors,
            may_run,
        };
        Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
    };
    let f = match form.input {
        Ok(f) => f,
        Err(e) => {
            return refused(FormErrors::in_form(&ctx.t, &LABELS, &e));
        }
    };
    let code = upper(&f.code);
    // Already in: straight back to the workshop.
    if token_of(&headers, &code).is_some()
        && app::campaigns::overview(&state.app, &code, token_of(&headers, &code).as_deref())
            .await
            .is_ok_and(|o| o.participant.is_some())
    {
        return Ok(see_other(&format!("/workshop/{}", url_encode(&code))));
    }
    if !state.join_limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    match app::campaigns::join_with_email(&state.app, &ctx.caller, &code, &f.email).await {
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
            Ok(res)
        }
        Err(AppError::Validation(e)) => refused(FormErrors::in_form(&ctx.t, &LABELS, &e)),
        Err(AppError::NotFound) => {
            let mut errors = FormErrors::default();
            errors.push("code", ctx.t.t("workshop.join.unknown_code"));
            refused(errors)
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

#[derive(Template)]
#[template(path = "showcase_questions.html")]
struct ShowcasePage<'a> {
    ctx: &'a Ctx,
    campaigns: Vec<store::campaigns::CampaignRow>,
}

/// The open questions anyone may vote on.
pub async fn showcase(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let campaigns = app::campaigns::showcase(&state.app).await.or_page(&ctx)?;
    let page = ShowcasePage {
        ctx: &ctx,
        campaigns,
    };
    Ok(render_status(StatusCode::OK, &page))
}
