//! The administration pages (/admin) for an administrator of a region: the start page
//! linking the sections, and each section in its own file. Who may do what is decided in
//! `app::admin`; these handlers only read forms and render.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

use super::error::{Failing, PageResult};
use super::form::Values;
use super::{FormErrors, render_status};
use crate::AppState;
use crate::ctx::Ctx;

pub mod audit;
pub mod people;
pub mod retention;
pub mod tokens;
pub mod units;

/// A refused form of an administration page, shown again: which of the page's forms it
/// was (a page may hold one per row), what was typed in it, and its errors. Every other
/// form of the page shows what it showed before.
#[derive(Default)]
pub struct Refused {
    pub form: String,
    pub values: Values,
    pub errors: FormErrors,
    /// What the ids of the form's fields start with (`{anchor}{field}`), for the summary's links.
    pub anchor: String,
}

impl Refused {
    pub fn new(form: &str, values: Values, errors: FormErrors) -> Self {
        Refused {
            form: form.to_string(),
            values,
            errors,
            anchor: format!("{form}-"),
        }
    }

    /// The same, whose fields' ids start with `anchor`.
    pub fn anchored(self, anchor: &str) -> Self {
        Refused {
            anchor: anchor.to_string(),
            ..self
        }
    }

    /// The value of `field` in `form`: as typed if that form was refused, else `shown`.
    pub fn val<'a>(&'a self, form: &str, field: &str, shown: &'a str) -> &'a str {
        if self.form == form {
            self.values.get(field).map_or("", String::as_str)
        } else {
            shown
        }
    }

    /// The error of `field` in `form`.
    pub fn err(&self, form: &str, field: &str) -> Option<&str> {
        if self.form == form {
            self.errors.get(field)
        } else {
            None
        }
    }

    /// `aria-invalid` of `field` in `form`.
    pub fn invalid(&self, form: &str, field: &str) -> &'static str {
        if self.err(form, field).is_some() {
            "true"
        } else {
            "false"
        }
    }
}

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
