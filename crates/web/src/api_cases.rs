//! The JSON API v1 for cases: list and open, one case with its checklist and decisions,
//! ticks, gate decisions, the path, results, the working group, the event log, and the
//! public register. Same conventions as the rest of v1 (see `api`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use crate::AppState;
use crate::api::types::cases::{
    Case, CaseCreated, CaseFilter, CaseList, Decision, Details, DiariumFilter, DiariumPage,
    EventList, MemberChange, NewCase, NewResult, PathChoice, Tick,
};
use crate::api::types::{Error, ValidationErrors};
use crate::api::{ApiResult, Bearer, decode};
use app::Caller;
use domain::id::CaseId;

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases",
    summary = "List the cases the caller may see", security(("bearer" = [])),
    params(CaseFilter),
    responses(
        (status = 200, description = "The cases.", body = CaseList),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "No role that reads cases.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<CaseFilter>,
    Bearer(caller): Bearer,
) -> ApiResult<Json<CaseList>> {
    let b = app::cases::board(&state.app, &caller, &q.into(), false).await?;
    let items = b
        .lanes
        .iter()
        .flat_map(|l| l.columns.iter().flat_map(|c| &c.cases).chain(&l.finished))
        .map(Into::into)
        .collect();
    Ok(Json(CaseList {
        items,
        total: b.total,
    }))
}

#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    summary = "Open a case", security(("bearer" = [])),
    request_body = NewCase,
    responses(
        (status = 201, description = "Opened, with its diarienummer.", body = CaseCreated),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "No role that opens cases.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn open(
    State(state): State<AppState>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CaseCreated>)> {
    let input: NewCase = decode(&body)?;
    let (id, reference) = app::cases::open(&state.app, &caller, &input.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(CaseCreated {
            id: id.into(),
            reference,
        }),
    ))
}

/// The case as it now stands, for the caller.
async fn case_now(state: &AppState, caller: &Caller, id: &CaseId) -> ApiResult<Json<Case>> {
    let v = app::cases::view(&state.app, caller, id).await?;
    Ok(Json(Case::from(&v)))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    summary = "One case with its process state", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The case.", body = Case),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 404, description = "No such case, or not one the caller may see.", body = Error),
    ))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<CaseId>,
    Bearer(caller): Bearer,
) -> ApiResult<Json<Case>> {
    case_now(&state, &caller, &id).await
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/events", tag = "cases",
    summary = "The case's event log, oldest first", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "Every event; process events carry the version they made (v) and the event.", body = EventList),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 404, description = "No such case, or not one the caller may see.", body = Error),
    ))]
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<CaseId>,
    Bearer(caller): Bearer,
) -> ApiResult<Json<EventList>> {
    let events = app::cases::events_of(&state.app, &caller, &id).await?;
    Ok(Json(EventList {
        items: events.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/checklist", tag = "cases",
    summary = "Tick or untick a checklist item of the current phase", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = Tick,
    responses(
        (status = 200, description = "Done; the case as it now stands.", body = Case),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "May see the case but not work on it.", body = Error),
        (status = 404, description = "No such case, or not one the caller may see.", body = Error),
        (status = 409, description = "Not possible in the case's current state (code says why).", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn tick(
    State(state): State<AppState>,
    Path(id): Path<CaseId>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<Case>> {
    let input: Tick = decode(&body)?;
    app::cases::tick(&state.app, &caller, &id, &input.into()).await?;
    case_now(&state, &caller, &id).await
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/decisions", tag = "cases",
    summary = "Decide the current phase's gate", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = Decision,
    responses(
        (status = 200, description = "Done; the case as it now stands.", body = Case),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "Without the gate's mandate (error `no_mandate`, naming the role), or may not see the case.", body = Error),
        (status = 404, description = "No such case, or not one the caller may see.", body = Error),
        (status = 409, description = "Not possible in the case's current state (code says why).", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<CaseId>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<Case>> {
    let input: Decision = decode(&body)?;
    app::cases::decide(&state.app, &caller, &id, &input.into()).await?;
    case_now(&state, &caller, &id).await
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/path", tag = "cases",
    summary = "Record the path (vägval)", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = PathChoice,
    responses(
        (status = 200, description = "Done; the case as it now stands.", body = Case),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "Without the gate's mandate (error `no_mandate`, naming the role), or may not see the case.", body = Error),
        (status = 404, description = "No such case, or not one the caller may see.", body = Error),
        (status = 409, description = "Not possible in the case's current state (code says why).", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn path(
    State(state): State<AppState>,
    Path(id): Path<CaseId>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<Case>> {
    let input: PathChoice = decode(&body)?;
    app::cases::choose_path(&state.app, &caller, &id, &input.into()).await?;
    case_now(&state, &caller, &id).await
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/result", tag = "cases",
    summary = "Record an adopting unit, a benefit measure or the handover", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = NewResult,
    responses(
        (status = 200, description = "Done; the case as it now stands.", body = Case),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "May see the case but not work on it.", body = Error),
        (status = 404, description = "No such case, or not one the caller may see.", body = Error),
        (status = 409, description = "Not possible in the case's current state (code says why).", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn result(
    State(state): State<AppState>,
    Path(id): Path<CaseId>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<Case>> {
    let input: NewResult = decode(&body)?;
    app::cases::record_result(&state.app, &caller, &id, &input.into()).await?;
    case_now(&state, &caller, &id).await
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/members", tag = "cases",
    summary = "Add to or remove from the working group", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = MemberChange,
    responses(
        (status = 200, description = "Done; the case as it now stands.", body = Case),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "May see the case but not work on it.", body = Error),
        (status = 404, description = "No such case, or not one the caller may see.", body = Error),
        (status = 409, description = "Not possible in the case's current state (code says why).", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn member(
    State(state): State<AppState>,
    Path(id): Path<CaseId>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<Case>> {
    let input: MemberChange = decode(&body)?;
    app::cases::member(&state.app, &caller, &id, &input.into()).await?;
    case_now(&state, &caller, &id).await
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/details", tag = "cases",
    summary = "Replace the case's details: title, public title, description, unit, handler, confidentiality", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = Details,
    responses(
        (status = 200, description = "Done; the case as it now stands.", body = Case),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "May see the case but not work on it.", body = Error),
        (status = 404, description = "No such case, or not one the caller may see.", body = Error),
        (status = 409, description = "Not possible in the case's current state (code says why).", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn details(
    State(state): State<AppState>,
    Path(id): Path<CaseId>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<Case>> {
    let input: Details = decode(&body)?;
    app::cases::edit(&state.app, &caller, &id, &input.into()).await?;
    case_now(&state, &caller, &id).await
}

#[utoipa::path(get, path = "/api/v1/diarium", tag = "cases",
    summary = "The public register (no personal data)",
    params(DiariumFilter),
    responses(
        (status = 200, description = "One page of entries, newest first.", body = DiariumPage),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn diarium(
    State(state): State<AppState>,
    Query(q): Query<DiariumFilter>,
) -> ApiResult<Json<DiariumPage>> {
    let p = app::cases::diarium(&state.app, &q.into()).await?;
    Ok(Json(DiariumPage {
        items: p.entries.iter().map(Into::into).collect(),
        total: p.total,
        page: p.page,
        pages: p.pages,
    }))
}
