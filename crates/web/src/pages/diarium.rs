//! The public register (diarium): every registered submission and case with its date,
//! diarienummer, a public heading, unit and status. Never personal data: a submission shows
//! its kind, not its submitter's words, and a confidential case shows no title.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;

use super::error::{Failing, PageResult};
use super::{FormErrors, render_status, url_encode};
use crate::AppState;
use crate::ctx::Ctx;
use app::AppError;
use app::cases::{DiariumPage, DiariumQuery};

#[derive(Template)]
#[template(path = "diarium.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    q: DiariumQuery,
    page: Option<DiariumPage>,
    errors: FormErrors,
}

impl Page<'_> {
    /// A process text in the page's language (Swedish, marked so, where it has no English).
    fn named(&self, sv: &str, en: &Option<String>) -> super::work::Named {
        super::work::Named::pick(self.ctx, sv, en)
    }

    fn page_href(&self, page: i64) -> String {
        let q = &self.q;
        let mut s: Vec<String> = [("q", &q.q), ("from", &q.from), ("to", &q.to)]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect();
        s.push(format!("page={page}"));
        format!("/diarium?{}", s.join("&amp;"))
    }
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DiariumQuery>,
) -> PageResult {
    let (page, errors, status) = match app::cases::diarium(&state.app, &q).await {
        Ok(p) => (Some(p), FormErrors::default(), StatusCode::OK),
        Err(AppError::Validation(e)) => (
            None,
            FormErrors::new(&ctx.t, &e),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => return Err(e).or_page(&ctx),
    };
    let view = Page {
        ctx: &ctx,
        q,
        page,
        errors,
    };
    Ok(render_status(status, &view))
}
