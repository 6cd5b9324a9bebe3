//! Submissions (needs, ideas, offers) and the messages exchanged with their submitters.

use domain::id::{OrgId, SubmissionId, UserId};
use domain::submission::{SubmissionKind, SubmissionStatus, SubmitterRole};
use domain::triage::{MessageDirection, MessageKind};

use crate::db::{Arg, Sql, Tx, sql};
use crate::users::placeholders;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubmissionRow {
    #[sqlx(try_from = "String")]
    pub id: SubmissionId,
    pub reference: String,
    #[sqlx(try_from = "String")]
    pub registered_org_id: OrgId,
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    pub org_name: String,
    #[sqlx(try_from = "String")]
    pub kind: SubmissionKind,
    pub title: String,
    pub description: String,
    pub affected: Option<String>,
    pub current_solution: Option<String>,
    #[sqlx(try_from = "String")]
    pub submitter_role: SubmitterRole,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub consent: bool,
    pub channel: String,
    #[sqlx(try_from = "String")]
    pub status: SubmissionStatus,
    #[sqlx(try_from = "crate::Nullable")]
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub duplicate_of_id: Option<String>,
    pub duplicate_of_reference: Option<String>,
    pub reject_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const SELECT: &str = "SELECT s.id, s.reference, s.registered_org_id, s.org_id, o.name AS org_name, s.kind, s.title, s.description,
    s.affected, s.current_solution, s.submitter_role, s.contact_name, s.contact_email, s.consent, s.channel, s.status,
    s.assignee_id, u.name AS assignee_name, s.duplicate_of_id, d.reference AS duplicate_of_reference, s.reject_reason,
    s.created_at, s.updated_at
    FROM submissions s
    JOIN organisations o ON o.id = s.org_id
    LEFT JOIN users u ON u.id = s.assignee_id
    LEFT JOIN submissions d ON d.id = s.duplicate_of_id";

/// What is written when a submission is registered.
#[derive(Debug, Clone)]
pub struct InsertSubmission<'a> {
    pub id: &'a SubmissionId,
    pub reference: &'a str,
    /// The organisation whose series the reference belongs to (the region).
    pub registered_org_id: &'a OrgId,
    /// The receiving organisation (the region or one of its units).
    pub org_id: &'a OrgId,
    pub kind: SubmissionKind,
    pub title: &'a str,
    pub description: &'a str,
    pub affected: Option<&'a str>,
    pub current_solution: Option<&'a str>,
    pub submitter_role: SubmitterRole,
    pub contact_name: Option<&'a str>,
    pub contact_email: Option<&'a str>,
    pub consent: bool,
    pub channel: &'a str,
    pub follow_up_hash: &'a str,
    pub now: &'a str,
}

pub async fn insert(tx: &mut Tx, s: &InsertSubmission<'_>) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO submissions (id, reference, registered_org_id, org_id, kind, title, description, affected, current_solution,
             submitter_role, contact_name, contact_email, consent, channel, status, follow_up_hash, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)")
        .bind(s.id.as_str())
        .bind(s.reference)
        .bind(s.registered_org_id)
        .bind(s.org_id)
        .bind(s.kind.as_str())
        .bind(s.title)
        .bind(s.description)
        .bind(s.affected)
        .bind(s.current_solution)
        .bind(s.submitter_role.as_str())
        .bind(s.contact_name)
        .bind(s.contact_email)
        .bind(s.consent)
        .bind(s.channel)
        .bind(s.follow_up_hash)
        .bind(s.now)
        .bind(s.now),
    )
    .await?;
    Ok(())
}

pub async fn by_id(tx: &mut Tx, id: &SubmissionId) -> crate::Result<Option<SubmissionRow>> {
    tx.fetch_optional(Sql::dynamic(
        format!("{SELECT} WHERE s.id = ?"),
        vec![id.as_str().into()],
    ))
    .await
}

pub async fn by_follow_up_hash(tx: &mut Tx, hash: &str) -> crate::Result<Option<SubmissionRow>> {
    tx.fetch_optional(Sql::dynamic(
        format!("{SELECT} WHERE s.follow_up_hash = ?"),
        vec![hash.into()],
    ))
    .await
}

/// A submission by its reference among the given organisations.
/// A submission by its reference, among those whose organisation (where it is handled now)
/// is one of `visible`: what the caller may see, within one region. A submission outside
/// is not found, exactly as one that does not exist.
pub async fn by_reference(
    tx: &mut Tx,
    reference: &str,
    visible: &[OrgId],
) -> crate::Result<Option<SubmissionRow>> {
    if visible.is_empty() {
        return Ok(None);
    }
    let mut args: Vec<Arg> = vec![reference.into()];
    args.extend(visible.iter().map(|o| o.as_str().into()));
    let text = format!(
        "{SELECT} WHERE s.reference = ? AND s.org_id IN ({}) ORDER BY s.created_at LIMIT 1",
        placeholders(visible.len())
    );
    tx.fetch_optional(Sql::dynamic(text, args)).await
}

/// Inbox filters. `org_ids` is what the caller may see; the rest narrows it.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub org_ids: Vec<OrgId>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub submitter_role: Option<String>,
    pub unit: Option<OrgId>,
    pub assignee_id: Option<UserId>,
    /// Inclusive lower bound on `created_at` (stored form).
    pub from: Option<String>,
    /// Exclusive upper bound on `created_at` (stored form).
    pub until: Option<String>,
    /// Matches reference or title, case-insensitively.
    pub q: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

fn where_clause(f: &Filter, backend: crate::Backend) -> (String, Vec<Arg>) {
    let mut clauses = vec![format!("s.org_id IN ({})", placeholders(f.org_ids.len()))];
    let mut args: Vec<Arg> = f.org_ids.iter().map(|o| o.as_str().into()).collect();
    let mut eq = |col: &str, v: Option<&str>| {
        if let Some(v) = v {
            clauses.push(format!("{col} = ?"));
            args.push(v.into());
        }
    };
    eq("s.status", f.status.as_deref());
    eq("s.kind", f.kind.as_deref());
    eq("s.submitter_role", f.submitter_role.as_deref());
    eq("s.org_id", f.unit.as_ref().map(OrgId::as_str));
    eq("s.assignee_id", f.assignee_id.as_ref().map(UserId::as_str));
    if let Some(from) = &f.from {
        clauses.push("s.created_at >= ?".into());
        args.push(from.as_str().into());
    }
    if let Some(until) = &f.until {
        clauses.push("s.created_at < ?".into());
        args.push(until.as_str().into());
    }
    if let Some(q) = &f.q {
        if backend == crate::Backend::Sqlite && q.chars().count() >= 3 {
            // The trigram index (migration 7) finds any part of three characters or more,
            // in any case, Å as well as A. The text is one FTS5 string: nothing in it is
            // read as query syntax.
            clauses.push(
                "s.id IN (SELECT submission_id FROM submissions_search WHERE submissions_search MATCH ?)"
                    .into(),
            );
            args.push(format!("\"{}\"", q.replace('"', "\"\"")).into());
        } else {
            // PostgreSQL's trigram indexes serve this LIKE; on SQLite a search of one or two
            // characters (which a trigram cannot hold) reads the rows.
            let pattern = format!(
                "%{}%",
                q.to_lowercase()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            clauses.push(
                "(LOWER(s.title) LIKE ? ESCAPE '\\' OR LOWER(s.reference) LIKE ? ESCAPE '\\')"
                    .into(),
            );
            args.push(pattern.clone().into());
            args.push(pattern.into());
        }
    }
    (clauses.join(" AND "), args)
}

/// One page of the inbox, newest first, and the total count for paging.
pub async fn list(tx: &mut Tx, f: &Filter) -> crate::Result<(Vec<SubmissionRow>, i64)> {
    if f.org_ids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let (clause, args) = where_clause(f, tx.backend());
    let (total,): (i64,) = tx
        .fetch_one(Sql::dynamic(
            format!("SELECT COUNT(*) FROM submissions s WHERE {clause}"),
            args.clone(),
        ))
        .await?;
    let mut page_args = args;
    page_args.push(f.limit.into());
    page_args.push(f.offset.into());
    // Newest first, read in that order from the time index and only as far as the page
    // reaches. SQLite's planner may otherwise take the (org, status) index and sort every
    // match, tens of thousands of wide rows per page at scale, so it is told which index to
    // use; PostgreSQL's planner chooses well by itself. A text search matches few rows, so
    // there scanning the table and sorting the matches is cheaper.
    let select = match tx.backend() {
        crate::Backend::Sqlite if f.q.is_none() => SELECT.replacen(
            "FROM submissions s\n",
            "FROM submissions s INDEXED BY submissions_created\n",
            1,
        ),
        _ => SELECT.to_string(),
    };
    let rows = tx
        .fetch_all(Sql::dynamic(
            format!(
                "{select} WHERE {clause} ORDER BY s.created_at DESC, s.reference DESC LIMIT ? OFFSET ?"
            ),
            page_args,
        ))
        .await?;
    Ok((rows, total))
}

/// The fields triage changes, written together.
#[derive(Debug, Clone)]
pub struct TriageUpdate<'a> {
    pub status: SubmissionStatus,
    pub org_id: &'a OrgId,
    pub assignee_id: Option<&'a UserId>,
    pub duplicate_of_id: Option<&'a str>,
    pub reject_reason: Option<&'a str>,
    pub now: &'a str,
}

pub async fn update_triage(
    tx: &mut Tx,
    id: &SubmissionId,
    u: &TriageUpdate<'_>,
) -> crate::Result<()> {
    tx.execute(
        // `status_at` changes with the status only (the old row's status is compared).
        sql("UPDATE submissions SET status_at = CASE WHEN status <> ? THEN ? ELSE status_at END, status = ?, org_id = ?, assignee_id = ?, duplicate_of_id = ?, reject_reason = ?, updated_at = ? WHERE id = ?")
            .bind(u.status.as_str())
            .bind(u.now)
            .bind(u.status.as_str())
            .bind(u.org_id)
            .bind(u.assignee_id.map(UserId::as_str))
            .bind(u.duplicate_of_id)
            .bind(u.reject_reason)
            .bind(u.now)
            .bind(id.as_str()),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub direction: MessageDirection,
    #[sqlx(try_from = "String")]
    pub kind: MessageKind,
    pub body: String,
    pub created_at: String,
}

pub async fn add_message(
    tx: &mut Tx,
    submission_id: &SubmissionId,
    direction: MessageDirection,
    kind: MessageKind,
    body: &str,
    author_id: Option<&UserId>,
    now: &str,
) -> crate::Result<String> {
    let id = crate::new_id();
    tx.execute(
        sql("INSERT INTO submission_messages (id, submission_id, direction, kind, body, author_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(id.as_str())
            .bind(submission_id.as_str())
            .bind(direction.as_str())
            .bind(kind.as_str())
            .bind(body)
            .bind(author_id.map(UserId::as_str))
            .bind(now),
    )
    .await?;
    Ok(id)
}

pub async fn messages(tx: &mut Tx, submission_id: &SubmissionId) -> crate::Result<Vec<MessageRow>> {
    tx.fetch_all(
        sql("SELECT id, direction, kind, body, created_at FROM submission_messages WHERE submission_id = ? ORDER BY created_at, id").bind(submission_id.as_str()),
    )
    .await
}

pub async fn count_in(tx: &mut Tx, org_id: &OrgId) -> crate::Result<i64> {
    let (n,): (i64,) = tx
        .fetch_one(sql("SELECT COUNT(*) FROM submissions WHERE registered_org_id = ?").bind(org_id))
        .await?;
    Ok(n)
}

/// Removes the submitter's name and e-mail address from one submission.
pub async fn erase_contact(tx: &mut Tx, id: &SubmissionId, now: &str) -> crate::Result<u64> {
    tx.execute(
        sql("UPDATE submissions SET contact_name = NULL, contact_email = NULL, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(id.as_str()),
    )
    .await
}

/// Every submission whose submitter gave this e-mail address (stored lowercased).
pub async fn by_contact_email(tx: &mut Tx, email: &str) -> crate::Result<Vec<SubmissionRow>> {
    tx.fetch_all(Sql::dynamic(
        format!("{SELECT} WHERE s.contact_email = ? ORDER BY s.created_at"),
        vec![email.trim().to_lowercase().into()],
    ))
    .await
}
