//! Choosing which mails one gets: through the link in any notification
//! (/aviseringar/{token}, no sign-in: submitters and participants have no account), on the
//! account page for staff (/konto/aviseringar), and the one-click unsubscribe of RFC 8058
//! (/aviseringar/{token}/av). The app layer decides (`app::notify`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use domain::jobs::{MailKind, NotifyMode};

use super::error::{Failing, PageResult};
use super::form::TypedForm;
use super::{render_status, see_other, url_encode};
use crate::AppState;
use crate::ctx::Ctx;

/// One choice per kind, each a `<select>` named by the kind.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ChoicesForm {
    accepted: Option<NotifyMode>,
    rejected: Option<NotifyMode>,
    forwarded: Option<NotifyMode>,
    case_opened: Option<NotifyMode>,
    question: Option<NotifyMode>,
    case_implemented: Option<NotifyMode>,
    assigned: Option<NotifyMode>,
    gate_waiting: Option<NotifyMode>,
    steps_overdue: Option<NotifyMode>,
    mentioned: Option<NotifyMode>,
    workshop_closed: Option<NotifyMode>,
    /// The language of the mails (the account page only: a link's mails keep theirs).
    lang: Option<String>,
}

impl ChoicesForm {
    /// The choices sent; a kind left out stays as it was.
    fn modes(&self) -> Vec<(MailKind, NotifyMode)> {
        [
            (MailKind::Accepted, self.accepted),
            (MailKind::Rejected, self.rejected),
            (MailKind::Forwarded, self.forwarded),
            (MailKind::CaseOpened, self.case_opened),
            (MailKind::Question, self.question),
            (MailKind::CaseImplemented, self.case_implemented),
            (MailKind::Assigned, self.assigned),
            (MailKind::GateWaiting, self.gate_waiting),
            (MailKind::StepsOverdue, self.steps_overdue),
            (MailKind::Mentioned, self.mentioned),
            (MailKind::WorkshopClosed, self.workshop_closed),
        ]
        .into_iter()
        .filter_map(|(k, m)| m.map(|m| (k, m)))
        .collect()
    }
}

/// The choices as the form shows them: kind and mode as their stored names, and the
/// language of the mails.
pub struct Shown {
    pub modes: Vec<(&'static str, &'static str)>,
    pub lang: String,
}

impl Shown {
    pub fn of(c: &app::notify::Choices) -> Self {
        Shown {
            modes: c
                .modes
                .iter()
                .map(|(k, m)| (k.as_str(), m.as_str()))
                .collect(),
            lang: c.lang.clone(),
        }
    }

    /// The languages mail can be written in, the chosen one marked.
    pub fn languages(&self) -> Vec<ModeOption> {
        app::notify::LANGUAGES
            .iter()
            .map(|l| ModeOption {
                value: l,
                selected: *l == self.lang,
            })
            .collect()
    }

    /// The options of one kind's select, the chosen one marked.
    pub fn options(&self, chosen: &str) -> Vec<ModeOption> {
        NotifyMode::ALL
            .iter()
            .map(|m| ModeOption {
                value: m.as_str(),
                selected: m.as_str() == chosen,
            })
            .collect()
    }
}

pub struct ModeOption {
    pub value: &'static str,
    pub selected: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    sparat: Option<String>,
}

#[derive(Template)]
#[template(path = "notify.html")]
struct ChoicesPage<'a> {
    ctx: &'a Ctx,
    shown: Shown,
    action: String,
    off: String,
    saved: bool,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let c = app::notify::choices_by_link(&state.app, &token)
        .await
        .or_page(&ctx)?;
    let base = format!("/aviseringar/{}", url_encode(&token));
    Ok(render_status(
        StatusCode::OK,
        &ChoicesPage {
            ctx: &ctx,
            shown: Shown::of(&c),
            off: format!("{base}/av"),
            action: base,
            saved: q.sparat.is_some(),
        },
    ))
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    form: TypedForm<ChoicesForm>,
) -> PageResult {
    let f = form.or_page(&ctx)?;
    if f.lang.is_some() {
        // A link's mails keep the language they were sent in.
        return Err(app::AppError::field(
            "lang",
            domain::ErrorCode::InvalidChoice,
        ))
        .or_page(&ctx);
    }
    app::notify::set_choices_by_link(&state.app, &token, &f.modes())
        .await
        .or_page(&ctx)?;
    Ok(see_other(&format!(
        "/aviseringar/{}?sparat=1",
        url_encode(&token)
    )))
}

#[derive(Template)]
#[template(path = "notify_off.html")]
struct OffPage<'a> {
    ctx: &'a Ctx,
    kind: &'static str,
    back: String,
    action: String,
    done: bool,
}

/// Asks before turning a kind off (a link followed is no decision: mail scanners follow
/// links).
pub async fn off_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> PageResult {
    let c = app::notify::choices_by_link(&state.app, &token)
        .await
        .or_page(&ctx)?;
    let base = format!("/aviseringar/{}", url_encode(&token));
    Ok(render_status(
        StatusCode::OK,
        &OffPage {
            ctx: &ctx,
            kind: c.kind.unwrap_or(MailKind::Digest).as_str(),
            action: format!("{base}/av"),
            back: base,
            done: false,
        },
    ))
}

/// The one-click unsubscribe (RFC 8058): a mail program posts `List-Unsubscribe=One-Click`
/// here, without cookies and so without a CSRF token; the link's secret token is what
/// authorises it, and all it can do is turn off one kind of mail to that one address
/// (docs/security.md). The confirming form of [`off_form`] posts here too.
pub async fn off(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> PageResult {
    let kind = app::notify::unsubscribe(&state.app, &token)
        .await
        .or_page(&ctx)?;
    let base = format!("/aviseringar/{}", url_encode(&token));
    Ok(render_status(
        StatusCode::OK,
        &OffPage {
            ctx: &ctx,
            kind: kind.as_str(),
            action: format!("{base}/av"),
            back: base,
            done: true,
        },
    ))
}

/// A signed-in person's choices, saved from the section of the account page.
pub async fn save_mine(
    State(state): State<AppState>,
    ctx: Ctx,
    form: TypedForm<ChoicesForm>,
) -> PageResult {
    if ctx.caller.user().is_none() {
        return Err(app::AppError::Unauthenticated).or_page(&ctx);
    }
    let f = form.or_page(&ctx)?;
    app::notify::set_my_choices(&state.app, &ctx.caller, &f.modes(), f.lang.as_deref())
        .await
        .or_page(&ctx)?;
    Ok(see_other("/konto?aviseringar=1#notify-title"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::form::decode;

    /// The form names every kind a person chooses, and nothing else: a kind added to
    /// `MailKind::CHOSEN` without its field here would show a choice the form refuses.
    #[test]
    fn the_form_takes_every_chosen_kind() {
        for kind in MailKind::CHOSEN {
            let form = decode::<ChoicesForm>(vec![(kind.as_str().into(), "daily".into())])
                .unwrap_or_else(|unknown| panic!("{unknown} is no field of the form"));
            let f = form.input.expect("decodes");
            assert_eq!(f.modes(), [(*kind, NotifyMode::Daily)]);
        }
        assert_eq!(ChoicesForm::default().modes().len(), 0);
    }
}
