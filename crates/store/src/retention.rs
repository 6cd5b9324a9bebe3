//! Retention (gallring): the rules a region set, and per kind of record what a rule would
//! remove now (a count, a page of references) and the removal itself. Each kind is one arm
//! of [`scope`] (which rows) and of [`erase`] (what happens to them): adding a kind adds
//! one arm to each. Nothing here reads the clock: the caller gives the limit.

use crate::db::{Arg, Sql, Tx, sql};
use domain::id::OrgId;
use domain::retention::RetentionKind;

/// A region's rule for one kind; `months` none: keep.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    #[sqlx(try_from = "String")]
    pub kind: RetentionKind,
    pub months: Option<i64>,
    pub updated_at: String,
}

/// The rules set for these organisations (a kind without a row has its default).
pub async fn rules_of(tx: &mut Tx, org_ids: &[OrgId]) -> crate::Result<Vec<RuleRow>> {
    if org_ids.is_empty() {
        return Ok(Vec::new());
    }
    let text = format!(
        "SELECT org_id, kind, months, updated_at FROM retention_rules WHERE org_id IN ({}) ORDER BY org_id, kind",
        marks(org_ids.len())
    );
    tx.fetch_all(Sql::dynamic(text, org_ids.iter().map(Arg::from).collect()))
        .await
}

/// Sets a region's rule for one kind.
pub async fn set_rule(
    tx: &mut Tx,
    org_id: &OrgId,
    kind: RetentionKind,
    months: Option<i64>,
    by: Option<&str>,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO retention_rules (org_id, kind, months, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (org_id, kind) DO UPDATE SET months = excluded.months, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
            .bind(org_id)
            .bind(kind.as_str())
            .bind(months)
            .bind(by)
            .bind(now),
    )
    .await?;
    Ok(())
}

/// A record a rule removes: its id and what people know it by (a diarienummer, a
/// workshop's code and a participant's number). Never the removed data itself.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Target {
    pub id: String,
    pub reference: String,
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The rows of `kind` in these organisations whose moment lies before `limit`, and that
/// still hold what the rule removes: `FROM … WHERE …` with its arguments, and the select
/// list of a [`Target`]. None for housekeeping, which is not per organisation.
fn scope(
    kind: RetentionKind,
    org_ids: &[OrgId],
    limit: &str,
) -> Option<(String, &'static str, Vec<Arg>)> {
    let mut args: Vec<Arg> = org_ids.iter().map(Arg::from).collect();
    args.push(limit.into());
    let orgs = marks(org_ids.len());
    let contact = |statuses: &str| {
        format!(
            "FROM submissions s WHERE s.org_id IN ({orgs}) AND s.status IN ({statuses}) AND s.status_at < ? \
             AND (s.contact_name IS NOT NULL OR s.contact_email IS NOT NULL)"
        )
    };
    match kind {
        RetentionKind::RejectedContact => Some((
            contact("'rejected'"),
            "s.id AS id, s.reference AS reference",
            args,
        )),
        RetentionKind::AnsweredContact => Some((
            contact("'accepted', 'duplicate'"),
            "s.id AS id, s.reference AS reference",
            args,
        )),
        RetentionKind::WorkshopParticipants => Some((
            format!(
                "FROM participants p JOIN campaigns c ON c.id = p.campaign_id WHERE c.org_id IN ({orgs}) \
                 AND c.phase = 'closed' AND c.phase_at < ? AND p.erased_at IS NULL"
            ),
            "p.id AS id, c.code || ' #' || CAST(p.number AS TEXT) AS reference",
            args,
        )),
        RetentionKind::CaseAttachments => Some((
            format!(
                "FROM attachments a JOIN cases k ON k.id = a.owner_id WHERE a.owner_kind = 'case' \
                 AND k.org_id IN ({orgs}) AND k.status IN ('completed', 'closed') AND k.status_at < ?"
            ),
            "a.id AS id, k.reference AS reference",
            args,
        )),
        RetentionKind::Housekeeping => None,
    }
}

/// How many records the rule would remove now.
pub async fn count(
    tx: &mut Tx,
    kind: RetentionKind,
    org_ids: &[OrgId],
    limit: &str,
) -> crate::Result<i64> {
    if kind == RetentionKind::Housekeeping {
        let (sessions,): (i64,) = tx
            .fetch_one(sql("SELECT COUNT(*) FROM sessions WHERE expires_at <= ?").bind(limit))
            .await?;
        let (resets,): (i64,) = tx
            .fetch_one(
                sql("SELECT COUNT(*) FROM password_resets WHERE expires_at <= ? OR used_at IS NOT NULL")
                    .bind(limit),
            )
            .await?;
        return Ok(sessions + resets);
    }
    let Some((from, _, args)) = scope(kind, org_ids, limit).filter(|_| !org_ids.is_empty()) else {
        return Ok(0);
    };
    let (n,): (i64,) = tx
        .fetch_one(Sql::dynamic(format!("SELECT COUNT(*) {from}"), args))
        .await?;
    Ok(n)
}

/// A page of what the rule would remove now, in id order after `after` (keyset).
pub async fn page(
    tx: &mut Tx,
    kind: RetentionKind,
    org_ids: &[OrgId],
    limit: &str,
    after: Option<&str>,
    n: i64,
) -> crate::Result<Vec<Target>> {
    let Some((from, select, mut args)) =
        scope(kind, org_ids, limit).filter(|_| !org_ids.is_empty())
    else {
        return Ok(Vec::new());
    };
    let id = match kind {
        RetentionKind::WorkshopParticipants => "p.id",
        RetentionKind::CaseAttachments => "a.id",
        _ => "s.id",
    };
    let mut text = format!("SELECT {select} {from}");
    if let Some(after) = after {
        text.push_str(&format!(" AND {id} > ?"));
        args.push(after.into());
    }
    text.push_str(&format!(" ORDER BY {id} LIMIT ?"));
    args.push(n.into());
    tx.fetch_all(Sql::dynamic(text, args)).await
}

/// What one application of a rule removed: how many records, and which (none listed for
/// housekeeping, whose records have no reference anyone knows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    pub count: i64,
    pub targets: Vec<Target>,
}

/// Removes what the rule removes now, in the caller's transaction.
pub async fn remove(
    tx: &mut Tx,
    kind: RetentionKind,
    org_ids: &[OrgId],
    limit: &str,
    now: &str,
) -> crate::Result<Removed> {
    if kind == RetentionKind::Housekeeping {
        let sessions = crate::sessions::delete_expired(tx, limit).await?;
        let resets = tx
            .execute(
                sql("DELETE FROM password_resets WHERE expires_at <= ? OR used_at IS NOT NULL")
                    .bind(limit),
            )
            .await?;
        return Ok(Removed {
            count: i64::try_from(sessions + resets).unwrap_or(i64::MAX),
            targets: Vec::new(),
        });
    }
    let targets = page(tx, kind, org_ids, limit, None, i64::MAX).await?;
    for chunk in targets.chunks(500) {
        let ids: Vec<Arg> = chunk.iter().map(|t| Arg::from(t.id.as_str())).collect();
        erase(tx, kind, ids, now).await?;
    }
    Ok(Removed {
        count: i64::try_from(targets.len()).unwrap_or(i64::MAX),
        targets,
    })
}

/// What removing means for each kind, on the rows with these ids.
async fn erase(tx: &mut Tx, kind: RetentionKind, ids: Vec<Arg>, now: &str) -> crate::Result<()> {
    let list = marks(ids.len());
    match kind {
        RetentionKind::RejectedContact | RetentionKind::AnsweredContact => {
            // The mails about the submission hold the address too.
            tx.execute(Sql::dynamic(
                format!("DELETE FROM outbox WHERE subject_id IN ({list})"),
                ids.clone(),
            ))
            .await?;
            tx.execute(Sql::dynamic(
                format!("UPDATE submissions SET contact_name = NULL, contact_email = NULL, contact_lang = NULL WHERE id IN ({list})"),
                ids,
            ))
            .await?;
        }
        RetentionKind::WorkshopParticipants => {
            // The token (kept hashed, in the person's cookie) and the account go; the
            // pseudonym's number, votes and ideas stay as the workshop's result.
            let mut args = vec![Arg::from(now)];
            args.extend(ids);
            tx.execute(Sql::dynamic(
                format!("UPDATE participants SET token_hash = 'erased:' || id, user_id = NULL, erased_at = ? WHERE id IN ({list})"),
                args,
            ))
            .await?;
        }
        RetentionKind::CaseAttachments => {
            // The rows go here; their files on disk after the commit
            // (`app::retention` asks `app::attachments::remove_files`).
            tx.execute(Sql::dynamic(
                format!("DELETE FROM attachments WHERE id IN ({list})"),
                ids,
            ))
            .await?;
        }
        RetentionKind::Housekeeping => {}
    }
    Ok(())
}
