//! The JSON API v1, described by `openapi.json`. The public may submit; everything else
//! needs a bearer token (`sluss token create`). Errors are JSON with messages in the
//! language of `Accept-Language` (Swedish by default); refused fields give 422 with
//! `{ "errors": [ { "field", "code", "message" } ] }`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;
use crate::ctx::api_lang_of;
use crate::i18n::Tr;
use crate::security::ClientIp;
use app::inbox::InboxQuery;
use app::intake::Channel;
use app::{AppError, Caller};
use domain::submission::SubmissionInput;
use domain::triage::ActionInput;
use domain::{ErrorCode, FieldError, FieldErrors};
use store::submissions::SubmissionRow;

const OPENAPI: &str = include_str!("../openapi.json");

fn error_json(tr: &Tr, status: StatusCode, code: &str, message_key: &str) -> Response {
    (
        status,
        Json(json!({ "error": code, "message": tr.t(message_key) })),
    )
        .into_response()
}

/// The JSON face of an app error.
pub fn fail(tr: &Tr, e: AppError) -> Response {
    match e {
        AppError::Validation(errors) => {
            let list: Vec<Value> = errors.0.iter().map(|fe| json!({ "field": fe.field, "code": code_name(fe), "message": tr.field_error(fe) })).collect();
            (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "errors": list }))).into_response()
        }
        AppError::Template(problems) => {
            let list: Vec<Value> = problems
                .iter()
                .map(|p| json!({ "field": p.field, "line": p.line, "column": p.column, "code": "invalid_template", "message": p.message() }))
                .collect();
            (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "errors": list }))).into_response()
        }
        AppError::NotFound => error_json(tr, StatusCode::NOT_FOUND, "not_found", "error.not_found.body"),
        AppError::Forbidden => error_json(tr, StatusCode::FORBIDDEN, "forbidden", "error.forbidden.body"),
        AppError::NoMandate(role) => (
            StatusCode::FORBIDDEN,
            Json(json!({
                "error": "no_mandate",
                "role": role.as_str(),
                "message": tr.t("error.no_mandate.body").replace("{role}", tr.k("role.", role.as_str())),
            })),
        )
            .into_response(),
        AppError::Unauthenticated => {
            let mut res = error_json(tr, StatusCode::UNAUTHORIZED, "unauthenticated", "error.unauthenticated");
            res.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            res
        }
        AppError::Conflict(conflict) => {
            let code = conflict.key();
            (StatusCode::CONFLICT, Json(json!({ "error": "conflict", "code": code, "message": tr.t(&format!("conflict.{code}")) }))).into_response()
        }
        AppError::Internal(e) => {
            tracing::error!(error = ?e, "API request failed");
            let id = crate::trace::request_id();
            let mut message = tr.t("error.internal.body").to_string();
            if let Some(id) = &id {
                message = format!("{message} {}", tr.t("error.internal.reference").replace("{id}", id));
            }
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "internal", "message": message, "request_id": id })),
            )
                .into_response()
        }
    }
}

fn code_name(fe: &FieldError) -> String {
    fe.code.key().trim_start_matches("error.").to_string()
}

/// Liveness: the process answers. Touches neither the database nor a template, so it is
/// also the HTTP limit the benchmarks measure every other route against.
pub async fn livez() -> &'static str {
    "ok"
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.app.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "version": env!("CARGO_PKG_VERSION") })),
            )
                .into_response()
        }
    }
}

pub async fn openapi() -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        OPENAPI,
    )
        .into_response()
}

pub async fn not_found(headers: HeaderMap) -> Response {
    error_json(
        &Tr::new(api_lang_of(&headers)),
        StatusCode::NOT_FOUND,
        "not_found",
        "error.not_found.body",
    )
}

/// Parses a JSON object body; every field is read as text so that a wrong type becomes a
/// field error rather than a generic parse failure.
pub(crate) fn parse_object(body: &Bytes) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// A JSON object body read as `T`; None when it is not an object or does not fit.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes) -> Option<T> {
    serde_json::from_value(Value::Object(parse_object(body)?)).ok()
}

pub(crate) fn bad_json(tr: &Tr) -> Response {
    error_json(tr, StatusCode::BAD_REQUEST, "bad_json", "error.bad_json")
}

fn text_field(
    map: &serde_json::Map<String, Value>,
    name: &'static str,
    errors: &mut FieldErrors,
) -> String {
    match map.get(name) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            errors.push(name, ErrorCode::InvalidFormat);
            String::new()
        }
    }
}

pub async fn create_submission(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    if !state.limiter.allow(ip) {
        return error_json(
            &tr,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "error.rate_limited.body",
        );
    }
    let Some(map) = parse_object(&body) else {
        return bad_json(&tr);
    };
    let mut type_errors = FieldErrors::new();
    let consent = match map.get("consent") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            type_errors.push("consent", ErrorCode::InvalidFormat);
            false
        }
    };
    let input = SubmissionInput {
        kind: text_field(&map, "kind", &mut type_errors),
        title: text_field(&map, "title", &mut type_errors),
        description: text_field(&map, "description", &mut type_errors),
        affected: text_field(&map, "affected", &mut type_errors),
        current_solution: text_field(&map, "current_solution", &mut type_errors),
        submitter_role: text_field(&map, "submitter_role", &mut type_errors),
        organisation: text_field(&map, "organisation", &mut type_errors),
        contact_name: text_field(&map, "contact_name", &mut type_errors),
        contact_email: text_field(&map, "contact_email", &mut type_errors),
        consent,
        // An API client collects consent in its own form; an explicit `false` is refused.
        require_consent: map.contains_key("consent"),
    };
    if !type_errors.is_empty() {
        let mut all = type_errors;
        if let Err(e) = app::intake::check(&input) {
            for fe in e.0 {
                if !all.has(fe.field) {
                    all.0.push(fe);
                }
            }
        }
        return fail(&tr, AppError::Validation(all));
    }
    match app::intake::submit(&state.app, &Caller::Public, &input, Channel::Api).await {
        Ok(r) => (
            StatusCode::CREATED,
            Json(json!({ "id": r.id, "reference": r.reference, "follow_up_url": r.follow_up_url })),
        )
            .into_response(),
        Err(e) => fail(&tr, e),
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

fn submission_json(s: &SubmissionRow) -> Value {
    json!({
        "id": s.id,
        "reference": s.reference,
        "kind": s.kind,
        "title": s.title,
        "status": s.status,
        "submitter_role": s.submitter_role,
        "organisation": { "id": s.org_id, "name": s.org_name },
        "assignee": s.assignee_id.as_ref().map(|id| json!({ "id": id, "name": s.assignee_name })),
        "duplicate_of": s.duplicate_of_reference,
        "reject_reason": s.reject_reason,
        "channel": s.channel,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    })
}

pub async fn list_submissions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<InboxQuery>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    match app::inbox::list(&state.app, &caller, &q).await {
        Ok(p) => Json(json!({
            "items": p.rows.iter().map(submission_json).collect::<Vec<_>>(),
            "total": p.total,
            "page": p.page,
            "pages": p.pages,
            "per_page": app::inbox::PER_PAGE,
        }))
        .into_response(),
        Err(e) => fail(&tr, e),
    }
}

pub async fn get_submission(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    match app::inbox::detail(&state.app, &caller, &id).await {
        Ok(d) => {
            let s = &d.submission;
            let mut v = submission_json(s);
            v["description"] = json!(s.description);
            v["affected"] = json!(s.affected);
            v["current_solution"] = json!(s.current_solution);
            // Only those who handle the submission see how to reach its submitter.
            v["contact"] = if d.contact_hidden {
                Value::Null
            } else {
                json!({ "name": s.contact_name, "email": s.contact_email })
            };
            v["messages"] = d.messages.iter().map(|m| json!({ "direction": m.direction, "kind": m.kind, "body": m.body, "created_at": m.created_at })).collect();
            v["events"] = d
                .events
                .iter()
                .map(|e| {
                    json!({
                        "id": e.id, "occurred_at": e.occurred_at, "actor": { "kind": e.actor_kind, "id": e.actor_id, "name": e.actor_name },
                        "kind": e.kind, "payload": serde_json::from_str::<Value>(&e.payload).unwrap_or(Value::Null),
                    })
                })
                .collect();
            Json(v).into_response()
        }
        Err(e) => fail(&tr, e),
    }
}

pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let tr = Tr::new(api_lang_of(&headers));
    let caller = match bearer(&state, &headers).await {
        Ok(c) => c,
        Err(e) => return fail(&tr, e),
    };
    let Some(map) = parse_object(&body) else {
        return bad_json(&tr);
    };
    let mut errors = FieldErrors::new();
    let input = ActionInput {
        action: text_field(&map, "action", &mut errors),
        user_id: text_field(&map, "user_id", &mut errors),
        note: text_field(&map, "note", &mut errors),
        message: text_field(&map, "message", &mut errors),
        reason: text_field(&map, "reason", &mut errors),
        reason_text: text_field(&map, "reason_text", &mut errors),
        organisation: text_field(&map, "organisation", &mut errors),
        duplicate_of: text_field(&map, "duplicate_of", &mut errors),
    };
    if !errors.is_empty() {
        return fail(&tr, AppError::Validation(errors));
    }
    match app::inbox::act(&state.app, &caller, &id, &input).await {
        Ok(status) => Json(json!({ "id": id, "status": status.as_str() })).into_response(),
        Err(e) => fail(&tr, e),
    }
}
