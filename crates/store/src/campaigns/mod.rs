//! Campaigns of pairwise voting: the campaign, its criteria, participants, ideas, the pairs
//! offered to each participant and the votes that answer them.

mod campaign;
mod criteria;
mod ideas;
mod live;
mod offers;
mod outcomes;
mod participants;
mod research;
mod tally;
mod votes;

pub use campaign::{
    CampaignRow, NewCampaign, by_code, by_id, in_org, insert, open_campaigns, run_by, set_phase,
};
pub use criteria::{
    CriterionRow, ScoreRow, criteria, insert_criterion, scores, set_score, set_weight,
};
pub use ideas::{IdeaRow, active_of_pair, flag_idea, ideas, insert_idea, set_idea_status};
pub use live::{Change, LIVE_CHANNEL, STRUCTURE_MARK, notify_changed, notify_counts};
pub use offers::{BatchOffer, OfferRow, insert_offers, offer, offered_keys, open_offer, pair_key};
pub use outcomes::{OutcomeRow, insert_outcome, outcomes};
pub use participants::{
    ParticipantRow, insert_participant, participant_by_token, participant_with_offers,
};
pub use research::{AnswerRow, QuestionRow, add_question, answers, questions, set_answer};
pub use tally::{
    VoteExportRow, decided_pairs_between, last_vote_at, vote_counts, votes_for_export,
};
pub use votes::{
    BatchOutcome, BatchVote, BulkVote, VoteAndNext, VoteWritten, answer_offer, bulk_votes,
    record_votes_and_next,
};

/// The rows a batch's statement is written for on SQLite: the next power of two, the rows
/// past the batch's own padded with an empty id, which matches nothing. Each connection then
/// prepares a few statement texts (nine sizes up to 256), not one for every batch size,
/// which crowded its statement cache out. PostgreSQL takes a batch as arrays (`unnest`), in
/// one statement text for every size, planned once per connection, without compiling the
/// expressions of every row of a `VALUES` list on each run.
fn padded(n: usize) -> usize {
    n.next_power_of_two()
}
