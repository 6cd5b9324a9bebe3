//! Workshops with pairwise voting: joining with a code, writing concepts, voting on pairs
//! (buttons that work without JavaScript; ← → with it), and the facilitator's screen with
//! phase controls and live results pushed by server-sent events.

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use super::{FormErrors, HtmlForm, render_status, see_other, url_encode};
use crate::AppState;
use crate::ctx::{Ctx, cookie, set_cookie};
use app::AppError;
use app::campaigns::{IdeaInput, Lead, NewCampaignInput, Overview, Pair, Results, VoteInput};
use domain::campaign::{Mode, Phase};

fn cookie_name(code: &str) -> String {
    format!("sluss_ws_{}", code.trim().to_ascii_uppercase())
}

fn token_of(headers: &HeaderMap, code: &str) -> Option<String> {
    cookie(headers, &cookie_name(code)).filter(|t| !t.is_empty())
}

fn upper(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

// ── Joining ─────────────────────────────────────────────────────────────────────────────

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

// ── The participant's page ──────────────────────────────────────────────────────────────

#[derive(Template)]
#[template(path = "workshop.html")]
struct ParticipantPage<'a> {
    ctx: &'a Ctx,
    o: Overview,
    pair: Option<Pair>,
    /// Why there is no pair: quota used, nothing left, or voting closed.
    no_pair: &'static str,
    results: Option<Results>,
    criteria: Vec<store::campaigns::CriterionRow>,
    questions: Vec<app::campaigns::Question>,
    errors: FormErrors,
    text: String,
    done: String,
}

impl ParticipantPage<'_> {
    fn is_research(&self) -> bool {
        self.o.campaign.phase == "research"
    }

    fn is_criteria(&self) -> bool {
        self.o.campaign.phase == "criteria"
    }

    fn phase(&self) -> &str {
        self.o.campaign.phase.as_str()
    }

    fn remaining_text(&self) -> String {
        match &self.pair {
            Some(p) => self.ctx.t.ab(
                "workshop.vote.remaining",
                &p.remaining.to_string(),
                &p.quota.to_string(),
            ),
            None => String::new(),
        }
    }

    fn takes_ideas(&self) -> bool {
        Phase::parse(&self.o.campaign.phase).is_some_and(Phase::takes_ideas)
    }

    fn takes_votes(&self) -> bool {
        Phase::parse(&self.o.campaign.phase).is_some_and(Phase::takes_votes)
    }

    fn score(&self, s: &f64) -> String {
        format!("{:.0}", s)
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    klart: String,
}

/// What a re-rendered participant page carries from the last post.
#[derive(Default)]
struct Post {
    errors: FormErrors,
    text: String,
    done: String,
}

async fn participant_page(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    code: &str,
    post: Post,
    status: StatusCode,
) -> Response {
    let Post { errors, text, done } = post;
    let token = token_of(headers, code);
    let o = match app::campaigns::overview(&state.app, code, token.as_deref()).await {
        Ok(o) => o,
        Err(e) => return ctx.fail(e),
    };
    if o.participant.is_none() {
        // Not joined yet: the join page with the code filled in.
        return see_other(&format!("/workshop?code={}", url_encode(&upper(code))));
    }
    let token = token.unwrap_or_default();
    let phase = Phase::parse(&o.campaign.phase).unwrap_or(Phase::Draft);
    let (pair, no_pair) = if phase.takes_votes() {
        match app::campaigns::next_pair(&state.app, code, &token).await {
            Ok(Some(p)) => (Some(p), ""),
            Ok(None) => (None, "workshop.vote.none_left"),
            Err(AppError::Conflict("quota_used")) => (None, "workshop.vote.quota_used"),
            Err(e) => return ctx.fail(e),
        }
    } else {
        (None, "")
    };
    let results = if phase.shows_results() {
        app::campaigns::results(&state.app, code).await.ok()
    } else {
        None
    };
    let questions = if phase == Phase::Research {
        match app::campaigns::research(&state.app, code, Some(&token)).await {
            Ok(q) => q,
            Err(e) => return ctx.fail(e),
        }
    } else {
        Vec::new()
    };
    let criteria = if phase == Phase::Criteria {
        match app::campaigns::criteria_of(&state.app, code).await {
            Ok(c) => c.criteria,
            Err(e) => return ctx.fail(e),
        }
    } else {
        Vec::new()
    };
    let done = if ctx.t.has(&format!("workshop.done.{done}")) {
        done
    } else {
        String::new()
    };
    render_status(
        status,
        &ParticipantPage {
            ctx,
            o,
            pair,
            no_pair,
            results,
            criteria,
            questions,
            errors,
            text,
            done,
        },
    )
}

/// The answer to a participant's form post: on to `ok` when it worked, the page again with
/// the messages (and `text` kept) when the input was refused.
async fn after_post(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    code: &str,
    result: app::error::Result<()>,
    ok: String,
    text: String,
) -> Response {
    match result {
        Ok(()) => see_other(&ok),
        Err(AppError::Validation(e)) => {
            let post = Post {
                errors: FormErrors::new(&ctx.t, &e),
                text,
                done: String::new(),
            };
            participant_page(
                state,
                ctx,
                headers,
                code,
                post,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => ctx.fail(e),
    }
}

/// Back to the join page (with the code filled in) for someone who has not joined.
fn to_join(code: &str) -> Response {
    see_other(&format!("/workshop?code={}", url_encode(&upper(code))))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let post = Post {
        done: q.klart,
        ..Default::default()
    };
    participant_page(&state, &ctx, &headers, &code, post, StatusCode::OK).await
}

pub async fn add_concept(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    HtmlForm(input): HtmlForm<IdeaInput>,
) -> Response {
    // Participants write without an account, limited one by one (not per address).
    let Some(token) = token_of(&headers, &code) else {
        return to_join(&code);
    };
    if !state.participant_may_write(&code, &token) {
        return ctx.too_many();
    }
    let result = app::campaigns::add_idea(&state.app, &ctx.caller, &code, Some(&token), &input)
        .await
        .map(|_| ());
    let ok = format!("/workshop/{}?klart=concept", url_encode(&upper(&code)));
    after_post(&state, &ctx, &headers, &code, result, ok, input.text).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct VoteForm {
    offer_id: String,
    choice: String,
    reason: String,
    response_ms: String,
}

pub async fn vote(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    HtmlForm(f): HtmlForm<VoteForm>,
) -> Response {
    let Some(token) = token_of(&headers, &code) else {
        return to_join(&code);
    };
    let input = VoteInput {
        offer_id: f.offer_id,
        choice: f.choice,
        reason: f.reason,
        response_ms: f.response_ms.trim().parse().ok(),
    };
    let to = format!("/workshop/{}", url_encode(&upper(&code)));
    match app::campaigns::vote(&state.app, &code, &token, &input).await {
        Ok(_) => see_other(&format!("{to}?klart=vote#pair")),
        // A pair already answered (a double click, a back button): the next pair is shown.
        Err(AppError::Conflict("already_voted" | "idea_withdrawn")) => see_other(&to),
        Err(e) => ctx.fail(e),
    }
}

// ── The facilitator ─────────────────────────────────────────────────────────────────────

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

    fn is_current(&self, p: &Phase) -> bool {
        self.l.results.campaign.phase == p.as_str()
    }

    fn top(&self) -> usize {
        self.l.results.campaign.top_n.max(1) as usize
    }

    fn score(&self, s: &f64) -> String {
        format!("{:.0}", s)
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
    render_status(
        StatusCode::OK,
        &LeadPage {
            ctx: &ctx,
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

/// Server-sent events: an `update` whenever the phase, the votes or the ideas change,
/// checked twice a second against the database (so every node sees every vote).
/// A client address may have `live_stream_limit` streams open at once; past it, 429.
pub async fn live(
    State(state): State<AppState>,
    ctx: Ctx,
    crate::security::ClientIp(ip): crate::security::ClientIp,
    Path(code): Path<String>,
) -> Response {
    if app::campaigns::fingerprint(&state.app, &code)
        .await
        .is_err()
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    // Held by the stream: when the client goes, the stream is dropped and the place freed.
    let Some(place) = state.live_streams.take(ip) else {
        tracing::warn!(%ip, "too many live streams");
        return ctx.too_many();
    };
    let app = state.app.clone();
    let stopping = state.stopping.clone();
    let changes = app.live.subscribe();
    let code = code.trim().to_ascii_uppercase();
    let stream = futures_util::stream::unfold(
        (app, code, String::new(), stopping, changes, place),
        |(app, code, last, mut stopping, mut changes, place)| async move {
            let mut woken = std::time::Instant::now();
            loop {
                if *stopping.borrow() {
                    return None;
                }
                let now = app::campaigns::fingerprint_since(&app, &code, woken)
                    .await
                    .unwrap_or_default();
                if now != last {
                    // At most a few updates a second per listener, however fast votes come.
                    if !last.is_empty() {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    let ev = Event::default().event("update").data(now.clone());
                    return Some((
                        Ok::<_, Infallible>(ev),
                        (app, code, now, stopping, changes, place),
                    ));
                }
                // Wait for a change to this campaign (from this node, or from another
                // through PostgreSQL), a slow safety poll, or shutdown.
                tokio::select! {
                    _ = async {
                        loop {
                            match changes.recv().await {
                                Ok(c) if c == code => break,
                                Ok(_) => continue,
                                // Missed some: look anyway.
                                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                                    std::future::pending::<()>().await
                                }
                            }
                        }
                    } => {}
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    _ = stopping.changed() => return None,
                }
                woken = std::time::Instant::now();
            }
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// The facilitator's CSV exports: ideas, votes and skips.
pub async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, file)): Path<(String, String)>,
) -> Response {
    let Some(kind) = file.strip_suffix(".csv") else {
        return super::not_found(ctx).await;
    };
    match app::campaigns::export(&state.app, &ctx.caller, &code, kind).await {
        Ok(csv) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&format!(
                        "attachment; filename=\"{}-{kind}.csv\"",
                        upper(&code)
                    ))
                    .unwrap_or(HeaderValue::from_static("attachment")),
                ),
            ],
            csv,
        )
            .into_response(),
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

/// A participant's scores of one concept: `idea_id` and `c-{criterion id}` = 1–5.
pub async fn score(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    HtmlForm(form): HtmlForm<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(token) = token_of(&headers, &code) else {
        return to_join(&code);
    };
    let input = app::campaigns::ScoreInput {
        idea_id: form.get("idea_id").cloned().unwrap_or_default(),
        scores: form
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("c-")?.to_string(), v.trim().parse().ok()?)))
            .collect(),
    };
    let result = app::campaigns::score(&state.app, &code, &token, &input).await;
    let ok = format!(
        "/workshop/{}?klart=score#idea-{}",
        url_encode(&upper(&code)),
        url_encode(&input.idea_id)
    );
    after_post(&state, &ctx, &headers, &code, result, ok, String::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    question_id: String,
    answer: String,
}

pub async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    HtmlForm(f): HtmlForm<AnswerForm>,
) -> Response {
    // Participants write without an account, limited one by one (not per address).
    let Some(token) = token_of(&headers, &code) else {
        return to_join(&code);
    };
    if !state.participant_may_write(&code, &token) {
        return ctx.too_many();
    }
    let result = app::campaigns::answer(&state.app, &code, &token, &f.question_id, &f.answer).await;
    let ok = format!(
        "/workshop/{}?klart=answer#q-{}",
        url_encode(&upper(&code)),
        url_encode(&f.question_id)
    );
    after_post(&state, &ctx, &headers, &code, result, ok, String::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct FlagForm {
    idea_id: String,
}

pub async fn flag(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    HtmlForm(f): HtmlForm<FlagForm>,
) -> Response {
    // Participants write without an account, limited one by one (not per address).
    let Some(token) = token_of(&headers, &code) else {
        return to_join(&code);
    };
    if !state.participant_may_write(&code, &token) {
        return ctx.too_many();
    }
    match app::campaigns::flag(&state.app, &code, &token, &f.idea_id).await {
        Ok(_) => see_other(&format!(
            "/workshop/{}?klart=flag",
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
