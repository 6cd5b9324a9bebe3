//! The daily jobs: the digest (one mail per person with what they chose to get once a day)
//! and the reminder of overdue checklist steps (one mail per person listing theirs). Each
//! is a job whose id names its day (`notify.digest@2026-12-01`): every node that starts
//! schedules the next one and each run schedules the one after, and the id makes it exist
//! once; the job table's claiming runs it on one node.

use std::collections::BTreeMap;

use domain::id::{OrgId, UserId};
use domain::jobs::{DIGEST, MailKind, OVERDUE, next_daily};
use domain::time::Timestamp;
use store::jobs::JobRow;
use store::notify::{self as prefs, Staff};
use store::outbox::NewMail;

use crate::App;
use crate::error::Result;
use crate::jobs::{Handler, JobFuture};

/// Schedules the next run of both daily jobs, unless it is scheduled.
pub async fn schedule_daily(app: &App) -> Result<()> {
    let mut tx = app.db.write().await?;
    schedule_next(&mut tx, Timestamp::now(), None).await?;
    tx.commit().await?;
    Ok(())
}

/// Schedules both daily jobs at the next five o'clock after `now`, or the one after that
/// when `ran` (the job id just run) already names that day (a run brought forward).
async fn schedule_next(tx: &mut store::Tx, now: Timestamp, ran: Option<&str>) -> Result<()> {
    let mut at = next_daily(now);
    if ran.is_some_and(|id| id.ends_with(&format!("@{}", at.date_string()))) {
        at = at.plus_days(1);
    }
    for kind in [DIGEST, OVERDUE] {
        let id = format!("{kind}@{}", at.date_string());
        store::jobs::enqueue_once(
            tx,
            &id,
            kind,
            domain::jobs::MAX_ATTEMPTS,
            &at.to_db(),
            &now.to_db(),
        )
        .await?;
    }
    Ok(())
}

fn failed(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The daily digest.
pub struct Digest;

impl Handler for Digest {
    fn kind(&self) -> &'static str {
        DIGEST
    }

    fn run<'a>(&'a self, app: &'a App, job: &'a JobRow) -> JobFuture<'a> {
        Box::pin(async move {
            let n = send_digests(app, &job.id).await.map_err(failed)?;
            if n > 0 {
                app.wake_jobs();
            }
            Ok(())
        })
    }
}

/// Gathers what waits for a digest into one mail per address, in one transaction with the
/// next day's job (a repeated run finds nothing left). Returns how many were queued.
async fn send_digests(app: &App, job_id: &str) -> Result<usize> {
    let now = Timestamp::now();
    let mut tx = app.db.write().await?;
    let due = prefs::digest_due(&mut tx, &now.to_db()).await?;
    let mut by_address: BTreeMap<&str, Vec<&prefs::DigestRow>> = BTreeMap::new();
    for row in &due {
        by_address.entry(&row.address).or_default().push(row);
    }
    for (address, rows) in &by_address {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                let params: serde_json::Value =
                    serde_json::from_str(&r.params).unwrap_or(serde_json::Value::Null);
                serde_json::json!({ "kind": r.kind.as_str(), "params": params })
            })
            .collect();
        let last = rows[rows.len() - 1];
        let id = store::new_id();
        crate::mail::queue(
            &mut tx,
            &NewMail {
                org_id: &last.org_id,
                kind: MailKind::Digest,
                lang: &last.lang,
                recipient: address,
                subject_type: "digest",
                subject_id: &id,
                params: &serde_json::json!({ "items": items }),
            },
            &now,
        )
        .await?;
        for r in rows {
            prefs::remove_digest(&mut tx, &r.id).await?;
        }
    }
    schedule_next(&mut tx, now, Some(job_id)).await?;
    tx.commit().await?;
    Ok(by_address.len())
}

/// The daily reminder of overdue checklist steps.
pub struct Overdue;

impl Handler for Overdue {
    fn kind(&self) -> &'static str {
        OVERDUE
    }

    fn run<'a>(&'a self, app: &'a App, job: &'a JobRow) -> JobFuture<'a> {
        Box::pin(async move {
            if remind_overdue(app, &job.id).await.map_err(failed)? {
                app.wake_jobs();
            }
            Ok(())
        })
    }
}

/// One mail per person (a case's handler, the working group's members with an account)
/// listing the overdue steps of their active cases. Returns whether a mail was queued.
async fn remind_overdue(app: &App, job_id: &str) -> Result<bool> {
    let now = Timestamp::now();
    let tree = app.tree().await?;
    let mut tx = app.db.write().await?;
    let rows = store::cases::list(
        &mut tx,
        &store::cases::Filter {
            org_ids: tree.all.iter().map(|o| o.id.clone()).collect(),
            status: Some("active".into()),
            due_before: Some(now.to_db()),
            limit: 10_000,
            ..Default::default()
        },
    )
    .await?;
    // Per person: the org of their first case (the mail's region) and the steps' lines.
    let mut people: BTreeMap<UserId, (OrgId, Vec<serde_json::Value>)> = BTreeMap::new();
    for row in &rows {
        let (template, state) = crate::cases::replay_for_system(&mut tx, row).await?;
        let steps = crate::cases::overdue_steps(row, &template, &state, now);
        if steps.is_empty() {
            continue;
        }
        let members = store::cases::members(&mut tx, &row.id).await?;
        let mut whom: Vec<UserId> = row.handler_id.iter().cloned().collect();
        whom.extend(members.into_iter().filter_map(|m| m.user_id));
        whom.sort();
        whom.dedup();
        for user_id in whom {
            let entry = people
                .entry(user_id)
                .or_insert_with(|| (row.org_id.clone(), Vec::new()));
            for s in &steps {
                entry.1.push(serde_json::json!({
                    "reference": row.reference,
                    "title": row.title,
                    "step": s.step_name,
                    "due": s.due.date_string(),
                    "url": format!("{}/arenden/{}", app.config.public_url, row.id.as_str()),
                }));
            }
        }
    }
    let mut queued = false;
    for (user_id, (org_id, steps)) in &people {
        let Some(to): Option<Staff> = super::staff_by_id(&mut tx, user_id).await? else {
            continue;
        };
        queued |= super::deliver(
            &mut tx,
            &NewMail {
                org_id,
                kind: MailKind::StepsOverdue,
                lang: super::language(Some(&to.lang)),
                recipient: &to.email,
                subject_type: "user",
                subject_id: to.id.as_str(),
                params: &serde_json::json!({
                    "steps": steps,
                    "url": format!("{}/arenden/forsenade", app.config.public_url),
                }),
            },
            &now,
        )
        .await?;
    }
    schedule_next(&mut tx, now, Some(job_id)).await?;
    tx.commit().await?;
    Ok(queued)
}
