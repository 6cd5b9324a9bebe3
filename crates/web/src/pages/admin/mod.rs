//! The administration pages (/admin) for an administrator of a region: the start page
//! linking the sections, and each section in its own file. Who may do what is decided in
//! `app::admin`; these handlers only read forms and render.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

use super::error::{Failing, PageResult};
use super::render_status;
use crate::AppState;
use crate::ctx::Ctx;

pub mod retention;
pub mod units;

#[derive(Template)]
#[template(path = "admin.html")]
struct Start<'a> {
    ctx: &'a Ctx,
    regions: Vec<String>,
}

/// `/admin`: the regions the caller administers and the sections.
pub async fn start(State(state): State<AppState>, ctx: Ctx) -> PageResult {
    let regions = app::admin::units::regions(&state.app, &ctx.caller)
        .await
        .or_page(&ctx)?
        .into_iter()
        .filter_map(|r| r.units.first().map(|u| u.org.name.clone()))
        .collect();
    Ok(render_status(StatusCode::OK, &Start { ctx: &ctx, regions }))
}
