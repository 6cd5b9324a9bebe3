//! Research questions: the facilitator asks, each participant answers alone first and then
//! sees the others' answers.

use super::{campaign, facilitator, participant};
use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::campaign::Phase;
use domain::text::TextRule;
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use store::campaigns;
use store::events::{self, NewEvent};

/// Adds a research question (the facilitator).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn add_question(app: &App, caller: &Caller, code: &str, body: &str) -> Result<()> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    // Who may comes before what: someone who may not gets no word on their input.
    facilitator(&mut tx, caller, &c).await?;
    let body = TextRule::paragraph("question", 3, 500)
        .parse_required(body)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    campaigns::add_question(&mut tx, &c.id, &body).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.question_added",
            subject_type: "campaign",
            subject_id: c.id.as_str(),
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "question": body }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A research question as one participant sees it: their answer, and the others' once they
/// have answered themselves (alone first, then together).
pub struct Question {
    pub id: String,
    pub body: String,
    pub mine: Option<String>,
    /// (participant number, answer) of the others; empty until `mine` is given.
    pub others: Vec<(i64, String)>,
    pub answered: usize,
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn research(app: &App, code: &str, token: Option<&str>) -> Result<Vec<Question>> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    let me = match token {
        Some(t) => participant(&mut tx, &c, t).await.ok(),
        None => None,
    };
    let questions = campaigns::questions(&mut tx, &c.id).await?;
    let answers = campaigns::answers(&mut tx, &c.id).await?;
    Ok(questions
        .into_iter()
        .map(|q| {
            let here: Vec<&campaigns::AnswerRow> =
                answers.iter().filter(|a| a.question_id == q.id).collect();
            let mine = me.as_ref().and_then(|p| {
                here.iter()
                    .find(|a| a.participant_id == p.id)
                    .map(|a| a.body.clone())
            });
            let others = if mine.is_some() || me.is_none() {
                here.iter()
                    .filter(|a| me.as_ref().is_none_or(|p| a.participant_id != p.id))
                    .map(|a| (a.participant, a.body.clone()))
                    .collect()
            } else {
                Vec::new()
            };
            Question {
                id: q.id,
                body: q.body,
                mine,
                others,
                answered: here.len(),
            }
        })
        .collect())
}

/// A participant's answer to a research question, in the research phase.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn answer(
    app: &App,
    code: &str,
    token: &str,
    question_id: &str,
    body: &str,
) -> Result<()> {
    let body = TextRule::paragraph("answer", 1, 2000)
        .parse_required(body)
        .map_err(|e| AppError::Validation(FieldErrors(vec![e])))?;
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    let p = participant(&mut tx, &c, token).await?;
    if c.phase != Phase::Research {
        return Err(AppError::Conflict(crate::Conflict::PhaseClosed));
    }
    let q = campaigns::questions(&mut tx, &c.id)
        .await?
        .into_iter()
        .find(|q| q.id == question_id.trim())
        .ok_or_else(|| AppError::field("question_id", ErrorCode::InvalidChoice))?;
    let now = Timestamp::now().to_db();
    campaigns::set_answer(&mut tx, &q.id, &p.id, &body, &now).await?;
    events::append(
        &mut tx,
        NewEvent {
            actor: &store::events::Actor::Public,
            kind: "campaign.answered",
            subject_type: "campaign",
            subject_id: c.id.as_str(),
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "question_id": q.id, "participant": p.number }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
