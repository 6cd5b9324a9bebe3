//! Errors that render themselves: a page handler returns [`PageResult`] and uses `?` on the
//! app layer's results, after naming the page's context with [`Failing::or_page`]. The
//! error is rendered by [`Ctx::fail`] in the request's language: sign-in for an anonymous
//! caller, 404, 403, 409, 422, and 500 with the request id to quote.

use axum::response::{IntoResponse, Response};

use crate::ctx::Ctx;
use app::AppError;

/// Why a handler stops early: an app error with the context of the page it happened on
/// (its language, its caller, where it is, for the sign-in redirect), or a page already
/// rendered in its place (a refused form shown again with its errors), so that helpers
/// deep in a handler can end it with `?` too.
#[derive(Debug)]
pub enum PageError {
    Failed { ctx: Box<Ctx>, err: AppError },
    Shown(Box<Response>),
}

impl PageError {
    pub fn new(ctx: &Ctx, err: AppError) -> Self {
        PageError::Failed {
            ctx: Box::new(ctx.clone()),
            err,
        }
    }
}

impl From<Response> for PageError {
    fn from(page: Response) -> Self {
        PageError::Shown(Box::new(page))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Failed { ctx, err } => ctx.fail(err),
            PageError::Shown(page) => *page,
        }
    }
}

/// What a page handler returns: the page, or an error that renders itself.
pub type PageResult<T = Response> = Result<T, PageError>;

/// Gives an app result the page it is rendered on, so that `?` can carry it out.
pub trait Failing<T> {
    fn or_page(self, ctx: &Ctx) -> PageResult<T>;
}

impl<T> Failing<T> for Result<T, AppError> {
    fn or_page(self, ctx: &Ctx) -> PageResult<T> {
        self.map_err(|e| PageError::new(ctx, e))
    }
}
