//! The jobs page (/admin/jobb): the mail jobs of the administrator's organisations,
//! waiting, failed with their error, and the latest done. For a region's administrators
//! only (the app layer decides).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::render_status;
use crate::AppState;
use crate::ctx::Ctx;
use store::jobs::JobRow;

/// One job as shown.
struct Shown {
    state: &'static str,
    attempts: i64,
    max_attempts: i64,
    /// When it is next due (waiting) or last changed (failed, done), in Swedish time.
    at: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    groups: Vec<(&'static str, Vec<Shown>)>,
}

fn shown(j: JobRow, waiting: bool) -> Shown {
    let at = if waiting { &j.run_at } else { &j.updated_at };
    Shown {
        state: j.state.as_str(),
        attempts: j.attempts,
        max_attempts: j.max_attempts,
        at: domain::time::Timestamp::parse_db(at)
            .map(|t| t.swedish_minute_string())
            .unwrap_or_else(|| at.clone()),
        error: j.last_error,
    }
}

pub async fn show(State(state): State<AppState>, ctx: Ctx) -> Response {
    let jobs = match app::mail::jobs(&state.app, &ctx.caller).await {
        Ok(j) => j,
        Err(e) => return ctx.fail(e),
    };
    let groups = vec![
        (
            "jobs.waiting",
            jobs.waiting.into_iter().map(|j| shown(j, true)).collect(),
        ),
        (
            "jobs.failed",
            jobs.failed.into_iter().map(|j| shown(j, false)).collect(),
        ),
        (
            "jobs.done",
            jobs.done.into_iter().map(|j| shown(j, false)).collect(),
        ),
    ];
    render_status(StatusCode::OK, &Page { ctx: &ctx, groups })
}
