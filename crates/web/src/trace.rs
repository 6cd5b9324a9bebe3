//! One span per request, named by a request id, so that every log line of a request (the
//! access line, an error's cause, what the use cases log) can be joined, and a person who
//! meets an error page can quote the id and be found in the logs.
//!
//! The id is taken from `X-Request-Id` when Sluss runs behind a proxy that sets it (the
//! proxy's logs then share it), else made here; it goes back in the answer's
//! `X-Request-Id`, on the 500 page and in the API's internal error.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::AppState;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    /// The id of the request this task serves. A request is served in the task that the
    /// middleware below runs in, so the handlers' error pages find it here.
    static REQUEST_ID: String;
}

/// The id of the request being served, if any (a command's use of the app has none).
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// A proxy's id is used only if it looks like one: up to 64 letters, digits, `-`, `_` or
/// `.`, so that nothing odd reaches a log line or a header.
fn usable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A new id: 16 hex digits (64 random bits), short enough to read out on the phone.
fn new_id() -> String {
    app::secret::new_token(8).unwrap_or_else(|_| {
        // Without the system's randomness the id only has to tell requests apart.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{:016x}", now as u64)
    })
}

/// The span and the access line of every request: method, route template (never the
/// concrete path, which may hold a follow-up token), status and duration.
pub async fn requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| state.settings.behind_proxy && usable(v))
        .map(str::to_string)
        .unwrap_or_else(new_id);
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".to_string());
    let span = tracing::info_span!("request", id = %id, %method, %route);
    let started = Instant::now();
    let mut res = REQUEST_ID
        .scope(id.clone(), next.run(req))
        .instrument(span.clone())
        .await;
    let status = res.status().as_u16();
    let ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0);
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, ms, "request");
        } else {
            tracing::info!(status, ms, "request");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_taken_from_a_proxy() {
        for ok in ["a", "0f3c-12_ab.9", &"x".repeat(64)] {
            assert!(usable(ok), "{ok}");
        }
        for bad in ["", "a b", "a\nb", "é", "<script>", &"x".repeat(65)] {
            assert!(!usable(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_id_is_known_inside_the_request_only() {
        assert_eq!(request_id(), None);
        let seen = REQUEST_ID
            .scope("abc".to_string(), async { request_id() })
            .await;
        assert_eq!(seen.as_deref(), Some("abc"));
        let id = new_id();
        assert_eq!(id.len(), 16);
        assert!(usable(&id));
    }
}
