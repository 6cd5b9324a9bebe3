//! Ideas: adding one with the next sequence number, listing them in the ranking engine's
//! order, their status (whether a pair of them may still be voted on) and participants' flags.

use super::campaign::lock_campaign;
use domain::campaign::IdeaStatus;
use domain::id::{CampaignId, IdeaId, ParticipantId};

use crate::db::{Tx, sql};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdeaRow {
    #[sqlx(try_from = "String")]
    pub id: IdeaId,
    pub seq: i64,
    pub body: String,
    #[sqlx(try_from = "crate::Nullable")]
    pub participant_id: Option<ParticipantId>,
    #[sqlx(try_from = "String")]
    pub status: IdeaStatus,
    pub flags: i64,
    pub created_at: String,
}

pub async fn insert_idea(
    tx: &mut Tx,
    campaign_id: &CampaignId,
    body: &str,
    participant_id: Option<&ParticipantId>,
    status: IdeaStatus,
    now: &str,
) -> crate::Result<IdeaRow> {
    lock_campaign(tx, campaign_id).await?;
    let id = crate::new_id();
    tx.execute(
        sql("INSERT INTO ideas (id, campaign_id, seq, body, participant_id, status, flags, created_at)
             SELECT ?, ?, COALESCE(MAX(seq), -1) + 1, ?, ?, ?, 0, ? FROM ideas WHERE campaign_id = ?")
        .bind(id.as_str())
        .bind(campaign_id.as_str())
        .bind(body)
        .bind(participant_id)
        .bind(status.as_str())
        .bind(now)
        .bind(campaign_id.as_str()),
    )
    .await?;
    tx.fetch_one(
        sql("SELECT id, seq, body, participant_id, status, flags, created_at FROM ideas WHERE id = ?")
            .bind(id.as_str()),
    )
    .await
}

/// Every idea of a campaign, by sequence number (the ranking engine's index).
pub async fn ideas(tx: &mut Tx, campaign_id: &CampaignId) -> crate::Result<Vec<IdeaRow>> {
    tx.fetch_all(
        sql("SELECT id, seq, body, participant_id, status, flags, created_at FROM ideas WHERE campaign_id = ? ORDER BY seq")
            .bind(campaign_id.as_str()),
    )
    .await
}

/// How many of the two ideas of a campaign are active (2 when both are).
pub async fn active_of_pair(
    tx: &mut Tx,
    campaign_id: &CampaignId,
    left: &IdeaId,
    right: &IdeaId,
) -> crate::Result<i64> {
    let (n,): (i64,) = tx
        .fetch_one(
            sql("SELECT COUNT(*) FROM ideas WHERE campaign_id = ? AND id IN (?, ?) AND status = 'active'")
                .bind(campaign_id.as_str())
                .bind(left)
                .bind(right),
        )
        .await?;
    Ok(n)
}

pub async fn set_idea_status(tx: &mut Tx, id: &IdeaId, status: IdeaStatus) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE ideas SET status = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(id),
    )
    .await?;
    Ok(())
}

/// Flags an idea once per participant; returns the idea's flag count after.
pub async fn flag_idea(
    tx: &mut Tx,
    idea_id: &IdeaId,
    participant_id: &ParticipantId,
    now: &str,
) -> crate::Result<i64> {
    let inserted = tx
        .execute(
            sql("INSERT INTO idea_flags (idea_id, participant_id, created_at) VALUES (?, ?, ?) ON CONFLICT (idea_id, participant_id) DO NOTHING")
                .bind(idea_id)
                .bind(participant_id)
                .bind(now),
        )
        .await?;
    if inserted == 1 {
        tx.execute(sql("UPDATE ideas SET flags = flags + 1 WHERE id = ?").bind(idea_id))
            .await?;
    }
    let (n,): (i64,) = tx
        .fetch_one(sql("SELECT flags FROM ideas WHERE id = ?").bind(idea_id))
        .await?;
    Ok(n)
}
