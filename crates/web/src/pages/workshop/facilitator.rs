//! The facilitator's screens: new campaigns, the lead page (phases, the join QR code,
//! results, criteria, research questions) and taking the best concepts forward.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::{DoneQuery, upper};
use crate::AppState;
use crate::ctx::Ctx;
use crate::pages::{FormErrors, HtmlForm, render_status, see_other, url_encode};
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
    mode: String,
    organisation: String,
    vote_quota: String,
    require_approval: String,
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    input: NewCampaignInput,
    quota: String,
    errors: FormErrors,
    status: StatusCode,
) -> Response {
    match app::campaigns::mine(&state.app, &ctx.caller).await {
        Ok((campaigns, orgs)) => render_status(
            status,
            &NewPage {
                ctx,
                campaigns,
                orgs,
                input,
                quota,
                errors,
            },
        ),
        Err(e) => ctx.fail(e),
    }
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Response {
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
    HtmlForm(f): HtmlForm<NewForm>,
) -> Response {
    let quota = f.vote_quota.trim().parse::<i64>();
    let input = NewCampaignInput {
        title: f.title,
        question: f.question,
        mode: if f.mode.is_empty() {
            "workshop".into()
        } else {
            f.mode
        },
        organisation: f.organisation,
        vote_quota: Some(quota.clone().unwrap_or(0)),
        require_approval: !f.require_approval.is_empty(),
        top_n: None,
    };
    match app::campaigns::create(&state.app, &ctx.caller, &input).await {
        Ok(c) => see_other(&format!("/workshop/{}/leda", url_encode(&c.code))),
        Err(AppError::Validation(e)) => {
            let errors = FormErrors::new(&ctx.t, &e);
            new_page(
                &state,
                &ctx,
                input,
                f.vote_quota,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ctx.fail(e),
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
        self.l.results.campaign.phase == p.as_str()
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
) -> Response {
    let l = match app::campaigns::lead(&state.app, &ctx.caller, &code).await {
        Ok(l) => l,
        Err(e) => return ctx.fail(e),
    };
    let criteria = match app::campaigns::criteria_of(&state.app, &code).await {
        Ok(c) => c,
        Err(e) => return ctx.fail(e),
    };
    let questions = match app::campaigns::research(&state.app, &code, None).await {
        Ok(q) => q,
        Err(e) => return ctx.fail(e),
    };
    let mode = Mode::parse(&l.results.campaign.mode).unwrap_or(Mode::Workshop);
    let join_url = format!(
        "{}/workshop?code={}",
        state.app.config.public_url, l.results.campaign.code
    );
    let done = if ctx.t.has(&format!("workshop.done.{}", q.klart)) {
        q.klart
    } else {
        String::new()
    };
    let chart = super::projector::ScoreChart::new(&l.results.ranked, l.results.campaign.top_n);
    let mode_words = super::projector::mode_key(&l.results.campaign.mode);
    render_status(
        StatusCode::OK,
        &LeadPage {
            ctx: &ctx,
            chart,
            mode: mode_words,
            l,
            questions,
            criteria,
            phases: Phase::of(mode),
            join_url,
            done,
        },
    )
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
    HtmlForm(f): HtmlForm<PhaseForm>,
) -> Response {
    match app::campaigns::set_phase(&state.app, &ctx.caller, &code, &f.phase).await {
        Ok(_) => see_other(&format!(
            "/workshop/{}/leda?klart=phase",
            url_encode(&upper(&code))
        )),
        Err(e) => ctx.fail(e),
    }
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
    HtmlForm(f): HtmlForm<IdeaStatusForm>,
) -> Response {
    match app::campaigns::set_idea_status(&state.app, &ctx.caller, &code, &idea, &f.status).await {
        Ok(()) => see_other(&format!(
            "/workshop/{}/leda?klart=idea",
            url_encode(&upper(&code))
        )),
        Err(e) => ctx.fail(e),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ForwardForm {
    n: String,
    /// `submission` (the default) or `case`.
    to: String,
}

/// Takes the best concepts forward as submissions in the inbox.
pub async fn take_forward(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    HtmlForm(f): HtmlForm<ForwardForm>,
) -> Response {
    let n = match f.n.trim() {
        "" => None,
        v => match v.parse() {
            Ok(n) => Some(n),
            Err(_) => Some(0),
        },
    };
    let to_case = f.to == "case";
    match app::campaigns::take_forward(&state.app, &ctx.caller, &code, n, to_case).await {
        Ok(_) => see_other(&format!(
            "/workshop/{}/leda?klart=forward#h-forward",
            url_encode(&upper(&code))
        )),
        Err(e) => ctx.fail(e),
    }
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
    HtmlForm(f): HtmlForm<QuestionForm>,
) -> Response {
    match app::campaigns::add_question(&state.app, &ctx.caller, &code, &f.question).await {
        Ok(()) => see_other(&format!(
            "/workshop/{}/leda?klart=question#h-research",
            url_encode(&upper(&code))
        )),
        Err(e) => ctx.fail(e),
    }
}

/// The facilitator sets criteria weights (`w-{id}`) and may add a criterion.
pub async fn set_criteria(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    HtmlForm(form): HtmlForm<std::collections::HashMap<String, String>>,
) -> Response {
    let input = app::campaigns::CriteriaInput {
        weights: form
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("w-")?.to_string(), v.clone())))
            .collect(),
        new_name: form.get("new_name").cloned().unwrap_or_default(),
        new_weight: form.get("new_weight").cloned().unwrap_or_default(),
    };
    match app::campaigns::set_criteria(&state.app, &ctx.caller, &code, &input).await {
        Ok(()) => see_other(&format!(
            "/workshop/{}/leda?klart=criteria#h-criteria",
            url_encode(&upper(&code))
        )),
        Err(e) => ctx.fail(e),
    }
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
