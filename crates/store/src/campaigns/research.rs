//! Research questions asked beside a campaign, in order, and the participants' answers, one
//! per participant and question (answering again replaces it).

use crate::db::{Tx, sql};
use domain::id::{CampaignId, ParticipantId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuestionRow {
    pub id: String,
    pub body: String,
    pub position: i64,
}

pub async fn add_question(tx: &mut Tx, campaign_id: &CampaignId, body: &str) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO research_questions (id, campaign_id, body, position)
             SELECT ?, ?, ?, COALESCE(MAX(position), -1) + 1 FROM research_questions WHERE campaign_id = ?")
        .bind(crate::new_id().as_str())
        .bind(campaign_id.as_str())
        .bind(body)
        .bind(campaign_id.as_str()),
    )
    .await?;
    Ok(())
}

pub async fn questions(tx: &mut Tx, campaign_id: &CampaignId) -> crate::Result<Vec<QuestionRow>> {
    tx.fetch_all(
        sql("SELECT id, body, position FROM research_questions WHERE campaign_id = ? ORDER BY position")
            .bind(campaign_id.as_str()),
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerRow {
    pub question_id: String,
    #[sqlx(try_from = "String")]
    pub participant_id: ParticipantId,
    pub participant: i64,
    pub body: String,
}

pub async fn answers(tx: &mut Tx, campaign_id: &CampaignId) -> crate::Result<Vec<AnswerRow>> {
    tx.fetch_all(
        sql("SELECT a.question_id, a.participant_id, p.number AS participant, a.body FROM research_answers a
             JOIN research_questions q ON q.id = a.question_id JOIN participants p ON p.id = a.participant_id
             WHERE q.campaign_id = ? ORDER BY q.position, a.created_at")
        .bind(campaign_id.as_str()),
    )
    .await
}

/// A participant's answer; answering again replaces it.
pub async fn set_answer(
    tx: &mut Tx,
    question_id: &str,
    participant_id: &ParticipantId,
    body: &str,
    now: &str,
) -> crate::Result<()> {
    tx.execute(
        sql("INSERT INTO research_answers (question_id, participant_id, body, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (question_id, participant_id) DO UPDATE SET body = excluded.body")
        .bind(question_id)
        .bind(participant_id)
        .bind(body)
        .bind(now),
    )
    .await?;
    Ok(())
}
