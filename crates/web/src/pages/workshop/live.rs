//! What leaves the workshop pages other than HTML: the live updates pushed by server-sent
//! events, and the facilitator's CSV exports.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};

use super::upper;
use crate::AppState;
use crate::ctx::Ctx;
use crate::pages::error::{Failing, PageResult};

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
) -> PageResult {
    let Some(kind) = file.strip_suffix(".csv") else {
        return Ok(super::not_found(ctx).await);
    };
    let csv = app::campaigns::export(&state.app, &ctx.caller, &code, kind)
        .await
        .or_page(&ctx)?;
    Ok((
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
        .into_response())
}
