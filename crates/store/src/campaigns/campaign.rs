//! The campaign itself: creating it, finding it by code, listing an organisation's and the
//! public showcase's, moving its phase, and the row lock that numbers participants and ideas.

use domain::campaign::{Mode, Phase};
use domain::id::{CampaignId, OrgId, UserId};

use crate::db::{Tx, sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    #[sqlx(try_from = "String")]
    pub id: CampaignId,
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    pub code: String,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    pub title: String,
    pub question: String,
    #[sqlx(try_from = "String")]
    pub phase: Phase,
    pub vote_quota: i64,
    pub require_approval: bool,
    pub top_n: i64,
    pub seed: i64,
    pub created_at: String,
    pub updated_at: String,
}

const CAMPAIGN: &str = "SELECT id, org_id, code, mode, title, question, phase, vote_quota, require_approval, top_n, seed, created_at, updated_at FROM campaigns";

pub struct NewCampaign<'a> {
    pub id: &'a CampaignId,
    pub org_id: &'a OrgId,
    pub code: &'a str,
    pub mode: Mode,
    pub title: &'a str,
    pub question: &'a str,
    pub phase: Phase,
    pub vote_quota: i64,
    pub require_approval: bool,
    pub top_n: i64,
    pub seed: i64,
    pub created_by: Option<&'a UserId>,
    pub now: &'a str,
}

pub async fn insert(tx: &mut Tx, c: &NewCampaign<'_>) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO campaigns (id, org_id, code, mode, title, question, phase, vote_quota, require_approval, top_n, seed, created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(c.id.as_str())
        .bind(c.org_id)
        .bind(c.code)
        .bind(c.mode.as_str())
        .bind(c.title)
        .bind(c.question)
        .bind(c.phase.as_str())
        .bind(c.vote_quota)
        .bind(c.require_approval)
        .bind(c.top_n)
        .bind(c.seed)
        .bind(c.created_by.map(UserId::as_str))
        .bind(c.now)
        .bind(c.now),
    )
    .await?;
    Ok(())
}

pub async fn by_code(tx: &mut Tx, code: &str) -> crate::Result<Option<CampaignRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!("{CAMPAIGN} WHERE code = ?"),
        vec![code.into()],
    ))
    .await
}

/// A campaign by its id (an attachment names its challenge so).
pub async fn by_id(tx: &mut Tx, id: &CampaignId) -> crate::Result<Option<CampaignRow>> {
    tx.fetch_optional(crate::Sql::dynamic(
        format!("{CAMPAIGN} WHERE id = ?"),
        vec![id.as_str().into()],
    ))
    .await
}

pub async fn in_org(tx: &mut Tx, org_id: &OrgId) -> crate::Result<Vec<CampaignRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!("{CAMPAIGN} WHERE org_id = ? ORDER BY created_at DESC"),
        vec![org_id.into()],
    ))
    .await
}

pub async fn set_phase(tx: &mut Tx, id: &CampaignId, phase: Phase, now: &str) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE campaigns SET phase_at = CASE WHEN phase <> ? THEN ? ELSE phase_at END, phase = ?, updated_at = ? WHERE id = ?")
            .bind(phase.as_str())
            .bind(now)
            .bind(phase.as_str())
            .bind(now)
            .bind(id.as_str()),
    )
    .await?;
    Ok(())
}

/// Adds a participant with the next number in the campaign; a concurrent join may take the
/// same number first, which surfaces as a conflict for the caller to retry.
/// Takes the campaign's row lock until the transaction ends (on PostgreSQL; SQLite's write
/// transaction is exclusive already), so that numbering by MAX + 1 never collides with a
/// concurrent join or idea: the next statement reads what the previous holder committed.
pub(super) async fn lock_campaign(tx: &mut Tx, campaign_id: &CampaignId) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE campaigns SET updated_at = updated_at WHERE id = ?").bind(campaign_id.as_str()),
    )
    .await?;
    Ok(())
}

/// The campaigns someone created that have not closed, newest first: those they run.
pub async fn run_by(tx: &mut Tx, user_id: &UserId, limit: i64) -> crate::Result<Vec<CampaignRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!(
            "{CAMPAIGN} WHERE created_by = ? AND phase <> 'closed' ORDER BY created_at DESC LIMIT ?"
        ),
        vec![user_id.as_str().into(), limit.into()],
    ))
    .await
}

/// Open campaigns for the public showcase, newest first.
pub async fn open_campaigns(tx: &mut Tx) -> crate::Result<Vec<CampaignRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!(
            "{CAMPAIGN} WHERE mode = 'open' AND phase = 'open' ORDER BY created_at DESC LIMIT 100"
        ),
        vec![],
    ))
    .await
}
