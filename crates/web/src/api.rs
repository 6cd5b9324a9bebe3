//! The JSON API v1, described by the OpenAPI document generated from its types
//! ([`doc`], served at `/api/v1/openapi.json`). The public may submit; everything else
//! needs a bearer token (`sluss token create`). Errors are JSON with messages in the
//! language of `Accept-Language` (Swedish by default); refused fields give 422 with
//! `{ "errors": [ { "field", "code", "message" } ] }` ([`error`]).

pub mod doc;
pub mod error;
pub mod types;

use std::sync::OnceLock;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::AppState;
use crate::security::ClientIp;
use app::intake::Channel;
use app::{AppError, Caller};
use domain::id::SubmissionId;
pub use error::{ApiError, ApiResult};
use types::submissions::{
    Action, ActionDone, InboxFilter, NewSubmission, Receipt, SubmissionDetail, SubmissionPage,
};
use types::{Error, Health, ValidationErrors};

/// A JSON object body read as `T`; `bad_json` when it is not an object or does not fit.
pub(crate) fn decode<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => serde_json::from_value(v).map_err(|_| ApiError::BadJson),
        _ => Err(ApiError::BadJson),
    }
}

/// The caller behind the bearer token; the API has no cookies and so needs no CSRF token.
pub(crate) async fn bearer(state: &AppState, headers: &HeaderMap) -> Result<Caller, AppError> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or(AppError::Unauthenticated)?;
    app::auth::caller_for_api_token(&state.app, token).await
}

/// The caller behind the request's bearer token (401 without a valid one). Put it after
/// the path and query in a handler's arguments: they are checked first.
pub struct Bearer(pub Caller);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        Ok(Bearer(bearer(state, &parts.headers).await?))
    }
}

/// Liveness: the process answers. Touches neither the database nor a template, so it is
/// also the HTTP limit the benchmarks measure every other route against.
pub async fn livez() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/healthz", tag = "health", summary = "Health check",
    responses(
        (status = 200, description = "The database answers.", body = Health),
        (status = 503, description = "The database does not answer.", body = Health),
    ))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let version = env!("CARGO_PKG_VERSION");
    match state.app.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                version,
            }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                    version,
                }),
            )
        }
    }
}

/// The OpenAPI document, made once.
pub fn openapi_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        use utoipa::OpenApi;
        doc::ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    })
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "health", summary = "This description",
    responses((status = 200, description = "OpenAPI 3.1 document.")))]
pub async fn openapi() -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        openapi_json(),
    )
        .into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::App(AppError::NotFound)
}

#[utoipa::path(post, path = "/api/v1/submissions", tag = "submissions",
    summary = "Submit a need, idea or solution offer (public)",
    request_body = NewSubmission,
    responses(
        (status = 201, description = "Registered.", body = Receipt),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
        (status = 429, description = "Too many submissions from this client.", body = Error),
    ))]
pub async fn create_submission(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    if !state.limiter.allow(ip) {
        return Err(ApiError::RateLimited);
    }
    let (input, wrong_types) = decode::<NewSubmission>(&body)?.into_input();
    if !wrong_types.is_empty() {
        // Every refused field at once: the wrong types, then what the checks refuse.
        let mut all = wrong_types;
        if let Err(e) = app::intake::check(&input) {
            for fe in e.0 {
                if !all.has(fe.field) {
                    all.0.push(fe);
                }
            }
        }
        return Err(AppError::Validation(all).into());
    }
    // The receipt mail is written in the request's language.
    let lang = error::tr().lang.code();
    let r = app::intake::submit_in(&state.app, &Caller::Public, &input, Channel::Api, lang).await?;
    Ok((
        StatusCode::CREATED,
        Json(Receipt {
            id: r.id.into(),
            reference: r.reference,
            follow_up_url: r.follow_up_url,
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/submissions", tag = "submissions",
    summary = "List the inbox", security(("bearer" = [])),
    params(InboxFilter),
    responses(
        (status = 200, description = "One page.", body = SubmissionPage),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "No inbox role.", body = Error),
        (status = 422, description = "Bad filter.", body = ValidationErrors),
    ))]
pub async fn list_submissions(
    State(state): State<AppState>,
    Query(q): Query<InboxFilter>,
    Bearer(caller): Bearer,
) -> ApiResult<Json<SubmissionPage>> {
    let p = app::inbox::list(&state.app, &caller, &q.into()).await?;
    Ok(Json(SubmissionPage {
        items: p.rows.iter().map(Into::into).collect(),
        total: p.total,
        page: p.page,
        pages: p.pages,
        per_page: app::inbox::PER_PAGE,
    }))
}

#[utoipa::path(get, path = "/api/v1/submissions/{id}", tag = "submissions",
    summary = "One submission with messages and events", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The submission.", body = SubmissionDetail),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 404, description = "Not found, or not visible to the caller.", body = Error),
    ))]
pub async fn get_submission(
    State(state): State<AppState>,
    Path(id): Path<SubmissionId>,
    Bearer(caller): Bearer,
) -> ApiResult<Json<SubmissionDetail>> {
    let d = app::inbox::detail(&state.app, &caller, &id).await?;
    let s = &d.submission;
    Ok(Json(SubmissionDetail {
        submission: s.into(),
        description: s.description.clone(),
        affected: s.affected.clone(),
        current_solution: s.current_solution.clone(),
        // Only those who handle the submission see how to reach its submitter.
        contact: (!d.contact_hidden).then(|| types::submissions::Contact {
            name: s.contact_name.clone(),
            email: s.contact_email.clone(),
        }),
        messages: d.messages.iter().map(Into::into).collect(),
        events: d.events.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/submissions/{id}/actions", tag = "submissions",
    summary = "Carry out a triage action", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = Action,
    responses(
        (status = 200, description = "Done; the new status.", body = ActionDone),
        (status = 400, description = "Not a JSON object.", body = Error),
        (status = 401, description = "No or bad token.", body = Error),
        (status = 403, description = "May see but not act.", body = Error),
        (status = 404, description = "Not found.", body = Error),
        (status = 409, description = "Not allowed in the current status.", body = Error),
        (status = 422, description = "Refused fields.", body = ValidationErrors),
    ))]
pub async fn act(
    State(state): State<AppState>,
    Path(id): Path<SubmissionId>,
    Bearer(caller): Bearer,
    body: Bytes,
) -> ApiResult<Json<ActionDone>> {
    let (input, wrong_types) = decode::<Action>(&body)?.into_input();
    if !wrong_types.is_empty() {
        return Err(AppError::Validation(wrong_types).into());
    }
    let status = app::inbox::act(&state.app, &caller, &id, &input).await?;
    Ok(Json(ActionDone {
        id: id.into(),
        status: status.as_str().to_string(),
    }))
}
