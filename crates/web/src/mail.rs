//! The words and layout of mail: each kind of the outbox rendered in the recipient's
//! language, as plain text and HTML from the same lines (templates `mail.txt`,
//! `mail.html`), every word from the catalogs. The app layer's job sends what this makes;
//! the outbox page shows it.

use app::mail::{Compose, Composed};
use askama::Template;
use domain::jobs::MailKind;
use store::outbox::OutboxRow;

use crate::i18n::{Lang, Tr};

mod notify;

#[derive(Template)]
#[template(path = "mail.txt")]
struct Text<'a> {
    greeting: &'a str,
    lines: &'a [String],
    link: &'a Option<(String, String)>,
    footer: &'a str,
    choices: &'a Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct Html<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    lines: &'a [String],
    link: &'a Option<(String, String)>,
    footer: &'a str,
    choices: &'a Option<(String, String)>,
}

/// Renders the outbox's mails ([`Compose`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Mails;

impl Compose for Mails {
    fn compose(&self, mail: &OutboxRow, choices_url: Option<&str>) -> Result<Composed, String> {
        compose_with(mail, choices_url)
    }
}

pub(crate) fn param<'a>(params: &'a serde_json::Value, key: &str) -> &'a str {
    params.get(key).and_then(|v| v.as_str()).unwrap_or_default()
}

/// The subject, text and HTML of one mail, as the outbox shows it (without the link to
/// its recipient's choices, which is made when it is sent).
pub fn compose(mail: &OutboxRow) -> Result<Composed, String> {
    compose_with(mail, None)
}

/// The subject, text and HTML of one mail; a notification's footer links to `choices_url`.
pub fn compose_with(mail: &OutboxRow, choices_url: Option<&str>) -> Result<Composed, String> {
    let t = Tr::new(Lang::parse(&mail.lang).unwrap_or(Lang::Sv));
    let p: serde_json::Value =
        serde_json::from_str(&mail.params).map_err(|e| format!("the mail's parameters: {e}"))?;
    let reference = param(&p, "reference");
    let choices = choices_url.map(|url| (t.t("notify.mail.choices").to_string(), url.to_string()));
    match mail.kind {
        MailKind::PasswordReset => return compose_reset(&t, &p),
        MailKind::Invite => return compose_invite(&t, &p),
        _ => {}
    }
    if let Some(c) = notify::compose(&t, mail, &p, &choices)? {
        return Ok(c);
    }
    if mail.kind == MailKind::AccessibilityReport {
        return compose_accessibility_report(&t, &p);
    }
    let (subject_key, body) = match mail.kind {
        MailKind::PasswordReset | MailKind::Invite => {
            ("mail.password_reset.subject", String::new())
        }
        MailKind::AccessibilityReport => ("a11y_report.mail.subject", String::new()),
        MailKind::Receipt => ("mail.receipt.subject", t.n("mail.receipt.body", reference)),
        MailKind::Accepted => (
            "mail.accepted.subject",
            t.n("mail.accepted.body", reference),
        ),
        MailKind::Rejected => (
            "mail.rejected.subject",
            t.n("mail.rejected.body", reference),
        ),
        MailKind::Forwarded => (
            "mail.forwarded.subject",
            t.ab("mail.forwarded.body", reference, param(&p, "organisation")),
        ),
        MailKind::CaseOpened => (
            "mail.case_opened.subject",
            t.ab(
                "mail.case_opened.body",
                reference,
                param(&p, "case_reference"),
            ),
        ),
        MailKind::Question => (
            "notify.question.subject",
            t.n("notify.question.body", reference),
        ),
        MailKind::CaseImplemented => (
            "notify.case_implemented.subject",
            t.ab(
                "notify.case_implemented.body",
                reference,
                param(&p, "case_reference"),
            ),
        ),
        // Written by `notify::compose` above.
        other => return Err(format!("no template for {}", other.as_str())),
    };
    let subject = t.n(subject_key, reference);
    let mut lines = vec![body, t.n("mail.title", param(&p, "title"))];
    let mut link = None;
    match mail.kind {
        // The receipt carries the follow-up link, which later mails cannot (it is kept hashed).
        MailKind::Receipt => {
            lines.push(t.t("mail.receipt.keep").to_string());
            link = Some((
                t.t("mail.receipt.link").to_string(),
                param(&p, "follow_up_url").to_string(),
            ));
        }
        MailKind::Rejected => {
            let reason = t.k("reason.", param(&p, "reason"));
            lines.push(t.n("mail.rejected.reason", reason));
            let message = param(&p, "message");
            if !message.is_empty() {
                lines.push(message.to_string());
            }
            lines.push(t.t("mail.follow_up_hint").to_string());
        }
        MailKind::Question => {
            lines.push(param(&p, "message").to_string());
            lines.push(t.t("notify.question.answer").to_string());
        }
        _ => lines.push(t.t("mail.follow_up_hint").to_string()),
    }
    render(&t, subject, &lines, &link, "mail.footer", &choices)
}

/// The reset link, how long it works, and what to do when it was not asked for.
fn compose_reset(t: &Tr, p: &serde_json::Value) -> Result<Composed, String> {
    let minutes = p.get("minutes").and_then(|v| v.as_i64()).unwrap_or(30);
    let lines = vec![
        t.t("mail.password_reset.body").to_string(),
        t.n("mail.password_reset.expires", minutes),
        t.t("mail.password_reset.ignore").to_string(),
    ];
    let link = Some((
        t.t("mail.password_reset.link").to_string(),
        param(p, "reset_url").to_string(),
    ));
    render(
        t,
        t.t("mail.password_reset.subject").to_string(),
        &lines,
        &link,
        "mail.password_reset.footer",
        &None,
    )
}

/// The invitation: who invites, the link to choose a password, how long it works.
fn compose_invite(t: &Tr, p: &serde_json::Value) -> Result<Composed, String> {
    let days = p.get("days").and_then(|v| v.as_i64()).unwrap_or(7);
    let lines = vec![
        t.n("admin.users.mail.body", param(p, "organisation")),
        t.n("admin.users.mail.expires", days),
    ];
    let link = Some((
        t.t("admin.users.mail.link").to_string(),
        param(p, "invite_url").to_string(),
    ));
    render(
        t,
        t.t("admin.users.mail.subject").to_string(),
        &lines,
        &link,
        "admin.users.mail.footer",
        &None,
    )
}

/// A report of an accessibility problem, to the organisation: the page, the problem as
/// written, and where to answer.
fn compose_accessibility_report(t: &Tr, p: &serde_json::Value) -> Result<Composed, String> {
    let reply_to = param(p, "reply_to");
    let lines = vec![
        t.t("a11y_report.mail.body").to_string(),
        t.n("a11y_report.mail.page", param(p, "page")),
        t.t("a11y_report.mail.problem").to_string(),
        param(p, "problem").to_string(),
        if reply_to.is_empty() {
            t.t("a11y_report.mail.no_reply").to_string()
        } else {
            t.n("a11y_report.mail.reply_to", reply_to)
        },
    ];
    render(
        t,
        t.t("a11y_report.mail.subject").to_string(),
        &lines,
        &None,
        "a11y_report.mail.footer",
        &None,
    )
}

pub(crate) fn render(
    t: &Tr,
    subject: String,
    lines: &[String],
    link: &Option<(String, String)>,
    footer_key: &str,
    choices: &Option<(String, String)>,
) -> Result<Composed, String> {
    let greeting = t.t("mail.greeting");
    let footer = t.t(footer_key);
    let text = Text {
        greeting,
        lines,
        link,
        footer,
        choices,
    }
    .render()
    .map_err(|e| e.to_string())?;
    let html = Html {
        lang: t.lang.code(),
        subject: &subject,
        greeting,
        lines,
        link,
        footer,
        choices,
    }
    .render()
    .map_err(|e| e.to_string())?;
    Ok(Composed {
        subject,
        text,
        html,
    })
}
