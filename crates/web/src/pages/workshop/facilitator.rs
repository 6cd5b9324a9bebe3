//! The facilitator's screens: new campaigns, the lead page (phases, the join QR code,
//! results, criteria, research questions) and taking the best concepts forward.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use super::{DoneQuery, upper};
use crate::AppState;
use crate::ctx::Ctx;
use crate::pages::error::{Failing, PageResult};
use crate::pages::form::{Checkbox, KeyedFields, KeyedForm, TypedForm, Values};
use crate::pages::{FormErrors, render_status, see_other, url_encode};
use app::AppError;
use app::campaigns::{Lead, NewCampaignInput};
use domain::campaign::{Mode, Phase};

#[derive(Template)]
#[template(path = "workshop_new.html")]
struct NewPage<'a> {
    ctx: &'a Ctx,
    campaigns: Vec<store::campaigns::CampaignRow>,
    orgs: Vec<store::orgs::OrgRow>,
    input: NewCampaignInput,
    quota: String,
    errors: FormErrors,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NewForm {
    title: String,
    question: String,
    mode: Option<Mode>,
    organisation: String,
    vote_quota: Option<i64>,
    require_approval: Checkbox,
}

/// The new campaign's fields as the page labels them, for the error summary.
const NEW_LABELS: &[(&str, &str)] = &[
    ("title", "workshop.new.field.title"),
    ("question", "workshop.new.field.question"),
    ("organisation", "workshop.new.field.organisation"),
    ("vote_quota", "workshop.new.field.quota"),
    ("require_approval", "workshop.new.field.approval"),
];

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    input: NewCampaignInput,
    quota: String,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let (campaigns, orgs) = app::campaigns::mine(&state.app, &ctx.caller)
        .await
        .or_page(ctx)?;
    let page = NewPage {
        ctx,
        campaigns,
        orgs,
        input,
        quota,
        errors,
    };
    Ok(render_status(status, &page))
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let input = NewCampaignInput {
        mode: "workshop".into(),
        ..Default::default()
    };
    new_page(
        &state,
        &ctx,
        input,
        "20".into(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    form: TypedForm<NewForm>,
) -> PageResult {
    let v = form.values;
    let val = |k: &str| v.get(k).cloned().unwrap_or_default();
    let quota = val("vote_quota");
    let f = match form.input {
        Ok(f) => f,
        Err(e) => {
            // Shown again as typed, with the fields that did not decode named.
            let input = as_typed(&v);
            let errors = FormErrors::in_form(&ctx.t, NEW_LABELS, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return new_page(&state, &ctx, input, quota, errors, status).await;
        }
    };
    let input = NewCampaignInput {
        title: f.title,
        question: f.question,
        mode: f.mode.unwrap_or(Mode::Workshop).as_str().into(),
        organisation: f.organisation,
        // An empty box is the app's default; a number out of range is its error.
        vote_quota: Some(f.vote_quota.unwrap_or(0)),
        require_approval: f.require_approval.0,
        top_n: None,
    };
    match app::campaigns::create(&state.app, &ctx.caller, &input).await {
        Ok(c) => Ok(see_other(&format!(
            "/workshop/{}/leda",
            url_encode(&c.code)
        ))),
        Err(AppError::Validation(e)) => {
            let errors = FormErrors::in_form(&ctx.t, NEW_LABELS, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            new_page(&state, &ctx, input, quota, errors, status).await
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

/// A new campaign's form as typed, to show again.
fn as_typed(v: &Values) -> NewCampaignInput {
    let val = |k: &str| v.get(k).cloned().unwrap_or_default();
    NewCampaignInput {
        title: val("title"),
        question: val("question"),
        mode: val("mode"),
        organisation: val("organisation"),
        vote_quota: None,
        require_approval: !matches!(val("require_approval").as_str(), "" | "off" | "0" | "false"),
        top_n: None,
    }
}

#[derive(Template)]
#[template(path = "workshop_lead.html")]
struct LeadPage<'a> {
    ctx: &'a Ctx,
    l: Lead,
    questions: Vec<app::campaigns::Question>,
    criteria: app::campaigns::CriteriaResults,
    phases: &'static [Phase],
    join_url: String,
    done: String,
    chart: super::projector::ScoreChart,
    mode: &'static str,
    /// The challenge's files, and the errors of the form that adds them.
    attachments: Vec<store::attachments::AttachmentRow>,
    errors: FormErrors,
}

impl LeadPage<'_> {
    /// A file's size for people.
    fn size(&self, n: &i64) -> String {
        crate::pages::attachments::size_text(self.ctx, *n)
    }
}

/// The join address as an SVG QR code (dark modules as one path), for the projector.
pub fn qr_svg(text: &str) -> String {
    use qrcodegen::{QrCode, QrCodeEcc};
    let Ok(qr) = QrCode::encode_text(text, QrCodeEcc::Medium) else {
        return String::new();
    };
    let size = qr.size();
    let border = 4;
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let dim = size + 2 * border;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {dim} {dim}\" width=\"240\" height=\"240\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    )
}

impl LeadPage<'_> {
    fn qr(&self) -> String {
        qr_svg(&self.join_url)
    }

    fn state_of(&self, p: &Phase) -> &'static str {
        super::projector::phase_state(self.phases, &self.l.results.campaign.phase, p)
    }

    fn is_current(&self, p: &Phase) -> bool {
        self.l.results.campaign.phase == *p
    }

    fn one(&self, s: &f64) -> String {
        format!("{:.1}", s)
    }

    fn nobody_scored(&self) -> bool {
        self.criteria.rows.iter().all(|r| r.raters == 0)
    }

    fn mean(&self, s: &Option<f64>) -> String {
        s.map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".into())
    }
}

pub async fn lead(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    lead_page(
        &state,
        &ctx,
        &code,
        q.klart,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The facilitator's page, with a confirmation (`done`) or the errors of its file form.
pub async fn lead_page(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
    done: String,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let l = app::campaigns::lead(&state.app, &ctx.caller, code)
        .await
        .or_page(ctx)?;
    let criteria = app::campaigns::criteria_of(&state.app, code)
        .await
        .or_page(ctx)?;
    let questions = app::campaigns::research(&state.app, code, None)
        .await
        .or_page(ctx)?;
    let attachments = app::campaigns::attachments_of(&state.app, &ctx.caller, code)
        .await
        .or_page(ctx)?;
    let mode = l.results.campaign.mode;
    let join_url = format!(
        "{}/workshop?code={}",
        state.app.config.public_url, l.results.campaign.code
    );
    let done = if ctx.t.has(&format!("workshop.done.{done}")) {
        done
    } else {
        String::new()
    };
    let chart = super::projector::ScoreChart::new(&l.results.ranked, l.results.campaign.top_n);
    let mode_words = super::projector::mode_key(&l.results.campaign.mode);
    let page = LeadPage {
        ctx,
        chart,
        mode: mode_words,
        l,
        questions,
        criteria,
        phases: Phase::of(mode),
        join_url,
        done,
        attachments,
        errors,
    };
    Ok(render_status(status, &page))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PhaseForm {
    phase: String,
}

pub async fn set_phase(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: TypedForm<PhaseForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    app::campaigns::set_phase(&state.app, &ctx.caller, &code, &f.phase)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/workshop/{}/leda?klart=phase",
        url_encode(&upper(&code))
    )))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct IdeaStatusForm {
    status: String,
}

pub async fn idea_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, idea)): Path<(String, String)>,
    form: TypedForm<IdeaStatusForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    app::campaigns::set_idea_status(&state.app, &ctx.caller, &code, &idea, &f.status)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/workshop/{}/leda?klart=idea",
        url_encode(&upper(&code))
    )))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ForwardForm {
    /// How many of the best; the campaign's own number when empty.
    n: Option<i64>,
    /// As submissions (the default) or as cases.
    to: Option<ForwardTo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardTo {
    Submission,
    Case,
}

/// Takes the best concepts forward as submissions in the inbox.
pub async fn take_forward(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: TypedForm<ForwardForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    let to_case = f.to == Some(ForwardTo::Case);
    app::campaigns::take_forward(&state.app, &ctx.caller, &code, f.n, to_case)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/workshop/{}/leda?klart=forward#h-forward",
        url_encode(&upper(&code))
    )))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct QuestionForm {
    question: String,
}

pub async fn add_question(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: TypedForm<QuestionForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    app::campaigns::add_question(&state.app, &ctx.caller, &code, &f.question)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/workshop/{}/leda?klart=question#h-research",
        url_encode(&upper(&code))
    )))
}

/// The facilitator's criteria: a weight per criterion (`w-{criterion id}`, keyed by the
/// criteria's ids), and a criterion to add. The app judges each weight.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CriteriaForm {
    new_name: String,
    new_weight: String,
}

impl KeyedFields for CriteriaForm {
    const PREFIX: &'static str = "w-";
}

pub async fn set_criteria(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    form: KeyedForm<CriteriaForm>,
) -> PageResult {
    let f = form.form.or_page(&ctx)?;
    let input = app::campaigns::CriteriaInput {
        weights: form.keyed.into_iter().collect(),
        new_name: f.new_name,
        new_weight: f.new_weight,
    };
    app::campaigns::set_criteria(&state.app, &ctx.caller, &code, &input)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/workshop/{}/leda?klart=criteria#h-criteria",
        url_encode(&upper(&code))
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_qr_code_is_an_svg_of_the_address() {
        let svg = super::qr_svg("http://127.0.0.1:8080/workshop?code=K7Q2XM");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.matches('M').count() > 100, "many dark modules");
        assert_ne!(
            svg,
            super::qr_svg("http://127.0.0.1:8080/workshop?code=ABCDEF")
        );
    }
}
