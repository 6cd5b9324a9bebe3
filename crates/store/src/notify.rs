//! Notification choices, the links that open them without signing in, and what waits for
//! the daily digest. Everything here is keyed by an e-mail address (lowercased by the
//! caller) and erased with it ([`erase_address`]).

use crate::db::{Tx, sql};
use domain::id::{OrgId, ParticipantId};
use domain::jobs::{MailKind, NotifyMode};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PrefRow {
    #[sqlx(try_from = "String")]
    pub kind: MailKind,
    #[sqlx(try_from = "String")]
    pub mode: NotifyMode,
}

/// The choices an address made (kinds without a row have the default).
pub async fn prefs_of(tx: &mut Tx, address: &str) -> crate::Result<Vec<PrefRow>> {
    tx.fetch_all(
        sql("SELECT kind, mode FROM notify_prefs WHERE address = ? ORDER BY kind").bind(address),
    )
    .await
}

/// The choice for one kind, if one was made.
pub async fn mode_of(
    tx: &mut Tx,
    address: &str,
    kind: MailKind,
) -> crate::Result<Option<NotifyMode>> {
    let row: Option<PrefRow> = tx
        .fetch_optional(
            sql("SELECT kind, mode FROM notify_prefs WHERE address = ? AND kind = ?")
                .bind(address)
                .bind(kind.as_str()),
        )
        .await?;
    Ok(row.map(|r| r.mode))
}

pub async fn set_mode(
    tx: &mut Tx,
    address: &str,
    kind: MailKind,
    mode: NotifyMode,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO notify_prefs (address, kind, mode, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (address, kind) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at")
            .bind(address)
            .bind(kind.as_str())
            .bind(mode.as_str())
            .bind(now),
    )
    .await?;
    Ok(())
}

/// A link sent in a mail: whose choices it opens, the kind of that mail, its language.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub address: String,
    #[sqlx(try_from = "String")]
    pub kind: MailKind,
    pub lang: String,
}

pub async fn insert_link(
    tx: &mut Tx,
    token_hash: &str,
    address: &str,
    kind: MailKind,
    lang: &str,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO notify_links (token_hash, address, kind, lang, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(token_hash)
            .bind(address)
            .bind(kind.as_str())
            .bind(lang)
            .bind(now),
    )
    .await?;
    Ok(())
}

pub async fn link(tx: &mut Tx, token_hash: &str) -> crate::Result<Option<LinkRow>> {
    tx.fetch_optional(
        sql("SELECT address, kind, lang FROM notify_links WHERE token_hash = ?").bind(token_hash),
    )
    .await
}

/// A notification waiting for its address's daily digest.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestRow {
    pub id: String,
    pub address: String,
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    pub lang: String,
    #[sqlx(try_from = "String")]
    pub kind: MailKind,
    pub subject_type: String,
    pub subject_id: String,
    pub params: String,
    pub created_at: String,
}

pub async fn insert_digest(
    tx: &mut Tx,
    m: &crate::outbox::NewMail<'_>,
    address: &str,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO notify_digest (id, address, org_id, lang, kind, subject_type, subject_id, params, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(crate::new_id())
            .bind(address)
            .bind(m.org_id)
            .bind(m.lang)
            .bind(m.kind.as_str())
            .bind(m.subject_type)
            .bind(m.subject_id)
            .bind(m.params.to_string())
            .bind(now),
    )
    .await?;
    Ok(())
}

/// Everything waiting for a digest written before `until`, by address, oldest first.
pub async fn digest_due(tx: &mut Tx, until: &str) -> crate::Result<Vec<DigestRow>> {
    tx.fetch_all(
        sql("SELECT id, address, org_id, lang, kind, subject_type, subject_id, params, created_at FROM notify_digest WHERE created_at <= ? ORDER BY address, created_at, id")
            .bind(until),
    )
    .await
}

pub async fn remove_digest(tx: &mut Tx, id: &str) -> crate::Result<()> {
    tx.execute(sql("DELETE FROM notify_digest WHERE id = ?").bind(id))
        .await?;
    Ok(())
}

/// Removes the choices, links and waiting notifications of an address.
pub async fn erase_address(tx: &mut Tx, address: &str) -> crate::Result<()> {
    for table in ["notify_prefs", "notify_links", "notify_digest"] {
        tx.execute(crate::Sql::dynamic(
            format!("DELETE FROM {table} WHERE address = ?"),
            vec![address.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Removes the waiting notifications about one subject (a submission whose contact
/// details are erased).
pub async fn erase_digest_subject(tx: &mut Tx, subject_id: &str) -> crate::Result<()> {
    tx.execute(sql("DELETE FROM notify_digest WHERE subject_id = ?").bind(subject_id))
        .await?;
    Ok(())
}

/// A colleague a notification may go to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Staff {
    #[sqlx(try_from = "String")]
    pub id: domain::id::UserId,
    pub name: String,
    pub email: String,
    /// The language they get mail in (`sv` or `en`).
    pub lang: String,
}

/// An active colleague by id, with their address and mail language.
pub async fn staff_by_id(tx: &mut Tx, id: &domain::id::UserId) -> crate::Result<Option<Staff>> {
    tx.fetch_optional(
        sql("SELECT id, name, email, lang FROM users WHERE id = ? AND active = ?")
            .bind(id)
            .bind(true),
    )
    .await
}

/// Active users holding one of `roles` in one of `org_ids`, with their addresses.
pub async fn staff_with_roles_in(
    tx: &mut Tx,
    org_ids: &[OrgId],
    roles: &[&str],
) -> crate::Result<Vec<Staff>> {
    if org_ids.is_empty() || roles.is_empty() {
        return Ok(Vec::new());
    }
    let mut args: Vec<crate::Arg> = vec![true.into()];
    args.extend(org_ids.iter().map(|o| o.as_str().into()));
    args.extend(roles.iter().map(|r| (*r).into()));
    let text = format!(
        "SELECT DISTINCT u.id, u.name, u.email, u.lang FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.active = ? AND m.org_id IN ({}) AND m.role IN ({}) ORDER BY u.name, u.id",
        crate::users::placeholders(org_ids.len()),
        crate::users::placeholders(roles.len())
    );
    tx.fetch_all(crate::Sql::dynamic(text, args)).await
}

/// The submissions a case grew from.
pub async fn submissions_of_case(tx: &mut Tx, case_id: &str) -> crate::Result<Vec<String>> {
    let rows: Vec<(String,)> = tx
        .fetch_all(
            sql("SELECT submission_id FROM case_submissions WHERE case_id = ? ORDER BY linked_at")
                .bind(case_id),
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Records the address a workshop participant left for the results.
pub async fn set_participant_email(
    tx: &mut Tx,
    participant_id: &ParticipantId,
    address: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE participants SET email = ? WHERE id = ?")
            .bind(address)
            .bind(participant_id),
    )
    .await?;
    Ok(())
}

/// The addresses a campaign's participants left, each once.
pub async fn participant_emails(tx: &mut Tx, campaign_id: &str) -> crate::Result<Vec<String>> {
    let rows: Vec<(String,)> = tx
        .fetch_all(
            sql("SELECT DISTINCT email FROM participants WHERE campaign_id = ? AND email IS NOT NULL ORDER BY email")
                .bind(campaign_id),
        )
        .await?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}

/// Removes an address from every workshop it was left in; returns in how many.
pub async fn erase_participant_email(tx: &mut Tx, address: &str) -> crate::Result<u64> {
    tx.execute(sql("UPDATE participants SET email = NULL WHERE email = ?").bind(address))
        .await
}
