//! The criteria phase: the facilitator weighs and adds criteria, participants score concepts
//! on them (1–5), and the weighted results with their spread.

use super::{campaign, facilitator, participant};
use crate::error::Result;
use crate::{App, AppError, Caller};
use domain::campaign::Phase;
use domain::text::TextRule;
use domain::time::Timestamp;
use domain::{ErrorCode, FieldErrors};
use serde::Deserialize;
use store::campaigns::{self, IdeaRow};
use store::events::{self, NewEvent};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScoreInput {
    pub idea_id: String,
    /// Criterion id → score 1–5.
    pub scores: std::collections::BTreeMap<String, i64>,
}

/// A participant scores one concept on every criterion (1–5), in the criteria phase.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn score(app: &App, code: &str, token: &str, input: &ScoreInput) -> Result<()> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    let p = participant(&mut tx, &c, token).await?;
    if c.phase != Phase::Criteria {
        return Err(AppError::Conflict(crate::Conflict::PhaseClosed));
    }
    let idea = campaigns::ideas(&mut tx, &c.id)
        .await?
        .into_iter()
        .find(|i| i.id == input.idea_id.trim() && i.status == domain::campaign::IdeaStatus::Active)
        .ok_or_else(|| AppError::field("idea_id", ErrorCode::InvalidChoice))?;
    let criteria = campaigns::criteria(&mut tx, &c.id).await?;
    let mut errors = FieldErrors::new();
    for k in input.scores.keys() {
        if !criteria.iter().any(|x| &x.id == k) {
            errors.push("scores", ErrorCode::InvalidChoice);
        }
    }
    for v in input.scores.values() {
        if !(1..=5).contains(v) {
            errors.push("scores", ErrorCode::InvalidNumber);
        }
    }
    if input.scores.is_empty() {
        errors.push("scores", ErrorCode::Required);
    }
    if !errors.is_empty() {
        errors.0.dedup();
        return Err(AppError::Validation(errors));
    }
    let now = Timestamp::now().to_db();
    for (criterion, v) in &input.scores {
        campaigns::set_score(&mut tx, &c.id, &p.id, &idea.id, criterion, *v, &now).await?;
    }
    events::append(
        &mut tx,
        NewEvent {
            actor: &store::events::Actor::Public,
            kind: "campaign.scored",
            subject_type: "campaign",
            subject_id: c.id.as_str(),
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "idea_id": idea.id, "participant": p.number, "scores": input.scores }),
        },
    )
    .await?;
    campaigns::notify_changed(&mut tx, &c.code, campaigns::Change::Counts).await?;
    tx.commit().await?;
    app.changed(&c.code, campaigns::Change::Counts);
    Ok(())
}

/// A concept's standing on the criteria: the weighted mean of its scores and the spread
/// (standard deviation) of the participants' weighted scores.
#[derive(Debug, Clone)]
pub struct CriteriaResult {
    pub idea: IdeaRow,
    pub weighted_mean: f64,
    pub spread: f64,
    /// Mean per criterion, in the criteria's order (None when nobody scored it).
    pub per_criterion: Vec<Option<f64>>,
    pub raters: usize,
}

pub struct CriteriaResults {
    pub criteria: Vec<campaigns::CriterionRow>,
    pub rows: Vec<CriteriaResult>,
}

/// Pure: the criteria results from scores, best weighted mean first.
pub fn criteria_results(
    criteria: &[campaigns::CriterionRow],
    ideas: &[IdeaRow],
    scores: &[campaigns::ScoreRow],
) -> Vec<CriteriaResult> {
    let mut rows: Vec<CriteriaResult> = ideas
        .iter()
        .filter(|i| i.status == domain::campaign::IdeaStatus::Active)
        .map(|idea| {
            let mine: Vec<&campaigns::ScoreRow> =
                scores.iter().filter(|s| s.idea_id == idea.id).collect();
            let per_criterion: Vec<Option<f64>> = criteria
                .iter()
                .map(|c| {
                    let v: Vec<f64> = mine
                        .iter()
                        .filter(|s| s.criterion_id == c.id)
                        .map(|s| s.score as f64)
                        .collect();
                    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
                })
                .collect();
            // Each rater's weighted score over the criteria they scored.
            let mut raters: Vec<&str> = mine.iter().map(|s| s.participant_id.as_str()).collect();
            raters.sort();
            raters.dedup();
            let per_rater: Vec<f64> = raters
                .iter()
                .filter_map(|r| {
                    let (mut sum, mut w) = (0.0, 0.0);
                    for c in criteria {
                        if let Some(s) = mine
                            .iter()
                            .find(|s| s.participant_id == *r && s.criterion_id == c.id)
                        {
                            sum += c.weight as f64 * s.score as f64;
                            w += c.weight as f64;
                        }
                    }
                    (w > 0.0).then(|| sum / w)
                })
                .collect();
            let n = per_rater.len() as f64;
            let weighted_mean = if n > 0.0 {
                per_rater.iter().sum::<f64>() / n
            } else {
                0.0
            };
            let spread = if n > 1.0 {
                (per_rater
                    .iter()
                    .map(|x| (x - weighted_mean).powi(2))
                    .sum::<f64>()
                    / (n - 1.0))
                    .sqrt()
            } else {
                0.0
            };
            CriteriaResult {
                idea: idea.clone(),
                weighted_mean,
                spread,
                per_criterion,
                raters: per_rater.len(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.weighted_mean
            .total_cmp(&a.weighted_mean)
            .then(a.idea.seq.cmp(&b.idea.seq))
    });
    rows
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn criteria_of(app: &App, code: &str) -> Result<CriteriaResults> {
    let mut tx = app.db.read().await?;
    let c = campaign(&mut tx, code).await?;
    let criteria = campaigns::criteria(&mut tx, &c.id).await?;
    let ideas = campaigns::ideas(&mut tx, &c.id).await?;
    let scores = campaigns::scores(&mut tx, &c.id).await?;
    let rows = criteria_results(&criteria, &ideas, &scores);
    Ok(CriteriaResults { criteria, rows })
}

/// The facilitator's change to the criteria: new weights (0–10; 0 leaves a criterion out)
/// and, optionally, a new criterion.
#[derive(Debug, Clone, Default)]
pub struct CriteriaInput {
    pub weights: std::collections::BTreeMap<String, String>,
    pub new_name: String,
    pub new_weight: String,
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn set_criteria(
    app: &App,
    caller: &Caller,
    code: &str,
    input: &CriteriaInput,
) -> Result<()> {
    let mut tx = app.db.write().await?;
    let c = campaign(&mut tx, code).await?;
    facilitator(&mut tx, caller, &c).await?;
    let existing = campaigns::criteria(&mut tx, &c.id).await?;
    let weight = |v: &str| {
        v.trim()
            .parse::<i64>()
            .ok()
            .filter(|w| (0..=10).contains(w))
    };
    let mut errors = FieldErrors::new();
    let mut changes = Vec::new();
    for (id, v) in &input.weights {
        match (existing.iter().find(|k| &k.id == id), weight(v)) {
            (Some(k), Some(w)) => changes.push((k.id.clone(), w)),
            (None, _) => errors.push("criteria", ErrorCode::InvalidChoice),
            (_, None) => errors.push("criteria", ErrorCode::InvalidNumber),
        }
    }
    let new = match input.new_name.trim() {
        "" => None,
        _ => {
            let name =
                errors.take(TextRule::line("new_name", 2, 120).parse_required(&input.new_name));
            let w = weight(&input.new_weight)
                .or_else(|| input.new_weight.trim().is_empty().then_some(1));
            if w.is_none() {
                errors.push("new_weight", ErrorCode::InvalidNumber);
            }
            name.zip(w)
        }
    };
    if !errors.is_empty() {
        errors.0.dedup();
        return Err(AppError::Validation(errors));
    }
    for (id, w) in &changes {
        campaigns::set_weight(&mut tx, &c.id, id, *w).await?;
    }
    if let Some((name, w)) = &new {
        campaigns::insert_criterion(&mut tx, &c.id, name, *w, existing.len() as i64).await?;
    }
    events::append(
        &mut tx,
        NewEvent {
            actor: &caller.actor(),
            kind: "campaign.criteria_changed",
            subject_type: "campaign",
            subject_id: c.id.as_str(),
            org_id: Some(&c.org_id),
            payload: serde_json::json!({ "weights": changes, "added": new.as_ref().map(|(n, _)| n) }),
        },
    )
    .await?;
    campaigns::notify_changed(&mut tx, &c.code, campaigns::Change::Campaign).await?;
    tx.commit().await?;
    app.changed(&c.code, campaigns::Change::Campaign);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idea(id: &str, seq: i64) -> IdeaRow {
        IdeaRow {
            id: id.into(),
            seq,
            body: id.into(),
            participant_id: None,
            status: domain::campaign::IdeaStatus::Active,
            flags: 0,
            created_at: String::new(),
        }
    }

    #[test]
    fn weighted_mean_and_spread() {
        let crit = |id: &str, w: i64| campaigns::CriterionRow {
            id: id.into(),
            name: id.into(),
            weight: w,
            position: 0,
        };
        let criteria = [crit("a", 2), crit("b", 1)];
        let s = |p: &str, i: &str, c: &str, v: i64| campaigns::ScoreRow {
            participant_id: p.into(),
            idea_id: i.into(),
            criterion_id: c.into(),
            score: v,
        };
        let scores = [
            s("p1", "x", "a", 5),
            s("p1", "x", "b", 2),
            s("p2", "x", "a", 3),
            s("p2", "x", "b", 3),
            s("p1", "y", "a", 1),
        ];
        let rows = criteria_results(
            &criteria,
            &[idea("x", 0), idea("y", 1), idea("z", 2)],
            &scores,
        );
        // p1: (2·5 + 1·2)/3 = 4; p2: 3 → mean 3.5, sd √0.5.
        assert_eq!(rows[0].idea.id, "x");
        assert!((rows[0].weighted_mean - 3.5).abs() < 1e-12);
        assert!((rows[0].spread - 0.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(rows[0].per_criterion, vec![Some(4.0), Some(2.5)]);
        assert_eq!((rows[1].idea.id.as_str(), rows[1].raters), ("y", 1));
        assert_eq!((rows[2].idea.id.as_str(), rows[2].raters), ("z", 0));
    }
}
