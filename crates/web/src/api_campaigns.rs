//! The JSON API v1 for campaigns of pairwise voting. Facilitators use a bearer token;
//! participants use the token they got when joining, in the `X-Participant-Token` header.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::{bad_json, bearer, fail, json_body, parse_object};
use crate::ctx::api_lang_of;
use crate::i18n::Tr;
use crate::security::ClientIp;
use app::campaigns::{IdeaInput, NewCampaignInput, ScoreInput, VoteInput};
use app::{AppError, Caller};
use store::campaigns::{CampaignRow, IdeaRow};

pub const PARTICIPANT_HEADER: &str = "x-participant-token";

/// A participant's request with a JSON body: their token and the parsed input, or the
/// answer that refuses it (401 without a token, 400 for a body that is not the JSON asked for).
fn participant_input<T: serde::de::DeserializeOwned>(
    tr: &Tr,
    headers: &HeaderMap,
    b: &Bytes,
) -> Result<(String, T), Box<Response>> {
    let Some(token) = participant_token(headers) else {
        return Err(Box::new(fail(tr, AppError::Unauthenticated)));
    };
    let Some(input) = json_body::<T>(b) else {
        return Err(Box::new(bad_json(tr)));
    };
    Ok((token, input))
}

fn too_many(tr: &Tr) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({ "error": "rate_limited", "message": tr.t("error.rate_limited.body") })),
    )
        .into_response()
}

fn participant_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(PARTICIPANT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The caller behind an optional bearer token: the public without one.
async fn optional_bearer(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        bearer(state, headers).await
    } else {
        Ok(Caller::Public)
    }
}

fn campaign_json(c: &CampaignRow) -> Value {
    json!({
        "code": c.code,
        "mode": c.mode,
        "title": c.title,
        "question": c.question,
        "phase": c.phase,
        "vote_quota": c.vote_quota,
        "require_approval": c.require_approval,
        "top_n": c.top_n,
        "created_at": c.created_at,
    })
}

fn idea_json(i: &IdeaRow) -> Value {
    json!({ "id": i.id, "text": i.body, "status": i.status, "created_at": i.created_at })
}

pub async fn create(State(state): State<AppState>, headers: HeaderMap, b: Bytes) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    let Some(input) = json_body::<NewCampaignInput>(&b) else {
        return bad_json(&tr);
    };
    match app::campaigns::create(&state.app, &caller, &input).await {
        Ok(c) => (StatusCode::CREATED, Json(campaign_json(&c))).into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn phase(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    b: Bytes,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    let Some(v) = parse_object(&b) else {
        return bad_json(&tr);
    };
    let phase = v.get("phase").and_then(Value::as_str).unwrap_or("");
    match app::campaigns::set_phase(&state.app, &caller, &code, phase).await {
        Ok(p) => Json(json!({ "code": code, "phase": p.as_str() })).into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn join(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    if !state.join_limiter.allow(ip) {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({ "error": "rate_limited", "message": tr.t("error.rate_limited.body") })),
        )
            .into_response();
    }
    let caller = match optional_bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    match app::campaigns::join(&state.app, &caller, &code).await {
        Ok(j) => (
            StatusCode::CREATED,
            Json(json!({ "token": j.token, "pseudonym": format!("{} {}", tr.t("campaign.participant"), j.participant.number) })),
        )
            .into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn add_idea(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    b: Bytes,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let token = participant_token(&headers);
    if let Some(t) = &token
        && !state.participant_may_write(&code, t)
    {
        return too_many(&tr);
    }
    let caller = if token.is_some() {
        Caller::Public
    } else {
        match bearer(&state, &headers).await {
            Ok(c) => c,
            Err(e) => return fail(&tr, e),
        }
    };
    let Some(input) = json_body::<IdeaInput>(&b) else {
        return bad_json(&tr);
    };
    match app::campaigns::add_idea(&state.app, &caller, &code, token.as_deref(), &input).await {
        Ok(i) => (StatusCode::CREATED, Json(idea_json(&i))).into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn idea_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((code, idea)): Path<(String, String)>,
    b: Bytes,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    let Some(v) = parse_object(&b) else {
        return bad_json(&tr);
    };
    let status = v.get("status").and_then(Value::as_str).unwrap_or("");
    match app::campaigns::set_idea_status(&state.app, &caller, &code, &idea, status).await {
        Ok(()) => Json(json!({ "id": idea, "status": status })).into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn pair(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let Some(token) = participant_token(&headers) else {
        return fail(&tr, AppError::Unauthenticated);
    };
    match app::campaigns::next_pair(&state.app, &code, &token).await {
        Ok(Some(p)) => Json(pair_json(&p)).into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no_pair", "message": tr.t("campaign.no_pair") })),
        )
            .into_response(),
        Err(e) => fail(&tr, e),
    }
}

fn pair_json(p: &app::campaigns::Pair) -> Value {
    json!({
        "offer_id": p.offer.id,
        "left": idea_json(&p.left),
        "right": idea_json(&p.right),
        "remaining": p.remaining,
        "quota": p.quota,
    })
}

pub async fn vote(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    b: Bytes,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let (token, input) = match participant_input::<VoteInput>(&tr, &headers, &b) {
        Ok(x) => x,
        Err(refused) => return *refused,
    };
    match app::campaigns::vote(&state.app, &code, &token, &input).await {
        Ok(voted) => (
            StatusCode::CREATED,
            Json(json!({
                "remaining": voted.remaining,
                "next": voted.next.as_ref().map(pair_json),
            })),
        )
            .into_response(),
        Err(e) => fail(&tr, e),
    }
}

/// The campaign, and its results (scores and the criteria's means) for those who may see
/// them now: everyone from the results phase on, the campaign's facilitators (bearer token)
/// always, as on the participants' page.
pub async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match optional_bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    let (campaign, visible) =
        match app::campaigns::results_visible(&state.app, &caller, &code).await {
            Ok(x) => x,
            Err(e) => return fail(&tr, e),
        };
    let criteria = match app::campaigns::criteria_of(&state.app, &code).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    if !visible {
        let mut c = campaign_json(&campaign);
        c["criteria"] = criteria_json(&criteria);
        c["results_visible"] = json!(false);
        return Json(c).into_response();
    }
    match app::campaigns::results(&state.app, &code).await {
        Ok(r) => {
            let mut c = campaign_json(&r.campaign);
            c["results_visible"] = json!(true);
            c["criteria"] = criteria_json(&criteria);
            c["criteria_results"] = criteria
                .rows
                .iter()
                .map(|x| {
                    json!({
                        "id": x.idea.id,
                        "weighted_mean": (x.weighted_mean * 100.0).round() / 100.0,
                        "spread": (x.spread * 100.0).round() / 100.0,
                        "raters": x.raters,
                        "per_criterion": x.per_criterion,
                    })
                })
                .collect();
            c["votes"] = json!(r.votes);
            c["skips"] = json!(r.skips);
            c["participants"] = json!(r.participants);
            c["ideas"] = r
                .ranked
                .iter()
                .map(|x| {
                    json!({
                        "id": x.idea.id,
                        "text": x.idea.body,
                        "score": (x.score * 100.0).round() / 100.0,
                        "low": (x.low * 100.0).round() / 100.0,
                        "high": (x.high * 100.0).round() / 100.0,
                        "wins": x.wins,
                        "losses": x.losses,
                    })
                })
                .collect();
            Json(c).into_response()
        }
        Err(e) => fail(&tr, e),
    }
}

fn criteria_json(criteria: &app::campaigns::CriteriaResults) -> Value {
    criteria
        .criteria
        .iter()
        .map(|k| json!({ "id": k.id, "name": k.name, "weight": k.weight }))
        .collect()
}

pub async fn take_forward(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    b: Bytes,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    let Some(v) = parse_object(&b) else {
        return bad_json(&tr);
    };
    let n = match v.get("n") {
        None | Some(Value::Null) => None,
        Some(x) => Some(x.as_i64().unwrap_or(0)),
    };
    let to_case = v.get("as").and_then(Value::as_str) == Some("case");
    match app::campaigns::take_forward(&state.app, &caller, &code, n, to_case).await {
        Ok(out) => Json(json!({
            "items": out.iter().map(|o| json!({ "idea_id": o.idea_id, "submission_id": o.submission_id, "case_id": o.case_id, "reference": o.reference })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn score(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    b: Bytes,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let (token, input) = match participant_input::<ScoreInput>(&tr, &headers, &b) {
        Ok(x) => x,
        Err(refused) => return *refused,
    };
    match app::campaigns::score(&state.app, &code, &token, &input).await {
        Ok(()) => (
            StatusCode::CREATED,
            Json(json!({ "idea_id": input.idea_id })),
        )
            .into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn flag(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((code, idea)): Path<(String, String)>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let Some(token) = participant_token(&headers) else {
        return fail(&tr, AppError::Unauthenticated);
    };
    if !state.participant_may_write(&code, &token) {
        return too_many(&tr);
    }
    match app::campaigns::flag(&state.app, &code, &token, &idea).await {
        Ok(n) => Json(json!({ "id": idea, "flags": n })).into_response(),
        Err(e) => fail(&tr, e),
    }
}
