//! The start page: what Sluss is and the way in.

use askama::Template;
use axum::response::Response;

use super::render;
use crate::ctx::Ctx;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
}

pub async fn show(ctx: Ctx) -> Response {
    render(&HomePage { ctx: &ctx })
}
