//! "Lämna ett behov eller en idé": the public intake form and its receipt.

use super::HtmlForm;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{FormErrors, render_status, see_other};
use crate::AppState;
use crate::ctx::Ctx;
use crate::security::ClientIp;
use app::AppError;
use app::intake::Channel;
use domain::submission::{SubmissionInput, SubmissionKind, SubmitterRole};
use store::orgs::OrgRow;

/// The form as typed; kept whole so that a refused form comes back filled in.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct IntakeForm {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub affected: String,
    pub current_solution: String,
    pub submitter_role: String,
    pub organisation: String,
    pub contact_name: String,
    pub contact_email: String,
    pub consent: Option<String>,
    /// Honeypot: hidden from people, filled in by naive bots.
    pub website: String,
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage<'a> {
    ctx: &'a Ctx,
    form: IntakeForm,
    errors: FormErrors,
    orgs: Vec<OrgRow>,
    kinds: &'static [SubmissionKind],
    roles: &'static [SubmitterRole],
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct IntakeQuery {
    org: String,
    kind: String,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    mut form: IntakeForm,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    let (orgs, default) = match app::intake::receivers(&state.app).await {
        Ok(r) => r,
        Err(e) => return ctx.fail(e),
    };
    if form.organisation.is_empty() {
        form.organisation = default.unwrap_or_default();
    }
    render_status(
        status,
        &IntakePage {
            ctx,
            form,
            errors,
            orgs,
            kinds: SubmissionKind::ALL,
            roles: SubmitterRole::ALL,
        },
    )
}

pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<IntakeQuery>,
) -> Response {
    let form = IntakeForm {
        organisation: q.org,
        kind: q.kind,
        ..Default::default()
    };
    page(&state, &ctx, form, FormErrors::default(), StatusCode::OK).await
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    HtmlForm(form): HtmlForm<IntakeForm>,
) -> Response {
    if !state.limiter.allow(ip) {
        return ctx.too_many();
    }
    if !form.website.trim().is_empty() {
        tracing::info!("honeypot filled in; submission dropped");
        return ctx.error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.spam.title",
            "error.spam.body",
        );
    }
    let input = SubmissionInput {
        kind: form.kind.clone(),
        title: form.title.clone(),
        description: form.description.clone(),
        affected: form.affected.clone(),
        current_solution: form.current_solution.clone(),
        submitter_role: form.submitter_role.clone(),
        organisation: form.organisation.clone(),
        contact_name: form.contact_name.clone(),
        contact_email: form.contact_email.clone(),
        consent: form.consent.is_some(),
        require_consent: true,
    };
    let lang = ctx.t.lang.code();
    match app::intake::submit_in(&state.app, &ctx.caller, &input, Channel::Form, lang).await {
        Ok(receipt) => see_other(&format!("/folj/{}?ny=1", receipt.follow_up_token)),
        Err(AppError::Validation(e)) => {
            let errors = FormErrors::new(&ctx.t, &e);
            page(&state, &ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => ctx.fail(e),
    }
}
