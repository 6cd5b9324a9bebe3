//! Campaigns of pairwise voting: the facilitator's campaign, ideas and phases; the
//! participant's pairs, votes, scores and flags; the results.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use super::{Loose, one_of};
use app::campaigns::{CriteriaResults, IdeaInput, NewCampaignInput, ScoreInput, VoteInput};
use domain::campaign::{Mode, Phase};
use store::campaigns::{CampaignRow, IdeaRow, OutcomeRow};

fn modes() -> Object {
    one_of(Mode::ALL.iter().map(|m| m.as_str()))
}

fn phases() -> Object {
    one_of(Phase::ALL.iter().map(|p| p.as_str()))
}

fn idea_statuses() -> Object {
    one_of(["active", "pending", "withdrawn"])
}

fn set_statuses() -> Object {
    one_of(["active", "withdrawn"])
}

fn choices() -> Object {
    one_of(["left", "right", "skip"])
}

fn forward_as() -> Object {
    let mut o = one_of(["submission", "case"]);
    o.default = Some("submission".into());
    o
}

/// Criterion id → score 1–5.
fn score_map() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(5)),
        ))
        .description(Some("Criterion id → score."))
        .build()
}

/// A new campaign.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({
    "title": "Idéverkstad",
    "question": "Hur kortar vi väntetiden?",
    "mode": "open",
    "organisation": "enhet-st",
    "vote_quota": 20
})))]
pub struct NewCampaign {
    #[schema(min_length = 3, max_length = 200, required = true)]
    #[serde(default)]
    pub title: String,
    #[schema(min_length = 3, max_length = 1000, required = true)]
    #[serde(default)]
    pub question: String,
    #[schema(schema_with = modes, required = true)]
    #[serde(default)]
    pub mode: String,
    /// The owning organisation's slug.
    #[schema(required = true)]
    #[serde(default)]
    pub organisation: String,
    /// Votes per participant.
    #[schema(value_type = i64, minimum = 1, maximum = 1000, default = 20)]
    #[serde(default)]
    pub vote_quota: Option<i64>,
    /// Ideas added by participants wait for approval (open mode).
    #[serde(default)]
    pub require_approval: bool,
    /// How many of the best concepts go on to next steps.
    #[schema(value_type = i64, minimum = 1, maximum = 50, default = 5)]
    #[serde(default)]
    pub top_n: Option<i64>,
}

impl From<NewCampaign> for NewCampaignInput {
    fn from(c: NewCampaign) -> Self {
        NewCampaignInput {
            title: c.title,
            question: c.question,
            mode: c.mode,
            organisation: c.organisation,
            vote_quota: c.vote_quota,
            require_approval: c.require_approval,
            top_n: c.top_n,
        }
    }
}

/// A campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    /// The join code.
    pub code: String,
    #[schema(schema_with = modes)]
    pub mode: String,
    pub title: String,
    pub question: String,
    #[schema(schema_with = phases)]
    pub phase: String,
    pub vote_quota: i64,
    pub require_approval: bool,
    pub top_n: i64,
    pub created_at: String,
}

impl From<&CampaignRow> for Campaign {
    fn from(c: &CampaignRow) -> Self {
        Campaign {
            code: c.code.clone(),
            mode: c.mode.as_str().into(),
            title: c.title.clone(),
            question: c.question.clone(),
            phase: c.phase.as_str().into(),
            vote_quota: c.vote_quota,
            require_approval: c.require_approval,
            top_n: c.top_n,
            created_at: c.created_at.clone(),
        }
    }
}

/// The phase to open.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "phase": "open" })))]
pub struct PhaseChange {
    /// The phase's key (`open`, `closed`, or one of a workshop's phases).
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub phase: Loose<String>,
}

/// The phase now open.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhaseNow {
    pub code: String,
    #[schema(schema_with = phases)]
    pub phase: String,
}

/// A participant's token (shown once) and pseudonym.
#[derive(Debug, Serialize, ToSchema)]
pub struct Joined {
    pub token: String,
    pub pseudonym: String,
}

/// An idea or concept.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "text": "Digital incheckning i entrén" })))]
pub struct NewIdea {
    #[schema(max_length = 500, required = true)]
    #[serde(default)]
    pub text: String,
}

impl From<NewIdea> for IdeaInput {
    fn from(i: NewIdea) -> Self {
        IdeaInput { text: i.text }
    }
}

/// An idea of a campaign.
#[derive(Debug, Serialize, ToSchema)]
pub struct Idea {
    pub id: String,
    pub text: String,
    #[schema(schema_with = idea_statuses)]
    pub status: String,
    pub created_at: String,
}

impl From<&IdeaRow> for Idea {
    fn from(i: &IdeaRow) -> Self {
        Idea {
            id: i.id.to_string(),
            text: i.body.clone(),
            status: i.status.as_str().into(),
            created_at: i.created_at.clone(),
        }
    }
}

/// An idea's new status.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "status": "active" })))]
pub struct IdeaStatusChange {
    #[schema(schema_with = set_statuses, required = true)]
    #[serde(default)]
    pub status: Loose<String>,
}

/// An idea's status.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaStatus {
    pub id: String,
    pub status: String,
}

/// Two ideas to choose between, left and right in random order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pair {
    pub offer_id: String,
    pub left: Idea,
    pub right: Idea,
    pub remaining: i64,
    pub quota: i64,
}

impl From<&app::campaigns::Pair> for Pair {
    fn from(p: &app::campaigns::Pair) -> Self {
        Pair {
            offer_id: p.offer.id.clone(),
            left: Idea::from(&p.left),
            right: Idea::from(&p.right),
            remaining: p.remaining,
            quota: p.quota,
        }
    }
}

/// A vote on the offered pair.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({
    "offer_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "choice": "skip",
    "reason": "Vet inte"
})))]
pub struct Vote {
    #[schema(required = true)]
    #[serde(default)]
    pub offer_id: String,
    #[schema(schema_with = choices, required = true)]
    #[serde(default)]
    pub choice: String,
    /// Why the participant could not decide (with skip).
    #[schema(max_length = 200)]
    #[serde(default)]
    pub reason: String,
    /// Milliseconds from showing the pair to the vote, as the client measured it.
    #[schema(value_type = i64, minimum = 0)]
    #[serde(default)]
    pub response_ms: Option<i64>,
}

impl From<Vote> for VoteInput {
    fn from(v: Vote) -> Self {
        VoteInput {
            offer_id: v.offer_id,
            choice: v.choice,
            reason: v.reason,
            response_ms: v.response_ms,
        }
    }
}

/// A counted vote: the votes left and the pair to vote on next, offered in the same
/// transaction (null when the quota is used or every pair has been shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct Voted {
    pub remaining: i64,
    pub next: Option<Pair>,
}

/// A concept's scores on the campaign's criteria.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({
    "idea_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "scores": { "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c": 4 }
})))]
pub struct Score {
    #[schema(required = true)]
    #[serde(default)]
    pub idea_id: String,
    #[schema(schema_with = score_map, required = true)]
    #[serde(default)]
    pub scores: BTreeMap<String, i64>,
}

impl From<Score> for ScoreInput {
    fn from(s: Score) -> Self {
        ScoreInput {
            idea_id: s.idea_id,
            scores: s.scores,
        }
    }
}

/// A saved score.
#[derive(Debug, Serialize, ToSchema)]
pub struct Scored {
    pub idea_id: String,
}

/// An idea's flag count.
#[derive(Debug, Serialize, ToSchema)]
pub struct Flagged {
    pub id: String,
    pub flags: i64,
}

/// The campaign, and its results for those who may see them now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Results {
    #[serde(flatten)]
    pub campaign: Campaign,
    /// False while the caller may not see the results: then votes, skips, participants,
    /// ideas and criteria_results are left out.
    pub results_visible: bool,
    pub criteria: Vec<Criterion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria_results: Option<Vec<CriteriaResult>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub votes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skips: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participants: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ideas: Option<Vec<RankedIdea>>,
}

/// A criterion concepts are scored on.
#[derive(Debug, Serialize, ToSchema)]
pub struct Criterion {
    pub id: String,
    pub name: String,
    pub weight: i64,
}

/// A concept's scores on the criteria.
#[derive(Debug, Serialize, ToSchema)]
pub struct CriteriaResult {
    pub id: String,
    pub weighted_mean: f64,
    pub spread: f64,
    pub raters: usize,
    /// The mean per criterion, in the criteria's order; null where nobody scored.
    pub per_criterion: Vec<Option<f64>>,
}

/// An idea's place in the ranking.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedIdea {
    pub id: String,
    pub text: String,
    #[schema(minimum = 0, maximum = 100)]
    pub score: f64,
    pub low: f64,
    pub high: f64,
    pub wins: u64,
    pub losses: u64,
}

fn two_places(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Results {
    /// What everyone may see: the campaign and its criteria.
    pub fn hidden(c: &CampaignRow, criteria: &CriteriaResults) -> Self {
        Results {
            campaign: Campaign::from(c),
            results_visible: false,
            criteria: criteria_of(criteria),
            criteria_results: None,
            votes: None,
            skips: None,
            participants: None,
            ideas: None,
        }
    }

    /// The campaign with its results.
    pub fn shown(r: &app::campaigns::Results, criteria: &CriteriaResults) -> Self {
        Results {
            campaign: Campaign::from(&r.campaign),
            results_visible: true,
            criteria: criteria_of(criteria),
            criteria_results: Some(
                criteria
                    .rows
                    .iter()
                    .map(|x| CriteriaResult {
                        id: x.idea.id.to_string(),
                        weighted_mean: two_places(x.weighted_mean),
                        spread: two_places(x.spread),
                        raters: x.raters,
                        per_criterion: x.per_criterion.clone(),
                    })
                    .collect(),
            ),
            votes: Some(r.votes),
            skips: Some(r.skips),
            participants: Some(r.participants),
            ideas: Some(
                r.ranked
                    .iter()
                    .map(|x| RankedIdea {
                        id: x.idea.id.to_string(),
                        text: x.idea.body.clone(),
                        score: two_places(x.score),
                        low: two_places(x.low),
                        high: two_places(x.high),
                        wins: x.wins,
                        losses: x.losses,
                    })
                    .collect(),
            ),
        }
    }
}

fn criteria_of(criteria: &CriteriaResults) -> Vec<Criterion> {
    criteria
        .criteria
        .iter()
        .map(|k| Criterion {
            id: k.id.clone(),
            name: k.name.clone(),
            weight: k.weight,
        })
        .collect()
}

/// How many of the best concepts to take forward, and as what.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(examples(json!({ "n": 1, "as": "submission" })))]
pub struct NextSteps {
    /// How many; the campaign's top N when left out.
    #[schema(value_type = i64, minimum = 1, maximum = 50)]
    #[serde(default)]
    pub n: Loose<i64>,
    #[serde(rename = "as")]
    #[schema(schema_with = forward_as)]
    #[serde(default)]
    pub to: Loose<String>,
}

impl NextSteps {
    /// How many (None for the campaign's top N; a value that is no whole number is 0,
    /// which the use case refuses), and whether as cases.
    pub fn read(self) -> (Option<i64>, bool) {
        let n = match self.n {
            Loose::Absent | Loose::Null => None,
            Loose::Given(n) => Some(n),
            Loose::Wrong => Some(0),
        };
        (n, matches!(self.to, Loose::Given(ref s) if s == "case"))
    }
}

/// Every concept taken forward so far.
#[derive(Debug, Serialize, ToSchema)]
pub struct Outcomes {
    pub items: Vec<Outcome>,
}

/// A concept taken forward and what it became.
#[derive(Debug, Serialize, ToSchema)]
pub struct Outcome {
    pub idea_id: String,
    pub submission_id: Option<String>,
    pub case_id: Option<String>,
    pub reference: String,
}

impl From<&OutcomeRow> for Outcome {
    fn from(o: &OutcomeRow) -> Self {
        Outcome {
            idea_id: o.idea_id.to_string(),
            submission_id: o.submission_id.as_ref().map(|s| s.as_str().into()),
            case_id: o.case_id.as_ref().map(|c| c.as_str().into()),
            reference: o.reference.clone(),
        }
    }
}
