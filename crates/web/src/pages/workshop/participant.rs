//! The participant's page and what it posts: concepts, votes on pairs (buttons that work
//! without JavaScript), criteria scores, research answers and flags.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{DoneQuery, token_of, upper};
use crate::AppState;
use crate::ctx::Ctx;
use crate::pages::error::{Failing, PageResult};
use crate::pages::form::{KeyedFields, KeyedForm, TypedForm};
use crate::pages::{FormErrors, render_status, see_other, url_encode};
use app::AppError;
use app::campaigns::{IdeaInput, Overview, Pair, Results, VoteInput};
use domain::campaign::{IdeaStatus, Mode, Phase};

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
    /// The challenge's public files.
    attachments: Vec<store::attachments::AttachmentRow>,
}

impl ParticipantPage<'_> {
    /// A file's size for people.
    fn size(&self, n: &i64) -> String {
        crate::pages::attachments::size_text(self.ctx, *n)
    }

    fn is_research(&self) -> bool {
        self.o.campaign.phase == Phase::Research
    }

    fn is_criteria(&self) -> bool {
        self.o.campaign.phase == Phase::Criteria
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
        self.o.campaign.phase.takes_ideas()
    }

    fn takes_votes(&self) -> bool {
        self.o.campaign.phase.takes_votes()
    }

    fn score(&self, s: &f64) -> String {
        format!("{:.0}", s)
    }
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
) -> PageResult {
    let Post { errors, text, done } = post;
    let token = token_of(headers, code);
    let o = app::campaigns::overview(&state.app, code, token.as_deref())
        .await
        .or_page(ctx)?;
    if o.participant.is_none() {
        // Not joined yet: the join page with the code filled in.
        return Ok(to_join(code));
    }
    let token = token.unwrap_or_default();
    let phase = o.campaign.phase;
    let (pair, no_pair) = if phase.takes_votes() {
        match app::campaigns::next_pair(&state.app, code, &token).await {
            Ok(Some(p)) => (Some(p), ""),
            Ok(None) => (None, "workshop.vote.none_left"),
            Err(AppError::Conflict(app::Conflict::QuotaUsed)) => (None, "workshop.vote.quota_used"),
            Err(e) => return Err(e).or_page(ctx),
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
        app::campaigns::research(&state.app, code, Some(&token))
            .await
            .or_page(ctx)?
    } else {
        Vec::new()
    };
    let criteria = if phase == Phase::Criteria {
        app::campaigns::criteria_of(&state.app, code)
            .await
            .or_page(ctx)?
            .criteria
    } else {
        Vec::new()
    };
    // An open question speaks of proposals, a workshop of concepts.
    let done = match (done.as_str(), o.campaign.mode) {
        ("concept", Mode::Open) => "proposal".to_string(),
        ("concept_pending", Mode::Open) => "proposal_pending".to_string(),
        _ => done,
    };
    let done = if ctx.t.has(&format!("workshop.done.{done}")) {
        done
    } else {
        String::new()
    };
    // Only what the facilitator made public is shown here, to whoever looks.
    let attachments = app::campaigns::attachments_of(&state.app, &app::Caller::Public, code)
        .await
        .or_page(ctx)?;
    let page = ParticipantPage {
        attachments,
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
    };
    Ok(render_status(status, &page))
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
) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&ok)),
        Err(AppError::Validation(e)) => {
            let post = Post {
                errors: FormErrors::in_form(&ctx.t, &[("text", "workshop.concept.label")], &e),
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
        Err(e) => Err(e).or_page(ctx),
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
) -> PageResult {
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
    form: TypedForm<IdeaInput>,
) -> PageResult {
    let token = match writer(&state, &ctx, &headers, &code) {
        Ok(token) => token,
        Err(answer) => return Ok(*answer),
    };
    let text = form.values.get("text").cloned().unwrap_or_default();
    let result = match form.input {
        Ok(input) => {
            app::campaigns::add_idea(&state.app, &ctx.caller, &code, Some(&token), &input).await
        }
        Err(e) => Err(AppError::Validation(e)),
    };
    // An idea that waits for the facilitator's approval is said to wait, not to be added.
    let done = match &result {
        Ok(idea) if idea.status == IdeaStatus::Pending => "concept_pending",
        _ => "concept",
    };
    let result = result.map(|_| ());
    let ok = format!("/workshop/{}?klart={done}", url_encode(&upper(&code)));
    after_post(&state, &ctx, &headers, &code, result, ok, text).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct VoteForm {
    offer_id: String,
    /// `left`, `right` or `skip`: the app reads it, after checking the participant.
    choice: String,
    reason: String,
    /// Filled in by the page's script; empty without it.
    response_ms: Option<i64>,
}

pub async fn vote(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    form: TypedForm<VoteForm>,
) -> PageResult {
    let Some(token) = token_of(&headers, &code) else {
        return Ok(to_join(&code));
    };
    let f = form.or_page(&ctx)?;
    let input = VoteInput {
        offer_id: f.offer_id,
        choice: f.choice,
        reason: f.reason,
        response_ms: f.response_ms,
    };
    let to = format!("/workshop/{}", url_encode(&upper(&code)));
    match app::campaigns::vote(&state.app, &code, &token, &input).await {
        Ok(_) => Ok(see_other(&format!("{to}?klart=vote#pair"))),
        // A pair already answered (a double click, a back button): the next pair is shown.
        Err(AppError::Conflict(app::Conflict::AlreadyVoted | app::Conflict::IdeaWithdrawn)) => {
            Ok(see_other(&to))
        }
        Err(e) => Err(e).or_page(&ctx),
    }
}

/// A participant's scores of one concept: `idea_id`, and `c-{criterion id}` = 1–5 for each
/// criterion scored (keyed by the criteria's ids).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ScoreForm {
    idea_id: String,
}

impl KeyedFields for ScoreForm {
    const PREFIX: &'static str = "c-";
}

pub async fn score(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    form: KeyedForm<ScoreForm>,
) -> PageResult {
    let Some(token) = token_of(&headers, &code) else {
        return Ok(to_join(&code));
    };
    let f = form.form.or_page(&ctx)?;
    // A score that is not a number is refused, never dropped: the scores are kept whole.
    let mut scores = std::collections::BTreeMap::new();
    let mut unreadable = false;
    for (criterion, v) in form.keyed {
        match v.trim().parse() {
            Ok(n) => {
                scores.insert(criterion, n);
            }
            Err(_) => unreadable = true,
        }
    }
    let input = app::campaigns::ScoreInput {
        idea_id: f.idea_id,
        scores,
    };
    let result = if unreadable {
        Err(AppError::field("scores", domain::ErrorCode::InvalidNumber))
    } else {
        app::campaigns::score(&state.app, &code, &token, &input).await
    };
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
    form: TypedForm<AnswerForm>,
) -> PageResult {
    let token = match writer(&state, &ctx, &headers, &code) {
        Ok(token) => token,
        Err(answer) => return Ok(*answer),
    };
    let f = form.or_page(&ctx)?;
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
    /// The flag buttons sit in the vote's form (`formaction`), so its fields come along;
    /// they are not read.
    #[allow(dead_code)]
    offer_id: String,
    #[allow(dead_code)]
    reason: String,
    #[allow(dead_code)]
    response_ms: String,
}

pub async fn flag(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(code): Path<String>,
    form: TypedForm<FlagForm>,
) -> PageResult {
    let token = match writer(&state, &ctx, &headers, &code) {
        Ok(token) => token,
        Err(answer) => return Ok(*answer),
    };
    let f = form.or_page(&ctx)?;
    app::campaigns::flag(&state.app, &code, &token, &f.idea_id)
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/workshop/{}?klart=flag",
        url_encode(&upper(&code))
    )))
}

/// The participant's token for a write, or the answer instead: the join page for one who
/// has not joined, 429 for one writing too fast. Participants write without an account,
/// limited one by one (not per address).
fn writer(
    state: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
    code: &str,
) -> Result<String, Box<Response>> {
    let Some(token) = token_of(headers, code) else {
        return Err(Box::new(to_join(code)));
    };
    if !state.participant_may_write(code, &token) {
        return Err(Box::new(ctx.too_many()));
    }
    Ok(token)
}
