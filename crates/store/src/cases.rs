//! Cases (ärenden): the row that lists and the public register read, the submissions a case
//! grew from, and its working group. The case's history is in [`crate::events`].

use domain::case::CaseStatus;
use domain::id::{CaseId, OrgId, SubmissionId, TemplateId, UserId};
use domain::process::Vagval;

use crate::db::{Arg, Sql, Tx, sql};
use crate::users::placeholders;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    #[sqlx(try_from = "String")]
    pub id: CaseId,
    pub reference: String,
    #[sqlx(try_from = "String")]
    pub registered_org_id: OrgId,
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    pub org_name: String,
    #[sqlx(try_from = "String")]
    pub template_id: TemplateId,
    pub template_key: String,
    pub template_version: i64,
    pub title: String,
    pub public_title: String,
    pub description: String,
    #[sqlx(try_from = "crate::Nullable")]
    pub handler_id: Option<UserId>,
    pub handler_name: Option<String>,
    /// A key of the case's process template (templates define their own phases), so text.
    pub phase_key: String,
    pub phase_started_at: String,
    #[sqlx(try_from = "String")]
    pub status: CaseStatus,
    #[sqlx(try_from = "crate::Nullable")]
    pub vagval: Option<Vagval>,
    pub next_due_at: Option<String>,
    pub confidential: bool,
    pub legal_ground: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

const SELECT: &str = "SELECT c.id, c.reference, c.registered_org_id, c.org_id, o.name AS org_name, c.template_id,
    t.template_key, t.version AS template_version, c.title, c.public_title, c.description, c.handler_id,
    u.name AS handler_name, c.phase_key, c.phase_started_at, c.status, c.vagval, c.next_due_at, c.confidential,
    c.legal_ground, c.version, c.created_at, c.updated_at
    FROM cases c
    JOIN organisations o ON o.id = c.org_id
    JOIN process_templates t ON t.id = c.template_id
    LEFT JOIN users u ON u.id = c.handler_id";

pub struct NewCase<'a> {
    pub id: &'a CaseId,
    pub reference: &'a str,
    pub registered_org_id: &'a OrgId,
    pub org_id: &'a OrgId,
    pub template_id: &'a TemplateId,
    pub title: &'a str,
    pub public_title: &'a str,
    pub description: &'a str,
    pub handler_id: Option<&'a UserId>,
    pub phase_key: &'a str,
    pub next_due_at: Option<&'a str>,
    pub created_by: Option<&'a UserId>,
    pub now: &'a str,
}

pub async fn insert(tx: &mut Tx, c: &NewCase<'_>) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO cases (id, reference, registered_org_id, org_id, template_id, title, public_title, description,
             handler_id, phase_key, phase_started_at, status, vagval, next_due_at, confidential, legal_ground, version,
             created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', NULL, ?, ?, NULL, 1, ?, ?, ?)")
        .bind(c.id.as_str())
        .bind(c.reference)
        .bind(c.registered_org_id)
        .bind(c.org_id)
        .bind(c.template_id)
        .bind(c.title)
        .bind(c.public_title)
        .bind(c.description)
        .bind(c.handler_id.map(UserId::as_str))
        .bind(c.phase_key)
        .bind(c.now)
        .bind(c.next_due_at)
        .bind(false)
        .bind(c.created_by.map(UserId::as_str))
        .bind(c.now)
        .bind(c.now),
    )
    .await?;
    Ok(())
}

/// How many cases a region has registered.
pub async fn count_in(tx: &mut Tx, region_id: &OrgId) -> crate::Result<i64> {
    let (n,): (i64,) = tx
        .fetch_one(sql("SELECT COUNT(*) FROM cases WHERE registered_org_id = ?").bind(region_id))
        .await?;
    Ok(n)
}

pub async fn by_id(tx: &mut Tx, id: &CaseId) -> crate::Result<Option<CaseRow>> {
    tx.fetch_optional(Sql::dynamic(
        format!("{SELECT} WHERE c.id = ?"),
        vec![id.as_str().into()],
    ))
    .await
}

/// The state columns a change to the case's process moves.
pub struct StateUpdate<'a> {
    pub phase_key: &'a str,
    pub phase_started_at: &'a str,
    pub status: CaseStatus,
    pub vagval: Option<Vagval>,
    pub next_due_at: Option<&'a str>,
    pub now: &'a str,
}

/// Moves the case from `version` to `version + 1`; false when someone else changed it first.
pub async fn update_state(
    tx: &mut Tx,
    id: &CaseId,
    version: i64,
    u: &StateUpdate<'_>,
) -> crate::Result<bool> {
    let n = tx
        .execute(
            // `status_at` changes with the status only (the old row's status is compared).
            sql(
                "UPDATE cases SET status_at = CASE WHEN status <> ? THEN ? ELSE status_at END,
                 phase_key = ?, phase_started_at = ?, status = ?, vagval = ?, next_due_at = ?,
                 updated_at = ?, version = version + 1 WHERE id = ? AND version = ?",
            )
            .bind(u.status.as_str())
            .bind(u.now)
            .bind(u.phase_key)
            .bind(u.phase_started_at)
            .bind(u.status.as_str())
            .bind(u.vagval.map(|v| v.as_str()))
            .bind(u.next_due_at)
            .bind(u.now)
            .bind(id.as_str())
            .bind(version),
        )
        .await?;
    Ok(n == 1)
}

/// The descriptive fields, edited together.
pub struct DetailsUpdate<'a> {
    pub title: &'a str,
    pub public_title: &'a str,
    pub description: &'a str,
    pub org_id: &'a OrgId,
    pub handler_id: Option<&'a UserId>,
    pub confidential: bool,
    pub legal_ground: Option<&'a str>,
    pub now: &'a str,
}

pub async fn update_details(
    tx: &mut Tx,
    id: &CaseId,
    version: i64,
    u: &DetailsUpdate<'_>,
) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("UPDATE cases SET title = ?, public_title = ?, description = ?, org_id = ?, handler_id = ?, confidential = ?,
                 legal_ground = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?")
            .bind(u.title)
            .bind(u.public_title)
            .bind(u.description)
            .bind(u.org_id)
            .bind(u.handler_id.map(UserId::as_str))
            .bind(u.confidential)
            .bind(u.legal_ground)
            .bind(u.now)
            .bind(id.as_str())
            .bind(version),
        )
        .await?;
    Ok(n == 1)
}

/// Bumps the version for a change that touches no column of its own (a new member).
pub async fn touch(tx: &mut Tx, id: &CaseId, version: i64, now: &str) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("UPDATE cases SET updated_at = ?, version = version + 1 WHERE id = ? AND version = ?")
                .bind(now)
                .bind(id.as_str())
                .bind(version),
        )
        .await?;
    Ok(n == 1)
}

pub async fn link_submission(
    tx: &mut Tx,
    case_id: &CaseId,
    submission_id: &SubmissionId,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO case_submissions (case_id, submission_id, linked_at) VALUES (?, ?, ?)")
            .bind(case_id.as_str())
            .bind(submission_id.as_str())
            .bind(now),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkedSubmission {
    #[sqlx(try_from = "String")]
    pub id: SubmissionId,
    pub reference: String,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub status: domain::submission::SubmissionStatus,
}

pub async fn submissions_of(tx: &mut Tx, case_id: &CaseId) -> crate::Result<Vec<LinkedSubmission>> {
    tx.fetch_all(
        sql("SELECT s.id, s.reference, s.title, s.status FROM case_submissions cs JOIN submissions s ON s.id = cs.submission_id
             WHERE cs.case_id = ? ORDER BY s.reference")
        .bind(case_id.as_str()),
    )
    .await
}

/// The cases a submission became part of (what its follow-up page shows).
pub async fn of_submission(
    tx: &mut Tx,
    submission_id: &SubmissionId,
) -> crate::Result<Vec<CaseRow>> {
    tx.fetch_all(Sql::dynamic(
        format!(
            "{SELECT} WHERE c.id IN (SELECT case_id FROM case_submissions WHERE submission_id = ?) ORDER BY c.created_at"
        ),
        vec![submission_id.as_str().into()],
    ))
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub id: String,
    #[sqlx(try_from = "crate::Nullable")]
    pub user_id: Option<UserId>,
    pub name: String,
    pub function_key: String,
    pub added_at: String,
}

pub struct NewMember<'a> {
    pub case_id: &'a CaseId,
    pub user_id: Option<&'a UserId>,
    pub name: &'a str,
    pub function_key: &'a str,
    pub now: &'a str,
}

pub async fn add_member(tx: &mut Tx, m: &NewMember<'_>) -> crate::Result<String> {
    let id = crate::new_id();
    tx.execute(
        sql("INSERT INTO case_members (id, case_id, user_id, name, function_key, added_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id.as_str())
            .bind(m.case_id.as_str())
            .bind(m.user_id.map(UserId::as_str))
            .bind(m.name)
            .bind(m.function_key)
            .bind(m.now),
    )
    .await?;
    Ok(id)
}

pub async fn remove_member(tx: &mut Tx, case_id: &CaseId, member_id: &str) -> crate::Result<u64> {
    tx.execute(
        sql("DELETE FROM case_members WHERE case_id = ? AND id = ?")
            .bind(case_id.as_str())
            .bind(member_id),
    )
    .await
}

pub async fn members(tx: &mut Tx, case_id: &CaseId) -> crate::Result<Vec<MemberRow>> {
    tx.fetch_all(
        sql("SELECT id, user_id, name, function_key, added_at FROM case_members WHERE case_id = ? ORDER BY added_at, id")
            .bind(case_id.as_str()),
    )
    .await
}

/// Case filters. `org_ids` is what the caller may see; the rest narrows it.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub org_ids: Vec<OrgId>,
    pub unit: Option<OrgId>,
    pub handler_id: Option<UserId>,
    /// Cases where this user is the handler or in the working group.
    pub involving: Option<UserId>,
    pub vagval: Option<String>,
    pub status: Option<String>,
    /// Active cases with a step due before this time.
    pub due_before: Option<String>,
    /// Matches reference or title, case-insensitively.
    pub q: Option<String>,
    pub limit: i64,
}

pub async fn list(tx: &mut Tx, f: &Filter) -> crate::Result<Vec<CaseRow>> {
    if f.org_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut clauses = vec![format!("c.org_id IN ({})", placeholders(f.org_ids.len()))];
    let mut args: Vec<Arg> = f.org_ids.iter().map(|o| o.as_str().into()).collect();
    let mut eq = |col: &str, v: Option<&str>| {
        if let Some(v) = v {
            clauses.push(format!("{col} = ?"));
            args.push(v.into());
        }
    };
    eq("c.org_id", f.unit.as_ref().map(OrgId::as_str));
    eq("c.handler_id", f.handler_id.as_ref().map(UserId::as_str));
    eq("c.vagval", f.vagval.as_deref());
    eq("c.status", f.status.as_deref());
    if let Some(u) = &f.involving {
        clauses.push(
            "(c.handler_id = ? OR c.id IN (SELECT case_id FROM case_members WHERE user_id = ?))"
                .into(),
        );
        args.push(u.as_str().into());
        args.push(u.as_str().into());
    }
    if let Some(t) = &f.due_before {
        clauses.push("c.status = 'active' AND c.next_due_at < ?".into());
        args.push(t.as_str().into());
    }
    if let Some(q) = &f.q {
        clauses.push(
            "(LOWER(c.title) LIKE ? ESCAPE '\\' OR LOWER(c.reference) LIKE ? ESCAPE '\\')".into(),
        );
        let p = like_pattern(q);
        args.push(p.clone().into());
        args.push(p.into());
    }
    args.push(f.limit.into());
    tx.fetch_all(Sql::dynamic(
        format!(
            "{SELECT} WHERE {} ORDER BY c.created_at DESC, c.id DESC LIMIT ?",
            clauses.join(" AND ")
        ),
        args,
    ))
    .await
}

fn like_pattern(q: &str) -> String {
    format!(
        "%{}%",
        q.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// One line of the public register: only what may be public. Submissions and cases share
/// its columns, so `status` and `heading` name a submission's status and kind or a case's
/// status and title by `entry_type`, and stay text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DiariumRow {
    /// `submission` or `case`.
    pub entry_type: String,
    pub id: String,
    pub reference: String,
    pub registered_at: String,
    pub org_name: String,
    /// For a submission its kind; for a case its public title (masked when confidential).
    pub heading: String,
    pub status: String,
    pub phase_key: Option<String>,
    #[sqlx(try_from = "crate::Nullable")]
    pub template_id: Option<TemplateId>,
    pub confidential: bool,
    pub legal_ground: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DiariumFilter {
    /// Matches the diarienummer, case-insensitively.
    pub reference: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// The public register, newest first, and its total for paging. A submission shows its
/// kind, never its submitter's words; a confidential case shows no title at all.
pub async fn diarium(tx: &mut Tx, f: &DiariumFilter) -> crate::Result<(Vec<DiariumRow>, i64)> {
    // The same filter on each half of the register, by its own columns.
    let filter = |reference: &str, at: &str| {
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<Arg> = Vec::new();
        if let Some(r) = &f.reference {
            clauses.push(format!("LOWER({reference}) LIKE ? ESCAPE '\\'"));
            args.push(like_pattern(r).into());
        }
        if let Some(from) = &f.from {
            clauses.push(format!("{at} >= ?"));
            args.push(from.as_str().into());
        }
        if let Some(until) = &f.until {
            clauses.push(format!("{at} < ?"));
            args.push(until.as_str().into());
        }
        let text = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        (text, args)
    };
    let (s_where, s_args) = filter("s.reference", "s.created_at");
    let (c_where, c_args) = filter("c.reference", "c.created_at");
    let mut args = s_args.clone();
    args.extend(c_args.clone());
    let (total,): (i64,) = tx
        .fetch_one(Sql::dynamic(
            format!(
                "SELECT (SELECT COUNT(*) FROM submissions s {s_where}) + (SELECT COUNT(*) FROM cases c {c_where})"
            ),
            args,
        ))
        .await?;
    // Each half read newest first only as far as the page reaches (both are indexed by
    // time), then merged: the page of the whole is within the two halves' first pages.
    let reach = f.offset + f.limit;
    let mut args = s_args;
    args.push(reach.into());
    args.extend(c_args);
    args.push(reach.into());
    args.push(f.limit.into());
    args.push(f.offset.into());
    let rows = tx
        .fetch_all(Sql::dynamic(
            format!(
                "SELECT entry_type, id, reference, registered_at, org_name, heading, status, phase_key, template_id, confidential, legal_ground FROM (
                   SELECT * FROM (
                     SELECT 'submission' AS entry_type, s.id, s.reference, s.created_at AS registered_at, o.name AS org_name,
                       s.kind AS heading, s.status, CAST(NULL AS TEXT) AS phase_key, CAST(NULL AS TEXT) AS template_id, FALSE AS confidential, CAST(NULL AS TEXT) AS legal_ground
                     FROM submissions s JOIN organisations o ON o.id = s.org_id {s_where}
                     ORDER BY s.created_at DESC, s.reference DESC LIMIT ?) sub
                   UNION ALL
                   SELECT * FROM (
                     SELECT 'case' AS entry_type, c.id, c.reference, c.created_at AS registered_at, o.name AS org_name,
                       CASE WHEN c.confidential THEN '' ELSE c.public_title END AS heading, c.status, c.phase_key, c.template_id, c.confidential, c.legal_ground
                     FROM cases c JOIN organisations o ON o.id = c.org_id {c_where}
                     ORDER BY c.created_at DESC, c.reference DESC LIMIT ?) cas
                 ) d ORDER BY registered_at DESC, reference DESC LIMIT ? OFFSET ?"
            ),
            args,
        ))
        .await?;
    Ok((rows, total))
}
