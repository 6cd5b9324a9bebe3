//! The JSON API v1 for campaigns of pairwise voting. Facilitators use a bearer token;
//! participants use the token they got when joining, in the `X-Participant-Token` header.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

use crate::AppState;
use crate::api::error::tr;
use crate::api::types::campaigns::{
    Campaign, Flagged, Idea, IdeaStatus, IdeaStatusChange, Joined, NewCampaign, NewIdea, NextSteps,
    Outcomes, Pair, PhaseChange, PhaseNow, Results, Score, Scored, Vote, Voted,
};
use crate::api::types::{Error, ValidationErrors};
use crate::api::{ApiError, ApiResult, Bearer, bearer, decode};
use crate::security::ClientIp;
use app::{AppError, Caller};

pub const PARTICIPANT_HEADER: &str = "x-participant-token";

fn participant_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(PARTICIPANT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The participant's token; 401 without one.
fn participant(headers: &HeaderMap) -> ApiResult<String> {
    participant_token(headers).ok_or(ApiError::App(AppError::Unauthenticated))
}

/// The caller behind an optional bearer token: the public without one.
async fn optional_bearer(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        bearer(state, headers).await
    } else {
        Ok(Caller::Public)
    }
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns",
    summary = "Create a campaign (workshop or open)", security(("bearer" = [])),
    request_body = NewCampaign,
    responses(
        (status = 201, description = "Created, with its join code.", body = Campaign),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "No role that runs campaigns.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Campaign>)> {
    let input: NewCampaign = decode(&body)?;
    let c = app::campaigns::create(&state.app, &caller, &input.into()).await?;
    Ok((StatusCode::CREATED, Json(Campaign::from(&c))))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{code}/phase", tag = "campaigns",
    summary = "Open a phase (the facilitator)", security(("bearer" = [])),
    params(("code" = String, Path, description = "The campaign's join code.")),
    request_body = PhaseChange,
    responses(
        (status = 200, description = "The phase now open.", body = PhaseNow),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "Not a facilitator here.", body = Error),
        (status = 404, description = "No such campaign.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn phase(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<PhaseNow>> {
    let input: PhaseChange = decode(&body)?;
    let phase = input.phase.text_or_empty();
    let p = app::campaigns::set_phase(&state.app, &caller, &code, &phase).await?;
    Ok(Json(PhaseNow {
        code,
        phase: p.as_str().to_string(),
    }))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{code}/participants", tag = "campaigns",
    summary = "Join with the code; an account is optional",
    params(("code" = String, Path, description = "The campaign's join code.")),
    responses(
        (status = 201, description = "The participant's token (shown once) and pseudonym.", body = Joined),
        (status = 401, description = "A bad bearer token.", body = Error),
        (status = 404, description = "No such campaign.", body = Error),
        (status = 409, description = "The campaign is closed.", body = Error),
        (status = 429, description = "Too many joins from this address.", body = Error),
    ))]
pub async fn join(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
) -> ApiResult<(StatusCode, Json<Joined>)> {
    if !state.join_limiter.allow(ip) {
        return Err(ApiError::RateLimited);
    }
    let caller = optional_bearer(&state, &headers).await?;
    let j = app::campaigns::join(&state.app, &caller, &code).await?;
    let pseudonym = format!(
        "{} {}",
        tr().t("campaign.participant"),
        j.participant.number
    );
    Ok((
        StatusCode::CREATED,
        Json(Joined {
            token: j.token,
            pseudonym,
        }),
    ))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{code}/ideas", tag = "campaigns",
    summary = "Add an idea or concept (a participant, or the facilitator with a bearer token)",
    params(
        ("code" = String, Path, description = "The campaign's join code."),
        ("X-Participant-Token" = Option<String>, Header, description = "The token from joining."),
    ),
    request_body = NewIdea,
    responses(
        (status = 201, description = "Added (pending when the campaign requires approval).", body = Idea),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "Not a facilitator here.", body = Error),
        (status = 404, description = "No such campaign.", body = Error),
        (status = 409, description = "Ideas are not taken in this phase.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
        (status = 429, description = "Too many writes from this participant.", body = Error),
    ))]
pub async fn add_idea(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Idea>)> {
    let token = participant_token(&headers);
    if let Some(t) = &token
        && !state.participant_may_write(&code, t)
    {
        return Err(ApiError::RateLimited);
    }
    let caller = if token.is_some() {
        Caller::Public
    } else {
        bearer(&state, &headers).await?
    };
    let input: NewIdea = decode(&body)?;
    let i = app::campaigns::add_idea(&state.app, &caller, &code, token.as_deref(), &input.into())
        .await?;
    Ok((StatusCode::CREATED, Json(Idea::from(&i))))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{code}/ideas/{idea}/status", tag = "campaigns",
    summary = "Approve, withdraw or restore an idea (the facilitator)", security(("bearer" = [])),
    params(
        ("code" = String, Path, description = "The campaign's join code."),
        ("idea" = String, Path),
    ),
    request_body = IdeaStatusChange,
    responses(
        (status = 200, description = "Done.", body = IdeaStatus),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "Not a facilitator here.", body = Error),
        (status = 404, description = "No such campaign or idea.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn idea_status(
    State(state): State<AppState>,
    Path((code, idea)): Path<(String, String)>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<IdeaStatus>> {
    let input: IdeaStatusChange = decode(&body)?;
    let status = input.status.text_or_empty();
    app::campaigns::set_idea_status(&state.app, &caller, &code, &idea, &status).await?;
    Ok(Json(IdeaStatus { id: idea, status }))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{code}/pair", tag = "campaigns",
    summary = "The next pair for this participant (never one shown before)",
    params(
        ("code" = String, Path, description = "The campaign's join code."),
        ("X-Participant-Token" = String, Header, description = "The token from joining."),
    ),
    responses(
        (status = 200, description = "Two ideas, left and right in random order.", body = Pair),
        (status = 401, description = "No or bad participant token.", body = Error),
        (status = 404, description = "No such campaign, or no unseen pair left (error no_pair).", body = Error),
        (status = 409, description = "Voting is not open, or the quota is used.", body = Error),
    ))]
pub async fn pair(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> ApiResult<Json<Pair>> {
    let token = participant(&headers)?;
    match app::campaigns::next_pair(&state.app, &code, &token).await? {
        Some(p) => Ok(Json(Pair::from(&p))),
        None => Err(ApiError::NoPair),
    }
}

#[utoipa::path(post, path = "/api/v1/campaigns/{code}/votes", tag = "campaigns",
    summary = "Vote on the offered pair",
    params(
        ("code" = String, Path, description = "The campaign's join code."),
        ("X-Participant-Token" = String, Header, description = "The token from joining."),
    ),
    request_body = Vote,
    responses(
        (status = 201, description = "Counted; the votes left and the pair to vote on next, offered in the same transaction (null when the quota is used or every pair has been shown).", body = Voted),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad participant token.", body = Error),
        (status = 404, description = "No such campaign.", body = Error),
        (status = 409, description = "Past the quota, already voted on this pair, a withdrawn idea, or voting is not open.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn vote(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Voted>)> {
    let token = participant(&headers)?;
    let input: Vote = decode(&body)?;
    let voted = app::campaigns::vote(&state.app, &code, &token, &input.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(Voted {
            remaining: voted.remaining,
            next: voted.next.as_ref().map(Pair::from),
        }),
    ))
}

/// The campaign, and its results (scores and the criteria's means) for those who may see
/// them now: everyone from the results phase on, the campaign's facilitators (bearer token)
/// always, as on the participants' page.
#[utoipa::path(get, path = "/api/v1/campaigns/{code}", tag = "campaigns",
    summary = "The campaign and, for those who may see them, its current results, best first",
    description = "Results (ideas with scores, criteria means, counts) are given to everyone from the results phase on, and in every phase to the campaign's facilitators (with their bearer token); otherwise results_visible is false and they are left out. Lookups of codes that find no campaign are limited per client address: past the limit every code lookup answers 429 until the window ends.",
    security((), ("bearer" = [])),
    params(("code" = String, Path, description = "The campaign's join code.")),
    responses(
        (status = 200, description = "Results fitted from every vote so far.", body = Results),
        (status = 401, description = "A bad bearer token.", body = Error),
        (status = 404, description = "No such campaign.", body = Error),
        (status = 429, description = "Too many unknown codes from this client address.", body = Error),
    ))]
pub async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> ApiResult<Json<Results>> {
    let caller = optional_bearer(&state, &headers).await?;
    let (campaign, visible) = app::campaigns::results_visible(&state.app, &caller, &code).await?;
    let criteria = app::campaigns::criteria_of(&state.app, &code).await?;
    if !visible {
        return Ok(Json(Results::hidden(&campaign, &criteria)));
    }
    let r = app::campaigns::results(&state.app, &code).await?;
    Ok(Json(Results::shown(&r, &criteria)))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{code}/next-steps", tag = "campaigns",
    summary = "Take the best concepts forward as submissions in the inbox or as cases (the facilitator)",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "The campaign's join code.")),
    request_body = NextSteps,
    responses(
        (status = 200, description = "Every concept taken forward so far and its submission.", body = Outcomes),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "Not a facilitator here.", body = Error),
        (status = 404, description = "No such campaign.", body = Error),
        (status = 409, description = "Not possible in the campaign's phase.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn take_forward(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<Outcomes>> {
    let (n, to_case) = decode::<NextSteps>(&body)?.read();
    let out = app::campaigns::take_forward(&state.app, &caller, &code, n, to_case).await?;
    Ok(Json(Outcomes {
        items: out.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{code}/scores", tag = "campaigns",
    summary = "Score a concept 1–5 on the campaign's criteria (a participant, in the criteria phase)",
    params(
        ("code" = String, Path, description = "The campaign's join code."),
        ("X-Participant-Token" = String, Header, description = "The token from joining."),
    ),
    request_body = Score,
    responses(
        (status = 201, description = "Saved; a second score replaces the first.", body = Scored),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad participant token.", body = Error),
        (status = 404, description = "No such campaign.", body = Error),
        (status = 409, description = "The criteria phase is not open.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn score(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Scored>)> {
    let token = participant(&headers)?;
    let input: Score = decode(&body)?;
    let idea_id = input.idea_id.clone();
    app::campaigns::score(&state.app, &code, &token, &input.into()).await?;
    Ok((StatusCode::CREATED, Json(Scored { idea_id })))
}

#[utoipa::path(post, path = "/api/v1/campaigns/{code}/ideas/{idea}/flag", tag = "campaigns",
    summary = "Flag an idea as unsuitable (once per participant)",
    params(
        ("code" = String, Path, description = "The campaign's join code."),
        ("idea" = String, Path),
        ("X-Participant-Token" = String, Header, description = "The token from joining."),
    ),
    responses(
        (status = 200, description = "The idea's flag count.", body = Flagged),
        (status = 401, description = "No or bad participant token.", body = Error),
        (status = 404, description = "No such campaign.", body = Error),
        (status = 422, description = "No such active idea.", body = ValidationErrors),
        (status = 429, description = "Too many writes from this participant.", body = Error),
    ))]
pub async fn flag(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((code, idea)): Path<(String, String)>,
) -> ApiResult<Json<Flagged>> {
    let token = participant(&headers)?;
    if !state.participant_may_write(&code, &token) {
        return Err(ApiError::RateLimited);
    }
    let n = app::campaigns::flag(&state.app, &code, &token, &idea).await?;
    Ok(Json(Flagged { id: idea, flags: n }))
}
