//! The job table: enqueue in the caller's transaction, claim one due job, finish it or
//! put it back with its error. Claiming is the one statement here that differs by backend.

use crate::db::{Arg, Backend, Sql, Tx, sql};
use domain::id::OrgId;
use domain::jobs::JobState;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub subject_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: String,
    pub claim: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLUMNS: &str = "id, kind, subject_id, state, attempts, max_attempts, run_at, claim, last_error, created_at, updated_at";

/// Adds a job, due at `run_at`, in the caller's transaction (that of the event causing it).
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    subject_id: Option<&str>,
    max_attempts: i64,
    run_at: &str,
    now: &str,
) -> crate::Result<String> {
    let id = crate::new_id();
    tx.execute(
        sql("INSERT INTO jobs (id, kind, subject_id, state, attempts, max_attempts, run_at, created_at, updated_at) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?)")
            .bind(id.as_str())
            .bind(kind)
            .bind(subject_id)
            .bind(max_attempts)
            .bind(run_at)
            .bind(now)
            .bind(now),
    )
    .await?;
    Ok(id)
}

/// Adds a job under an id of the caller's choosing unless one has it already; true when
/// this call added it. A scheduled job (the day's retention run) is named by its day, so
/// that several nodes scheduling it at once make one job.
pub async fn enqueue_once(
    tx: &mut Tx,
    id: &str,
    kind: &str,
    max_attempts: i64,
    run_at: &str,
    now: &str,
) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("INSERT INTO jobs (id, kind, subject_id, state, attempts, max_attempts, run_at, created_at, updated_at) VALUES (?, ?, NULL, 'pending', 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
                .bind(id)
                .bind(kind)
                .bind(max_attempts)
                .bind(run_at)
                .bind(now)
                .bind(now),
        )
        .await?;
    Ok(n == 1)
}

/// Takes the job of one of `kinds` that has been due longest, if any, and marks it running
/// under `claim` until `lease_until` (its `run_at`, so that it falls due again if this node
/// stops before finishing it); counts the try. Returns the row as it was before the claim,
/// its `attempts` being the tries before this one.
///
/// On PostgreSQL several nodes claim at once: `FOR UPDATE SKIP LOCKED` locks the row this
/// transaction takes and passes over rows other transactions hold, so two never take the
/// same job and none waits for another. SQLite has one writer at a time (`Db::write`
/// begins `IMMEDIATE`), which serialises claims by itself; it has no such clause.
pub async fn claim(
    tx: &mut Tx,
    kinds: &[&str],
    now: &str,
    lease_until: &str,
    claim: &str,
) -> crate::Result<Option<JobRow>> {
    if kinds.is_empty() {
        return Ok(None);
    }
    let marks = vec!["?"; kinds.len()].join(", ");
    let lock = match tx.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut args: Vec<Arg> = kinds.iter().map(|k| Arg::from(*k)).collect();
    args.push(now.into());
    let text = format!(
        "SELECT {COLUMNS} FROM jobs WHERE state IN ('pending', 'running') AND kind IN ({marks}) AND run_at <= ? ORDER BY run_at LIMIT 1{lock}"
    );
    let Some(job) = tx
        .fetch_optional::<JobRow>(Sql::dynamic(text, args))
        .await?
    else {
        return Ok(None);
    };
    tx.execute(
        sql("UPDATE jobs SET state = 'running', attempts = attempts + 1, claim = ?, run_at = ?, updated_at = ? WHERE id = ?")
            .bind(claim)
            .bind(lease_until)
            .bind(now)
            .bind(job.id.as_str()),
    )
    .await?;
    Ok(Some(job))
}

/// Marks a job done, if it is still under this claim; false when another claim took it.
pub async fn finish(tx: &mut Tx, id: &str, claim: &str, now: &str) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("UPDATE jobs SET state = 'done', last_error = NULL, updated_at = ? WHERE id = ? AND claim = ? AND state = 'running'")
                .bind(now)
                .bind(id)
                .bind(claim),
        )
        .await?;
    Ok(n == 1)
}

/// Records a failed try: due again at `retry_at`, or failed for good when that is None.
pub async fn fail(
    tx: &mut Tx,
    id: &str,
    claim: &str,
    error: &str,
    retry_at: Option<&str>,
    now: &str,
) -> crate::Result<bool> {
    let state = if retry_at.is_some() {
        JobState::Pending
    } else {
        JobState::Failed
    };
    let n = tx
        .execute(
            sql("UPDATE jobs SET state = ?, last_error = ?, run_at = COALESCE(?, run_at), updated_at = ? WHERE id = ? AND claim = ? AND state = 'running'")
                .bind(state.as_str())
                .bind(error)
                .bind(retry_at)
                .bind(now)
                .bind(id)
                .bind(claim),
        )
        .await?;
    Ok(n == 1)
}

/// Jobs in one state, most recently changed first.
pub async fn list(tx: &mut Tx, state: JobState, limit: i64) -> crate::Result<Vec<JobRow>> {
    tx.fetch_all(
        Sql::dynamic(
            format!(
                "SELECT {COLUMNS} FROM jobs WHERE state = ? ORDER BY updated_at DESC, id LIMIT ?"
            ),
            vec![],
        )
        .bind(state.as_str())
        .bind(limit),
    )
    .await
}

/// One job by id.
pub async fn by_id(tx: &mut Tx, id: &str) -> crate::Result<Option<JobRow>> {
    tx.fetch_optional(
        Sql::dynamic(format!("SELECT {COLUMNS} FROM jobs WHERE id = ?"), vec![]).bind(id),
    )
    .await
}

/// The mail jobs of the organisations given in the states given, most recently changed
/// first: what a region's administrators see of the jobs (a mail belongs to a region).
pub async fn of_mail_in_orgs(
    tx: &mut Tx,
    org_ids: &[OrgId],
    states: &[JobState],
    limit: i64,
) -> crate::Result<Vec<JobRow>> {
    if org_ids.is_empty() || states.is_empty() {
        return Ok(Vec::new());
    }
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("j.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut args: Vec<Arg> = vec![domain::jobs::SEND_MAIL.into()];
    args.extend(org_ids.iter().map(Arg::from));
    args.extend(states.iter().map(|s| Arg::from(s.as_str())));
    args.push(limit.into());
    let text = format!(
        "SELECT {columns} FROM jobs j JOIN outbox o ON o.id = j.subject_id WHERE j.kind = ? AND o.org_id IN ({}) AND j.state IN ({}) ORDER BY j.updated_at DESC, j.id LIMIT ?",
        vec!["?"; org_ids.len()].join(", "),
        vec!["?"; states.len()].join(", ")
    );
    tx.fetch_all(Sql::dynamic(text, args)).await
}
