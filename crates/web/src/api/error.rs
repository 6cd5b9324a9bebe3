//! The API's errors. The policy:
//! - a handler returns `ApiResult<T>` and uses `?` on the app's `AppError`;
//! - an error renders itself once, here, as the JSON error shape (`Error` or
//!   `ValidationErrors`), its message from the catalogs in the request's language;
//! - an internal error is logged here with its cause, and answers only the request's id;
//! - the language is set for the whole request by [`language`], so no handler passes it on;
//! - a new refusal is a variant of [`ApiError`] whose doc comment names its status.

use axum::Json;
use axum::extract::Request;
use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::types::{Error, FieldProblem, ValidationErrors};
use crate::ctx::api_lang_of;
use crate::i18n::{Lang, Tr};
use app::AppError;

tokio::task_local! {
    /// The language of the API request this task serves (from `Accept-Language`).
    static LANG: Lang;
}

/// Sets the request's language for the errors its handler returns (they render after the
/// handler has given up its arguments, so they cannot take it from an extractor).
pub async fn language(req: Request, next: Next) -> Response {
    let lang = api_lang_of(req.headers());
    LANG.scope(lang, next.run(req)).await
}

/// The translations of the API request being served; Swedish outside one.
pub fn tr() -> Tr {
    Tr::new(LANG.try_with(|l| *l).unwrap_or(Lang::Sv))
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Everything an API operation can answer instead of its result.
#[derive(Debug)]
pub enum ApiError {
    /// What the app layer refused or failed at, with the status its variant documents:
    /// `Validation` and `Template` 422 (`ValidationErrors`), `NotFound` 404, `Forbidden`
    /// 403, `NoMandate` 403 (`no_mandate`, naming the role), `Unauthenticated` 401 (with
    /// `WWW-Authenticate: Bearer`), `Conflict` 409 (`code` says which), `Internal` 500 (the
    /// request's id, never the cause).
    App(AppError),
    /// 400 `bad_json`: the body is not a JSON object of the shape the operation reads.
    BadJson,
    /// 429 `rate_limited`: too many writes from this client address or participant.
    RateLimited,
    /// 404 `no_pair`: the participant has been shown every pair there is.
    NoPair,
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

fn plain(status: StatusCode, error: &str, message: &str) -> Response {
    let body = Error {
        error: error.to_string(),
        code: None,
        role: None,
        message: message.to_string(),
        request_id: None,
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let tr = tr();
        match self {
            ApiError::BadJson => plain(StatusCode::BAD_REQUEST, "bad_json", tr.t("error.bad_json")),
            ApiError::RateLimited => plain(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                tr.t("error.rate_limited.body"),
            ),
            ApiError::NoPair => plain(StatusCode::NOT_FOUND, "no_pair", tr.t("campaign.no_pair")),
            ApiError::App(e) => app_error(&tr, e),
        }
    }
}

fn app_error(tr: &Tr, e: AppError) -> Response {
    match e {
        AppError::Validation(errors) => {
            let errors = errors
                .0
                .iter()
                .map(|fe| FieldProblem {
                    field: fe.field.to_string(),
                    line: None,
                    column: None,
                    code: fe.code.key().trim_start_matches("error.").to_string(),
                    message: tr.field_error(fe),
                })
                .collect();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(ValidationErrors { errors }),
            )
                .into_response()
        }
        AppError::Template(problems) => {
            let errors = problems
                .iter()
                .map(|p| FieldProblem {
                    field: p.field.clone(),
                    line: Some(p.line),
                    column: Some(p.column),
                    code: "invalid_template".to_string(),
                    message: p.message(),
                })
                .collect();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(ValidationErrors { errors }),
            )
                .into_response()
        }
        AppError::NotFound => plain(
            StatusCode::NOT_FOUND,
            "not_found",
            tr.t("error.not_found.body"),
        ),
        AppError::Forbidden => plain(
            StatusCode::FORBIDDEN,
            "forbidden",
            tr.t("error.forbidden.body"),
        ),
        AppError::NoMandate(role) => {
            let body = Error {
                error: "no_mandate".to_string(),
                code: None,
                role: Some(role.as_str().to_string()),
                message: tr
                    .t("error.no_mandate.body")
                    .replace("{role}", tr.k("role.", role.as_str())),
                request_id: None,
            };
            (StatusCode::FORBIDDEN, Json(body)).into_response()
        }
        AppError::Unauthenticated => {
            let mut res = plain(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                tr.t("error.unauthenticated"),
            );
            res.headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            res
        }
        AppError::Conflict(conflict) => {
            let code = conflict.key();
            let body = Error {
                error: "conflict".to_string(),
                code: Some(code.to_string()),
                role: None,
                message: tr.t(&format!("conflict.{code}")).to_string(),
                request_id: None,
            };
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
        AppError::Internal(e) => {
            tracing::error!(error = ?e, "API request failed");
            let id = crate::trace::request_id();
            let mut message = tr.t("error.internal.body").to_string();
            if let Some(id) = &id {
                message = format!(
                    "{message} {}",
                    tr.t("error.internal.reference").replace("{id}", id)
                );
            }
            let body = Error {
                error: "internal".to_string(),
                code: None,
                role: None,
                message,
                request_id: Some(id),
            };
            (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
        }
    }
}
