//! Outcomes: the concepts a campaign takes forward, each with the submission or the case it
//! became and that one's reference.

use domain::id::CampaignId;
use domain::id::{CaseId, IdeaId, SubmissionId};

use crate::db::{Tx, sql};

/// A concept taken forward: the submission or the case it became.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutcomeRow {
    #[sqlx(try_from = "String")]
    pub idea_id: IdeaId,
    #[sqlx(try_from = "crate::Nullable")]
    pub submission_id: Option<SubmissionId>,
    #[sqlx(try_from = "crate::Nullable")]
    pub case_id: Option<CaseId>,
    pub reference: String,
}

pub async fn outcomes(tx: &mut Tx, campaign_id: &CampaignId) -> crate::Result<Vec<OutcomeRow>> {
    tx.fetch_all(
        sql("SELECT o.idea_id, o.submission_id, o.case_id, COALESCE(s.reference, k.reference) AS reference
             FROM campaign_outcomes o LEFT JOIN submissions s ON s.id = o.submission_id LEFT JOIN cases k ON k.id = o.case_id
             WHERE o.campaign_id = ? ORDER BY 4")
        .bind(campaign_id.as_str()),
    )
    .await
}

pub async fn insert_outcome(
    tx: &mut Tx,
    campaign_id: &CampaignId,
    idea_id: &IdeaId,
    submission_id: Option<&SubmissionId>,
    case_id: Option<&CaseId>,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO campaign_outcomes (campaign_id, idea_id, submission_id, case_id, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(campaign_id.as_str())
            .bind(idea_id)
            .bind(submission_id.map(SubmissionId::as_str))
            .bind(case_id.map(CaseId::as_str))
            .bind(now),
    )
    .await?;
    Ok(())
}
