//! Retention (gallring): each region's rules per kind of record (`domain::retention`),
//! edited by the region's administrators, with a dry-run of what each rule would remove
//! now; and the jobs that apply them: every day for every region (the job of a day is named
//! by the day, so several nodes scheduling it make one, and the job table lets one node
//! run it), and at once for one region when its administrator asks. Each rule is applied
//! in one transaction with an event naming what it removed (ids and references), never
//! the removed data itself.

use domain::id::OrgId;
use domain::retention::{Keep, RetentionKind};
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::jobs::JobRow;
use store::orgs::OrgRow;
use store::retention::{self, Target};

use crate::access::Tree;
use crate::admin::units::require_admin;
use crate::error::Result;
use crate::jobs::{Handler, JobFuture};
use crate::{App, AppError, Caller};

/// The job kind of the daily run over every region.
pub const DAILY: &str = "retention.daily";
/// The job kind of a run for one region (its id the job's subject), asked for by its
/// administrator.
pub const RUN: &str = "retention.run";
/// The hour (UTC) of the daily run: night in Sweden.
const DAILY_HOUR: u8 = 2;
/// References on one page of a dry-run.
pub const DRY_RUN_PAGE: i64 = 50;

/// One rule as it applies to a region.
#[derive(Debug, Clone)]
pub struct Rule {
    pub kind: RetentionKind,
    pub keep: Keep,
    /// Set by the region (else the default applies).
    pub set: bool,
    /// How many records it would remove now.
    pub due: i64,
}

/// A region and its rules, in the order of `RetentionKind::regional`.
#[derive(Debug, Clone)]
pub struct RegionRules {
    pub region: OrgRow,
    pub rules: Vec<Rule>,
}

/// The rules in force for each region given (its own rows, else the defaults).
async fn rules_in_force(
    tx: &mut store::Tx,
    regions: &[OrgId],
) -> Result<Vec<(OrgId, Vec<(RetentionKind, Keep, bool)>)>> {
    let rows = retention::rules_of(tx, regions).await?;
    Ok(regions
        .iter()
        .map(|region| {
            let rules = RetentionKind::regional()
                .map(
                    |kind| match rows.iter().find(|r| r.org_id == *region && r.kind == kind) {
                        Some(r) => (kind, Keep::from_months(r.months), true),
                        None => (kind, kind.default_keep(), false),
                    },
                )
                .collect();
            (region.clone(), rules)
        })
        .collect())
}

fn org<'a>(tree: &'a Tree, id: &str) -> Result<&'a OrgRow> {
    tree.all
        .iter()
        .find(|o| o.id == id)
        .ok_or(AppError::NotFound)
}

/// The rules of the regions the caller administers, each with what it would remove now.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn overview(app: &App, caller: &Caller) -> Result<Vec<RegionRules>> {
    let tree = app.tree().await?;
    let regions = require_admin(&tree, caller)?;
    let now = Timestamp::now();
    let mut tx = app.db.read().await?;
    let mut out = Vec::new();
    for (region, rules) in rules_in_force(&mut tx, &regions).await? {
        let units = tree.region_of(&region);
        let mut shown = Vec::new();
        for (kind, keep, set) in rules {
            let due = match keep.limit(&now) {
                Some(limit) => retention::count(&mut tx, kind, &units, &limit.to_db()).await?,
                None => 0,
            };
            shown.push(Rule {
                kind,
                keep,
                set,
                due,
            });
        }
        out.push(RegionRules {
            region: org(&tree, region.as_str())?.clone(),
            rules: shown,
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// The region with this slug, if the caller administers it; else not found (another
/// region's rules are not to be told apart from none).
fn administered(tree: &Tree, caller: &Caller, slug: &str) -> Result<OrgRow> {
    let regions = require_admin(tree, caller)?;
    tree.all
        .iter()
        .find(|o| o.slug == slug && regions.contains(&o.id))
        .cloned()
        .ok_or(AppError::NotFound)
}

/// Sets a region's rule for one kind, with its event.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_rule(
    app: &App,
    caller: &Caller,
    region_slug: &str,
    kind: RetentionKind,
    keep: Keep,
) -> Result<()> {
    let tree = app.tree().await?;
    let region = administered(&tree, caller, region_slug)?;
    if !kind.per_region() {
        return Err(AppError::NotFound);
    }
    let by = caller.user().map(|u| u.id.as_str());
    let mut tx = app.db.write().await?;
    let before = rules_in_force(&mut tx, std::slice::from_ref(&region.id)).await?;
    let previous = before
        .first()
        .and_then(|(_, rules)| rules.iter().find(|(k, ..)| *k == kind))
        .map(|(_, keep, _)| keep.months());
    retention::set_rule(
        &mut tx,
        &region.id,
        kind,
        keep.months(),
        by,
        &Timestamp::now().to_db(),
    )
    .await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "retention.rule_set",
            subject_type: "organisation",
            subject_id: region.id.as_str(),
            org_id: Some(&region.id),
            payload: serde_json::json!({
                "rule": kind.as_str(),
                "months": keep.months(),
                "previous_months": previous.flatten(),
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What one rule of a region would remove now: how many, and a page of references.
#[derive(Debug, Clone)]
pub struct DryRun {
    pub region: OrgRow,
    pub rule: Rule,
    pub targets: Vec<Target>,
    /// The key of the next page, when there is one.
    pub next: Option<String>,
}

/// The dry-run of one rule: nothing is removed.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn dry_run(
    app: &App,
    caller: &Caller,
    region_slug: &str,
    kind: RetentionKind,
    after: Option<&str>,
) -> Result<DryRun> {
    let tree = app.tree().await?;
    let region = administered(&tree, caller, region_slug)?;
    if !kind.per_region() {
        return Err(AppError::NotFound);
    }
    let units = tree.region_of(&region.id);
    let now = Timestamp::now();
    let mut tx = app.db.read().await?;
    let rules = rules_in_force(&mut tx, std::slice::from_ref(&region.id)).await?;
    let (_, keep, set) = rules
        .first()
        .and_then(|(_, r)| r.iter().find(|(k, ..)| *k == kind).copied())
        .ok_or(AppError::NotFound)?;
    let (due, mut targets) = match keep.limit(&now) {
        Some(limit) => {
            let limit = limit.to_db();
            (
                retention::count(&mut tx, kind, &units, &limit).await?,
                retention::page(&mut tx, kind, &units, &limit, after, DRY_RUN_PAGE + 1).await?,
            )
        }
        None => (0, Vec::new()),
    };
    tx.commit().await?;
    let next = if targets.len() > DRY_RUN_PAGE as usize {
        targets.truncate(DRY_RUN_PAGE as usize);
        targets.last().map(|t| t.id.clone())
    } else {
        None
    };
    Ok(DryRun {
        region,
        rule: Rule {
            kind,
            keep,
            set,
            due,
        },
        targets,
        next,
    })
}

/// Asks for a run of a region's rules now: a job, with its event; the job runner does it.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn run_now(app: &App, caller: &Caller, region_slug: &str) -> Result<()> {
    let tree = app.tree().await?;
    let region = administered(&tree, caller, region_slug)?;
    let now = Timestamp::now();
    let mut tx = app.db.write().await?;
    let job = crate::jobs::enqueue(&mut tx, RUN, region.id.as_str(), &now).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "retention.run_requested",
            subject_type: "organisation",
            subject_id: region.id.as_str(),
            org_id: Some(&region.id),
            payload: serde_json::json!({ "job": job }),
        },
    )
    .await?;
    tx.commit().await?;
    app.wake_jobs();
    Ok(())
}

/// What one rule removed in one region (or everywhere, for housekeeping).
#[derive(Debug, Clone)]
pub struct Applied {
    pub region: Option<OrgId>,
    pub kind: RetentionKind,
    pub count: i64,
}

/// Applies the rules as of `now`: of one region, or of every region and the housekeeping.
/// One transaction per rule and region, each with its event when it removed anything.
pub async fn apply(app: &App, region: Option<&str>, now: &Timestamp) -> Result<Vec<Applied>> {
    let tree = app.tree().await?;
    let regions: Vec<OrgId> = match region {
        Some(id) => vec![org(&tree, id)?.id.clone()],
        None => tree
            .all
            .iter()
            .filter(|o| o.parent_id.is_none())
            .map(|o| o.id.clone())
            .collect(),
    };
    let rules = {
        let mut tx = app.db.read().await?;
        let rules = rules_in_force(&mut tx, &regions).await?;
        tx.commit().await?;
        rules
    };
    let mut out = Vec::new();
    for (region, rules) in rules {
        let units = tree.region_of(&region);
        for (kind, keep, _) in rules {
            if let Some(limit) = keep.limit(now) {
                let count = apply_one(app, Some(&region), &units, kind, keep, &limit, now).await?;
                out.push(Applied {
                    region: Some(region.clone()),
                    kind,
                    count,
                });
            }
        }
    }
    if region.is_none() {
        let kind = RetentionKind::Housekeeping;
        let keep = kind.default_keep();
        let count = apply_one(app, None, &[], kind, keep, now, now).await?;
        out.push(Applied {
            region: None,
            kind,
            count,
        });
        // Files left without their row (a crash between a file and its commit, a removal
        // that failed) go every day too, not only when a node starts.
        let swept = crate::attachments::sweep(app, crate::attachments::SWEEP_MIN_AGE).await?;
        if swept > 0 {
            tracing::info!(files = swept, "attachment files without a row removed");
        }
    }
    Ok(out)
}

async fn apply_one(
    app: &App,
    region: Option<&OrgId>,
    units: &[OrgId],
    kind: RetentionKind,
    keep: Keep,
    limit: &Timestamp,
    now: &Timestamp,
) -> Result<i64> {
    let mut tx = app.db.write().await?;
    let removed = retention::remove(&mut tx, kind, units, &limit.to_db(), &now.to_db()).await?;
    if removed.count > 0 {
        let (ids, references): (Vec<_>, Vec<_>) = removed
            .targets
            .iter()
            .map(|t| (t.id.as_str(), t.reference.as_str()))
            .unzip();
        events::append(
            &mut tx,
            NewEvent {
                actor: &Actor::System,
                kind: "retention.applied",
                subject_type: if region.is_some() {
                    "organisation"
                } else {
                    "installation"
                },
                subject_id: region.map_or("housekeeping", OrgId::as_str),
                org_id: region,
                payload: serde_json::json!({
                    "rule": kind.as_str(),
                    "months": keep.months(),
                    "limit": limit.to_db(),
                    "count": removed.count,
                    "ids": ids,
                    "references": references,
                }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    if kind == RetentionKind::CaseAttachments && removed.count > 0 {
        let files = removed
            .targets
            .iter()
            .map(|t| domain::id::AttachmentId::from(t.id.as_str()))
            .collect();
        crate::attachments::remove_files(app, files).await;
    }
    if removed.count > 0 {
        tracing::info!(
            rule = kind.as_str(),
            region = region.map(OrgId::as_str),
            count = removed.count,
            "retention removed records"
        );
    }
    Ok(removed.count)
}

/// The day's run at [`DAILY_HOUR`] UTC: due now if that hour has passed.
fn day_job(day: &Timestamp) -> (String, Timestamp) {
    let at = day
        .inner()
        .replace_time(time::Time::from_hms(DAILY_HOUR, 0, 0).unwrap_or(time::Time::MIDNIGHT));
    (
        format!("{DAILY}:{}", day.date_string()),
        Timestamp::from_offset(at),
    )
}

async fn schedule_day(app: &App, day: &Timestamp, now: &Timestamp) -> Result<()> {
    let (id, at) = day_job(day);
    let mut tx = app.db.write().await?;
    store::jobs::enqueue_once(
        &mut tx,
        &id,
        DAILY,
        domain::jobs::MAX_ATTEMPTS,
        &at.to_db(),
        &now.to_db(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes sure today's run exists (at start; each run schedules the next day's).
pub async fn schedule(app: &App) -> Result<()> {
    let now = Timestamp::now();
    schedule_day(app, &now, &now).await
}

/// Runs every region's rules and the housekeeping, after scheduling tomorrow's run.
pub struct Daily;

impl Handler for Daily {
    fn kind(&self) -> &'static str {
        DAILY
    }

    fn run<'a>(&'a self, app: &'a App, _job: &'a JobRow) -> JobFuture<'a> {
        Box::pin(async move {
            let now = Timestamp::now();
            schedule_day(app, &now.plus_days(1), &now)
                .await
                .map_err(|e| e.to_string())?;
            apply(app, None, &now)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// Runs one region's rules (the job's subject), as its administrator asked.
pub struct RunNow;

impl Handler for RunNow {
    fn kind(&self) -> &'static str {
        RUN
    }

    fn run<'a>(&'a self, app: &'a App, job: &'a JobRow) -> JobFuture<'a> {
        Box::pin(async move {
            let region = job
                .subject_id
                .as_deref()
                .ok_or("a retention run names its region")?;
            apply(app, Some(region), &Timestamp::now())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// A region's name and the rules in force there, for the page on personal data.
#[derive(Debug, Clone)]
pub struct PublicRules {
    pub region: String,
    pub rules: Vec<(RetentionKind, Keep)>,
}

/// The rules of every region, for the page on personal data.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn public_rules(app: &App) -> Result<Vec<PublicRules>> {
    let tree = app.tree().await?;
    let regions: Vec<OrgId> = tree
        .all
        .iter()
        .filter(|o| o.parent_id.is_none())
        .map(|o| o.id.clone())
        .collect();
    let mut tx = app.db.read().await?;
    let rules = rules_in_force(&mut tx, &regions).await?;
    tx.commit().await?;
    rules
        .into_iter()
        .map(|(region, rules)| {
            Ok(PublicRules {
                region: org(&tree, region.as_str())?.name.clone(),
                rules: rules.into_iter().map(|(k, keep, _)| (k, keep)).collect(),
            })
        })
        .collect()
}
