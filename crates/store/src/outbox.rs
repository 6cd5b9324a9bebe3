//! The outbox: every mail Sluss sends is first a row here, written in the transaction of
//! the event that caused it, and sent by a job. Its recipient is personal data: erased with
//! the person ([`erase_recipient`], [`erase_subject`]).

use crate::db::{Arg, Sql, Tx, sql};
use domain::id::OrgId;
use domain::jobs::{MailKind, MailState};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    #[sqlx(try_from = "String")]
    pub kind: MailKind,
    pub lang: String,
    pub recipient: String,
    pub subject_type: String,
    pub subject_id: String,
    /// JSON: what the templates of `kind` need.
    pub params: String,
    #[sqlx(try_from = "String")]
    pub state: MailState,
    pub created_at: String,
    pub sent_at: Option<String>,
}

const COLUMNS: &str = "id, org_id, kind, lang, recipient, subject_type, subject_id, params, state, created_at, sent_at";

pub struct NewMail<'a> {
    pub org_id: &'a OrgId,
    pub kind: MailKind,
    pub lang: &'a str,
    pub recipient: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub params: &'a serde_json::Value,
}

pub async fn insert(tx: &mut Tx, m: &NewMail<'_>, now: &str) -> crate::Result<String> {
    let id = crate::new_id();
    tx.execute(
        sql("INSERT INTO outbox (id, org_id, kind, lang, recipient, subject_type, subject_id, params, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)")
            .bind(id.as_str())
            .bind(m.org_id)
            .bind(m.kind.as_str())
            .bind(m.lang)
            .bind(m.recipient)
            .bind(m.subject_type)
            .bind(m.subject_id)
            .bind(m.params.to_string())
            .bind(now),
    )
    .await?;
    Ok(id)
}

pub async fn by_id(tx: &mut Tx, id: &str) -> crate::Result<Option<OutboxRow>> {
    tx.fetch_optional(
        Sql::dynamic(format!("SELECT {COLUMNS} FROM outbox WHERE id = ?"), vec![]).bind(id),
    )
    .await
}

/// Marks a mail sent; false when it was sent (or erased) already.
pub async fn mark_sent(tx: &mut Tx, id: &str, now: &str) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("UPDATE outbox SET state = 'sent', sent_at = ? WHERE id = ? AND state = 'queued'")
                .bind(now)
                .bind(id),
        )
        .await?;
    Ok(n == 1)
}

/// The newest mails of the organisations given, newest first (keyset by creation time and id).
pub async fn of_orgs(
    tx: &mut Tx,
    org_ids: &[OrgId],
    before: Option<(&str, &str)>,
    limit: i64,
) -> crate::Result<Vec<OutboxRow>> {
    if org_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args: Vec<Arg> = org_ids.iter().map(Arg::from).collect();
    let mut text = format!(
        "SELECT {COLUMNS} FROM outbox WHERE org_id IN ({})",
        vec!["?"; org_ids.len()].join(", ")
    );
    if let Some((at, id)) = before {
        text.push_str(" AND (created_at < ? OR (created_at = ? AND id < ?))");
        args.extend([at.into(), at.into(), id.into()]);
    }
    text.push_str(" ORDER BY created_at DESC, id DESC LIMIT ?");
    args.push(limit.into());
    tx.fetch_all(Sql::dynamic(text, args)).await
}

/// Removes every mail to this address (sent or not): the person's data leaves the outbox.
/// A send job left without its mail finds nothing to send.
pub async fn erase_recipient(tx: &mut Tx, recipient: &str) -> crate::Result<u64> {
    tx.execute(sql("DELETE FROM outbox WHERE recipient = ?").bind(recipient))
        .await
}

/// Removes the mails about one subject (a submission whose contact details are erased).
pub async fn erase_subject(tx: &mut Tx, subject_id: &str) -> crate::Result<u64> {
    tx.execute(sql("DELETE FROM outbox WHERE subject_id = ?").bind(subject_id))
        .await
}

/// The `LIKE` pattern of an accessibility report's `params` that name this reply address.
fn reply_to_pattern(email: &str) -> String {
    let escaped: String = email
        .chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%\"reply_to\":\"{escaped}\"%")
}

/// The accessibility reports that left this address for an answer.
pub async fn reports_from(tx: &mut Tx, email: &str) -> crate::Result<Vec<OutboxRow>> {
    tx.fetch_all(
        Sql::dynamic(
            format!("SELECT {COLUMNS} FROM outbox WHERE kind = 'accessibility_report' AND params LIKE ? ESCAPE '\\' ORDER BY created_at"),
            vec![],
        )
        .bind(reply_to_pattern(email)),
    )
    .await
}

/// Removes the accessibility reports that left this address (erasure of the person).
pub async fn erase_reports_from(tx: &mut Tx, email: &str) -> crate::Result<u64> {
    tx.execute(
        sql("DELETE FROM outbox WHERE kind = 'accessibility_report' AND params LIKE ? ESCAPE '\\'")
            .bind(reply_to_pattern(email)),
    )
    .await
}

/// What a mail to a submitter needs of the submission: its contact address (None when
/// none was left or it was erased), language, organisation, reference and title.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Contact {
    pub id: String,
    pub contact_email: Option<String>,
    pub contact_lang: Option<String>,
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    pub reference: String,
    pub title: String,
}

pub async fn contact_of(tx: &mut Tx, submission_id: &str) -> crate::Result<Option<Contact>> {
    tx.fetch_optional(
        sql("SELECT id, contact_email, contact_lang, org_id, reference, title FROM submissions WHERE id = ?")
            .bind(submission_id),
    )
    .await
}

/// Records the language the submitter wrote in, for later mails about the submission.
pub async fn set_contact_lang(tx: &mut Tx, submission_id: &str, lang: &str) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE submissions SET contact_lang = ? WHERE id = ?")
            .bind(lang)
            .bind(submission_id),
    )
    .await?;
    Ok(())
}
