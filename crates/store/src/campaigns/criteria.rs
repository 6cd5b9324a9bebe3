//! The criteria a campaign's ideas are scored on (name, weight, order) and the participants'
//! scores of ideas on them, 1–5, a second score replacing the first.

use crate::db::{Tx, sql};
use domain::id::{CampaignId, IdeaId, ParticipantId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CriterionRow {
    pub id: String,
    pub name: String,
    pub weight: i64,
    pub position: i64,
}

pub async fn insert_criterion(
    tx: &mut Tx,
    campaign_id: &CampaignId,
    name: &str,
    weight: i64,
    position: i64,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO campaign_criteria (id, campaign_id, name, weight, position) VALUES (?, ?, ?, ?, ?)")
            .bind(crate::new_id().as_str())
            .bind(campaign_id.as_str())
            .bind(name)
            .bind(weight)
            .bind(position),
    )
    .await?;
    Ok(())
}

pub async fn set_weight(
    tx: &mut Tx,
    campaign_id: &CampaignId,
    id: &str,
    weight: i64,
) -> crate::Result<u64> {
    tx.execute(
        sql("UPDATE campaign_criteria SET weight = ? WHERE campaign_id = ? AND id = ?")
            .bind(weight)
            .bind(campaign_id.as_str())
            .bind(id),
    )
    .await
}

pub async fn criteria(tx: &mut Tx, campaign_id: &CampaignId) -> crate::Result<Vec<CriterionRow>> {
    tx.fetch_all(
        sql("SELECT id, name, weight, position FROM campaign_criteria WHERE campaign_id = ? ORDER BY position")
            .bind(campaign_id.as_str()),
    )
    .await
}

/// Sets a participant's score (1–5) of an idea on a criterion; a second score replaces it.
pub async fn set_score(
    tx: &mut Tx,
    campaign_id: &CampaignId,
    participant_id: &ParticipantId,
    idea_id: &IdeaId,
    criterion_id: &str,
    score: i64,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO criterion_scores (campaign_id, participant_id, idea_id, criterion_id, score, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (participant_id, idea_id, criterion_id) DO UPDATE SET score = excluded.score, updated_at = excluded.updated_at")
        .bind(campaign_id.as_str())
        .bind(participant_id)
        .bind(idea_id)
        .bind(criterion_id)
        .bind(score)
        .bind(now),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScoreRow {
    #[sqlx(try_from = "String")]
    pub participant_id: ParticipantId,
    #[sqlx(try_from = "String")]
    pub idea_id: IdeaId,
    pub criterion_id: String,
    pub score: i64,
}

pub async fn scores(tx: &mut Tx, campaign_id: &CampaignId) -> crate::Result<Vec<ScoreRow>> {
    tx.fetch_all(
        sql("SELECT participant_id, idea_id, criterion_id, score FROM criterion_scores WHERE campaign_id = ?")
            .bind(campaign_id.as_str()),
    )
    .await
}
