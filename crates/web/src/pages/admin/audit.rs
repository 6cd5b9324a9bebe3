//! The audit view (/admin/handelser): the event log of the caller's regions, newest first,
//! filtered by actor, kind and dates in a form that is sent with GET (so that a filtered
//! page has an address), a page at a time. A bad filter is shown at its field.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use store::events::EventRow;
use store::users::UserRow;

use super::super::error::{Failing, PageResult};
use super::super::form::Values;
use super::super::{FormErrors, render_status, url_encode};
use super::Refused;
use crate::AppState;
use crate::ctx::Ctx;
use app::AppError;
use app::admin::audit::AuditFilter;

const LABELS: &[(&str, &str)] = &[
    ("actor", "admin.audit.actor"),
    ("kind", "admin.audit.kind"),
    ("from", "admin.audit.from"),
    ("until", "admin.audit.until"),
];

/// An event as shown: no payload, the actor by name.
struct Shown {
    at: String,
    actor: String,
    kind: String,
    subject_type: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    events: Vec<Shown>,
    actors: Vec<UserRow>,
    next: Option<String>,
    refused: Refused,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    #[serde(flatten)]
    filter: AuditFilter,
    /// The key of the page: time and id of the event before it.
    fore: String,
    id: String,
}

fn shown(ctx: &Ctx, e: EventRow) -> Shown {
    let actor = match (e.actor_kind.as_str(), e.actor_name) {
        ("user", Some(name)) => name,
        ("public", _) => ctx.t.t("admin.audit.public").to_string(),
        _ => ctx.t.t("admin.audit.system").to_string(),
    };
    Shown {
        at: domain::time::Timestamp::parse_db(&e.occurred_at)
            .map(|t| t.swedish_minute_string())
            .unwrap_or_default(),
        actor,
        kind: e.kind,
        subject_type: e.subject_type,
    }
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let f = &q.filter;
    let values = Values::from([
        ("actor".to_string(), f.actor.clone()),
        ("kind".to_string(), f.kind.clone()),
        ("from".to_string(), f.from.clone()),
        ("until".to_string(), f.until.clone()),
    ]);
    let before = (!q.fore.is_empty()).then_some((q.fore.as_str(), q.id.as_str()));
    let (page, refused, status) =
        match app::admin::audit::list(&state.app, &ctx.caller, f, before).await {
            Ok(p) => (
                p,
                Refused::new("filter", values, FormErrors::default()),
                StatusCode::OK,
            ),
            Err(AppError::Validation(e)) => {
                let errors = FormErrors::in_form(&ctx.t, LABELS, &e);
                let unfiltered =
                    app::admin::audit::list(&state.app, &ctx.caller, &AuditFilter::default(), None)
                        .await
                        .or_page(&ctx)?;
                (
                    unfiltered,
                    Refused::new("filter", values, errors),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            Err(e) => return Err(e).or_page(&ctx),
        };
    let next = page.next.map(|(at, id)| {
        format!(
            "/admin/handelser?actor={}&kind={}&from={}&until={}&fore={}&id={}",
            url_encode(&f.actor),
            url_encode(&f.kind),
            url_encode(&f.from),
            url_encode(&f.until),
            url_encode(&at),
            url_encode(&id)
        )
    });
    Ok(render_status(
        status,
        &Page {
            events: page.events.into_iter().map(|e| shown(&ctx, e)).collect(),
            actors: page.actors,
            next,
            refused,
            ctx: &ctx,
        },
    ))
}
