//! The outbox (/admin/utkorg): the mails Sluss sent, or holds until an SMTP server is
//! configured, in the organisations the administrator administers, each as its recipient
//! reads it. For a region's administrators only (the app layer decides).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{render_status, url_encode};
use crate::AppState;
use crate::ctx::Ctx;
use app::mail::OutboxPage;

/// One mail as shown.
struct Shown {
    created_at: String,
    sent: bool,
    recipient: String,
    subject: String,
    text: String,
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct Page<'a> {
    ctx: &'a Ctx,
    mails: Vec<Shown>,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    /// The key of the page's first mail: its time and id.
    #[serde(default)]
    at: String,
    #[serde(default)]
    id: String,
}

/// The text with every web address replaced by an ellipsis.
fn hide_links(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|w| {
            if w.trim_start().starts_with("http://") || w.trim_start().starts_with("https://") {
                let tail = &w[w.trim_end().len()..];
                format!("…{tail}")
            } else {
                w.to_string()
            }
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<OutboxQuery>,
) -> Response {
    let before = (!q.at.is_empty() && !q.id.is_empty()).then_some((q.at.as_str(), q.id.as_str()));
    let OutboxPage { mails, next } = match app::mail::outbox(&state.app, &ctx.caller, before).await
    {
        Ok(p) => p,
        Err(e) => return ctx.fail(e),
    };
    let mails = mails
        .into_iter()
        .map(|m| {
            let (subject, text) = match crate::mail::compose(&m) {
                // A reset or invitation link is the recipient's alone: an administrator reading it
                // could take over the account.
                Ok(c)
                    if matches!(
                        m.kind,
                        domain::jobs::MailKind::PasswordReset | domain::jobs::MailKind::Invite
                    ) =>
                {
                    (c.subject, hide_links(&c.text))
                }
                Ok(c) => (c.subject, c.text),
                Err(e) => (ctx.t.t("outbox.unreadable").to_string(), e),
            };
            Shown {
                created_at: domain::time::Timestamp::parse_db(&m.created_at)
                    .map(|t| t.swedish_minute_string())
                    .unwrap_or(m.created_at),
                sent: m.state == domain::jobs::MailState::Sent,
                recipient: m.recipient,
                subject,
                text,
            }
        })
        .collect();
    let next = next.map(|(at, id)| {
        format!(
            "/admin/utkorg?at={}&amp;id={}",
            url_encode(&at),
            url_encode(&id)
        )
    });
    render_status(
        axum::http::StatusCode::OK,
        &Page {
            ctx: &ctx,
            mails,
            next,
        },
    )
}
