//! "Lämna ett behov eller en idé": the public intake form and its receipt.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;

use super::error::{Failing, PageResult};
use super::form::{Checkbox, FilesForm, Values};
use super::{FormErrors, render_status, see_other};
use crate::AppState;
use crate::ctx::Ctx;
use crate::security::ClientIp;
use app::AppError;
use app::intake::Channel;
use domain::submission::{SubmissionInput, SubmissionKind, SubmitterRole};
use store::orgs::OrgRow;

/// The form, decoded strictly: a kind or role the form does not offer, or a consent box
/// with another value, is a field error shown in the form with everything as typed kept.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct IntakeForm {
    pub kind: Option<SubmissionKind>,
    pub title: String,
    pub description: String,
    pub affected: String,
    pub current_solution: String,
    pub submitter_role: Option<SubmitterRole>,
    pub organisation: String,
    pub contact_name: String,
    pub contact_email: String,
    pub consent: Checkbox,
    /// Honeypot: hidden from people, filled in by naive bots.
    pub website: String,
}

/// The form's fields as the page labels them, for the error summary.
const LABELS: &[(&str, &str)] = &[
    ("title", "intake.field.title"),
    ("description", "intake.field.description"),
    ("affected", "intake.field.affected"),
    ("current_solution", "intake.field.current_solution"),
    ("organisation", "intake.field.organisation"),
    ("contact_name", "intake.field.contact_name"),
    ("contact_email", "intake.field.contact_email"),
    ("files", "attach.field.files"),
];

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage<'a> {
    ctx: &'a Ctx,
    /// What was typed, to show again.
    v: Values,
    errors: FormErrors,
    orgs: Vec<OrgRow>,
    kinds: &'static [SubmissionKind],
    roles: &'static [SubmitterRole],
}

impl IntakePage<'_> {
    fn val(&self, k: &str) -> &str {
        self.v.get(k).map(String::as_str).unwrap_or("")
    }

    fn consented(&self) -> bool {
        !matches!(self.val("consent"), "" | "off" | "false" | "0")
    }
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
    mut v: Values,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let (orgs, default) = app::intake::receivers(&state.app).await.or_page(ctx)?;
    if v.get("organisation").is_none_or(|o| o.is_empty()) {
        v.insert("organisation".into(), default.unwrap_or_default());
    }
    let page = IntakePage {
        ctx,
        v,
        errors,
        orgs,
        kinds: SubmissionKind::ALL,
        roles: SubmitterRole::ALL,
    };
    Ok(render_status(status, &page))
}

pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<IntakeQuery>,
) -> PageResult {
    let v = Values::from([("organisation".into(), q.org), ("kind".into(), q.kind)]);
    page(&state, &ctx, v, FormErrors::default(), StatusCode::OK).await
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    FilesForm { form, files }: FilesForm<IntakeForm>,
) -> PageResult {
    if !state.limiter.allow(ip) {
        return Ok(ctx.too_many());
    }
    let v = form.values;
    let form = match form.input {
        Ok(f) => f,
        Err(e) => {
            let errors = FormErrors::in_form(&ctx.t, LABELS, &e);
            return page(&state, &ctx, v, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    if !form.website.trim().is_empty() {
        tracing::info!("honeypot filled in; submission dropped");
        return Ok(ctx.error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "error.spam.title",
            "error.spam.body",
        ));
    }
    let input = SubmissionInput {
        kind: form.kind.map(|k| k.as_str()).unwrap_or_default().into(),
        title: form.title,
        description: form.description,
        affected: form.affected,
        current_solution: form.current_solution,
        submitter_role: form
            .submitter_role
            .map(|r| r.as_str())
            .unwrap_or_default()
            .into(),
        organisation: form.organisation,
        contact_name: form.contact_name,
        contact_email: form.contact_email,
        consent: form.consent.0,
        require_consent: true,
    };
    let lang = ctx.t.lang.code();
    let submitted = app::intake::submit_with_files(
        &state.app,
        &ctx.caller,
        &input,
        &files,
        Channel::Form,
        lang,
    )
    .await;
    match submitted {
        Ok(receipt) => Ok(see_other(&format!(
            "/folj/{}?ny=1",
            receipt.follow_up_token
        ))),
        Err(AppError::Validation(e)) => {
            let errors = FormErrors::in_form(&ctx.t, LABELS, &e);
            page(&state, &ctx, v, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}
