//! What a person may read about how Sluss treats them: the page on personal data
//! (/om-personuppgifter), its periods read from each region's retention rules, and the
//! accessibility statement (/tillganglighet) with its form for reporting a problem, which
//! `app::accessibility` sends to the organisation.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;

use super::error::{Failing, PageResult};
use super::form::{TypedForm, Values};
use super::{FormErrors, render_status, see_other};
use crate::AppState;
use crate::ctx::Ctx;
use crate::security::ClientIp;
use app::AppError;
use domain::retention::{Keep, RetentionKind};

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage<'a> {
    ctx: &'a Ctx,
    /// Each region's name and its rules in words.
    regions: Vec<(String, Vec<(RetentionKind, String)>)>,
}

/// `/om-personuppgifter`.
pub async fn privacy(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let regions = app::retention::public_rules(&state.app)
        .await
        .or_page(&ctx)?
        .into_iter()
        .map(|r| {
            let rules = r
                .rules
                .into_iter()
                .map(|(kind, keep)| (kind, period(&ctx, keep)))
                .collect();
            (r.region, rules)
        })
        .collect();
    Ok(render_status(
        StatusCode::OK,
        &PrivacyPage { ctx: &ctx, regions },
    ))
}

/// How long, in words: "12 månader efter beslutet" or "bevaras".
fn period(ctx: &Ctx, keep: Keep) -> String {
    super::admin::retention::keep_words(ctx, keep)
}

/// The report form's fields as the page labels them, for the error summary.
const LABELS: &[(&str, &str)] = &[
    ("page", "a11y_report.field.page"),
    ("problem", "a11y_report.field.problem"),
    ("email", "a11y_report.field.email"),
];

#[derive(Template)]
#[template(path = "accessibility.html")]
struct StatementPage<'a> {
    ctx: &'a Ctx,
    contact: Option<&'a str>,
    /// The report form is offered: the contact is an e-mail address.
    can_report: bool,
    v: Values,
    errors: FormErrors,
    sent: bool,
}

impl StatementPage<'_> {
    fn val(&self, k: &str) -> &str {
        self.v.get(k).map(String::as_str).unwrap_or("")
    }
}

fn statement_page(
    state: &AppState,
    ctx: &Ctx,
    v: Values,
    errors: FormErrors,
    sent: bool,
    status: StatusCode,
) -> axum::response::Response {
    let contact = state.settings.accessibility_contact.as_deref();
    render_status(
        status,
        &StatementPage {
            ctx,
            contact,
            can_report: app::accessibility::report_address(contact).is_some(),
            v,
            errors,
            sent,
        },
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SentQuery {
    skickat: String,
}

/// The accessibility statement (tillgänglighetsredogörelse) after DIGG's model.
pub async fn statement(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SentQuery>,
) -> axum::response::Response {
    statement_page(
        &state,
        &ctx,
        Values::new(),
        FormErrors::default(),
        !q.skickat.is_empty(),
        StatusCode::OK,
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ReportForm {
    page: String,
    problem: String,
    email: String,
}

/// A report of an accessibility problem: a public write, limited like the others.
pub async fn report(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    form: TypedForm<ReportForm>,
) -> PageResult {
    if !state.limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    let v = form.values;
    let result = match form.input {
        Ok(f) => {
            app::accessibility::report(
                &state.app,
                state.settings.accessibility_contact.as_deref(),
                &f.page,
                &f.problem,
                &f.email,
            )
            .await
        }
        Err(e) => Err(AppError::Validation(e)),
    };
    match result {
        Ok(()) => Ok(see_other("/tillganglighet?skickat=1#skickat")),
        Err(AppError::Validation(e)) => {
            let errors = FormErrors::in_form(&ctx.t, LABELS, &e);
            Ok(statement_page(
                &state,
                &ctx,
                v,
                errors,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}
