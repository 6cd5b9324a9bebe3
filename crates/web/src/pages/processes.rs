//! Process templates for process owners and administrators: every stored version, upload
//! with a preview that names each problem's line and field, and the version each region
//! uses for new cases.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;

use super::error::{Failing, PageResult};
use super::form::TypedForm;
use super::{render_status, see_other};
use crate::AppState;
use crate::ctx::Ctx;
use crate::i18n::Tr;
use app::AppError;
use app::processes::Overview;
use domain::id::TemplateId;
use domain::process::{Problem, TemplateError, Vagval, parse_template};

/// A template problem in the reader's language, with where it is.
pub fn problem_message(t: &Tr, e: &TemplateError) -> String {
    let what = match &e.problem {
        Problem::Syntax(m) => format!("{} {m}", t.t("template.problem.syntax")),
        Problem::TooLong { max } => t.n("template.problem.too_long", max),
        Problem::OutOfRange { min, max } => t.ab(
            "template.problem.out_of_range",
            &min.to_string(),
            &max.to_string(),
        ),
        Problem::UnknownRole => format!(
            "{} {}",
            t.t("template.problem.unknown_role"),
            domain::role::Role::ALL.map(|r| r.as_str()).join(", ")
        ),
        Problem::UnknownPath => format!(
            "{} {}",
            t.t("template.problem.unknown_path"),
            Vagval::ALL
                .iter()
                .map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Problem::Empty => t.t("template.problem.empty").to_string(),
        Problem::InvalidKey => t.t("template.problem.invalid_key").to_string(),
        Problem::DuplicateKey => t.t("template.problem.duplicate_key").to_string(),
        Problem::UnknownPhase => t.t("template.problem.unknown_phase").to_string(),
        Problem::UnknownFunction => t.t("template.problem.unknown_function").to_string(),
        Problem::NoPhases => t.t("template.problem.no_phases").to_string(),
        Problem::NoSteps => t.t("template.problem.no_steps").to_string(),
        Problem::MissingGate => t.t("template.problem.missing_gate").to_string(),
        Problem::HiddenCharacters => t.t("template.problem.hidden_characters").to_string(),
    };
    format!(
        "{} {}, {} {}: {} – {what}",
        t.t("template.line"),
        e.line,
        t.t("template.column"),
        e.column,
        e.field
    )
}

#[derive(Template)]
#[template(path = "processes.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    o: Overview,
    source: String,
    preview: Option<domain::process::Template>,
    problems: Vec<String>,
    done: String,
}

impl Page<'_> {
    fn template_named(&self, t: &store::processes::TemplateRow) -> super::work::Named {
        super::work::Named::template(self.ctx, t)
    }

    /// The region an upload belongs to (one the caller manages), by name.
    fn region_of(&self, t: &store::processes::TemplateRow) -> String {
        self.o
            .regions
            .iter()
            .find(|(r, _)| t.org_id.as_ref() == Some(&r.id))
            .map(|(r, _)| r.name.clone())
            .unwrap_or_default()
    }

    fn active_in(&self, template_id: &TemplateId) -> Vec<String> {
        self.o
            .regions
            .iter()
            .filter(|(_, active)| active.iter().any(|t| t.id == *template_id))
            .map(|(r, _)| r.name.clone())
            .collect()
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    klart: String,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    source: String,
    preview: Option<domain::process::Template>,
    problems: Vec<String>,
    done: String,
    status: StatusCode,
) -> PageResult {
    let o = app::processes::overview(&state.app, &ctx.caller)
        .await
        .or_page(ctx)?;
    let page = Page {
        ctx,
        o,
        source,
        preview,
        problems,
        done,
    };
    Ok(render_status(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let done = match q.klart.as_str() {
        d @ ("stored" | "activated") => d.to_string(),
        _ => String::new(),
    };
    page(
        &state,
        &ctx,
        String::new(),
        None,
        Vec::new(),
        done,
        StatusCode::OK,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct UploadForm {
    /// The region the template is for (its slug).
    region: String,
    source: String,
    /// Which button was pressed; a preview unless it was "save".
    action: Option<UploadAction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadAction {
    Preview,
    Save,
}

pub async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    form: TypedForm<UploadForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    // A save stores the template when it is valid; a preview only parses it. Either way a
    // refused template comes back with every problem, in the reader's language.
    let outcome = if f.action == Some(UploadAction::Save) {
        match app::processes::upload(&state.app, &ctx.caller, &f.region, &f.source).await {
            Ok(_) => return Ok(see_other("/processer?klart=stored")),
            Err(AppError::Template(problems)) => Err(problems),
            Err(e) => return Err(e).or_page(&ctx),
        }
    } else {
        parse_template(&f.source).map(Some)
    };
    let (preview, problems, status) = match outcome {
        Ok(t) => (t, Vec::new(), StatusCode::OK),
        Err(problems) => (
            None,
            problems
                .iter()
                .map(|p| problem_message(&ctx.t, p))
                .collect(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    page(
        &state,
        &ctx,
        f.source,
        preview,
        problems,
        String::new(),
        status,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ActivateForm {
    region: String,
    template: String,
}

pub async fn activate(
    State(state): State<AppState>,
    ctx: Ctx,
    form: TypedForm<ActivateForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    app::processes::activate(&state.app, &ctx.caller, &f.region, &f.template)
        .await
        .or_page(&ctx)?;
    Ok(see_other("/processer?klart=activated"))
}
