//! The words of the notifications to staff and workshop participants, and of the daily
//! digest, which lists each gathered notification by its subject (with its link).

use app::mail::Composed;
use domain::jobs::MailKind;
use store::outbox::OutboxRow;

use super::{param, render};
use crate::i18n::Tr;

type Link = Option<(String, String)>;

/// The mail of a staff, participant or digest kind; None for the other kinds.
pub(super) fn compose(
    t: &Tr,
    mail: &OutboxRow,
    p: &serde_json::Value,
    choices: &Link,
) -> Result<Option<Composed>, String> {
    let reference = param(p, "reference");
    let open = |label: &str| Some((t.t(label).to_string(), param(p, "url").to_string()));
    let (subject, mut lines, link, footer) = match mail.kind {
        MailKind::Assigned => (
            t.n("notify.assigned.subject", reference),
            vec![t.n("notify.assigned.body", reference)],
            open("notify.mail.open"),
            "notify.mail.footer_staff",
        ),
        MailKind::GateWaiting => (
            t.n("notify.gate_waiting.subject", reference),
            vec![t.ab("notify.gate_waiting.body", reference, param(p, "gate"))],
            open("notify.mail.open"),
            "notify.mail.footer_staff",
        ),
        MailKind::Mentioned => (
            t.n("notify.mentioned.subject", reference),
            vec![
                t.ab("notify.mentioned.body", param(p, "author"), reference),
                param(p, "note").to_string(),
            ],
            open("notify.mail.open"),
            "notify.mail.footer_staff",
        ),
        MailKind::StepsOverdue => {
            let steps = p.get("steps").and_then(|s| s.as_array());
            let n = steps.map_or(0, |s| s.len());
            let mut lines = vec![t.n("notify.steps_overdue.body", n)];
            for s in steps.into_iter().flatten() {
                lines.push(
                    t.t("notify.steps_overdue.line")
                        .replace("{reference}", param(s, "reference"))
                        .replace("{title}", param(s, "title"))
                        .replace("{step}", param(s, "step"))
                        .replace("{due}", param(s, "due")),
                );
            }
            (
                t.n("notify.steps_overdue.subject", n),
                lines,
                open("notify.steps_overdue.link"),
                "notify.mail.footer_staff",
            )
        }
        MailKind::WorkshopClosed => {
            let mut lines = vec![t.n("notify.workshop_closed.body", param(p, "title"))];
            for (i, idea) in p
                .get("top")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten()
                .enumerate()
            {
                lines.push(format!("{}. {}", i + 1, idea.as_str().unwrap_or_default()));
            }
            let forwarded = p.get("forwarded").and_then(|v| v.as_array());
            if forwarded.is_some_and(|f| !f.is_empty()) {
                lines.push(t.t("notify.workshop_closed.next").to_string());
                for r in forwarded.into_iter().flatten() {
                    let reference = r.as_str().unwrap_or_default();
                    lines.push(t.n("notify.workshop_closed.forwarded", reference));
                }
            }
            (
                t.n("notify.workshop_closed.subject", param(p, "title")),
                lines,
                open("notify.workshop_closed.link"),
                "notify.mail.footer_participant",
            )
        }
        MailKind::Digest => {
            let items = p.get("items").and_then(|s| s.as_array());
            let n = items.map_or(0, |s| s.len());
            let mut lines = vec![t.n("notify.digest.body", n)];
            for item in items.into_iter().flatten() {
                let Some(kind) = MailKind::parse(param(item, "kind")) else {
                    continue;
                };
                let row = OutboxRow {
                    kind,
                    params: item
                        .get("params")
                        .map(|v| v.to_string())
                        .unwrap_or_default(),
                    ..mail.clone()
                };
                let one = super::compose(&row)?;
                let params = item.get("params").cloned().unwrap_or_default();
                let url = param(&params, "url");
                lines.push(if url.is_empty() {
                    format!("• {}", one.subject)
                } else {
                    format!("• {} – {url}", one.subject)
                });
            }
            (
                t.n("notify.digest.subject", n),
                lines,
                None,
                "notify.mail.footer_digest",
            )
        }
        _ => return Ok(None),
    };
    if !matches!(
        mail.kind,
        MailKind::Digest | MailKind::StepsOverdue | MailKind::WorkshopClosed
    ) {
        lines.push(t.n("mail.title", param(p, "title")));
    }
    render(t, subject, &lines, &link, footer, choices).map(Some)
}
