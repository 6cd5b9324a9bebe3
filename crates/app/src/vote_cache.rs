//! What a node remembers of the vote path, so that a vote and the next pair cost one
//! write and no read in the common case.
//!
//! - A campaign's row and ideas ([`CampaignView`]), read again after any change to the
//!   campaign itself (its phase, ideas or criteria: every node hears of it through the live
//!   notification) and at the latest after [`VIEW_TTL`].
//! - Each participant's votes cast, open pair and the pairs shown so far ([`Voter`]), behind
//!   one lock per participant, so one participant's requests on a node run one at a time.
//!
//! Nothing here decides anything: every condition that matters (the offer still open, the
//! phase, the ideas active, the quota, a pair never shown twice) is part of the batch
//! writer's conditional statements. A node that remembers wrongly (another node served the
//! same participant in between) has its write refused and reads the database again.

use domain::id::{CampaignId, IdeaId};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use store::campaigns::{CampaignRow, IdeaRow, OfferRow, ParticipantRow};

/// How long a campaign's row and ideas are used without reading them again, when no change
/// was heard of in between (a safety net: changes are announced).
pub const VIEW_TTL: Duration = Duration::from_secs(2);

/// Participants remembered per node; past it, the least recently used idle ones are let go.
pub const MAX_VOTERS: usize = 4096;

/// A campaign as the vote path needs it.
#[derive(Debug)]
pub struct CampaignView {
    pub row: CampaignRow,
    /// Every idea, by sequence number (the ranking engine's index).
    pub ideas: Vec<IdeaRow>,
    /// The ideas' ids in the same order (compared with a cached fit's).
    pub ids: Vec<IdeaId>,
    index: HashMap<IdeaId, usize>,
    read_at: Instant,
}

impl CampaignView {
    pub fn new(row: CampaignRow, ideas: Vec<IdeaRow>) -> Self {
        let ids: Vec<IdeaId> = ideas.iter().map(|i| i.id.clone()).collect();
        let index = ids
            .iter()
            .enumerate()
            .map(|(k, id)| (id.clone(), k))
            .collect();
        Self {
            row,
            ideas,
            ids,
            index,
            read_at: Instant::now(),
        }
    }

    /// The engine's index of an idea.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The engine's index of an idea that is active.
    pub fn active(&self, id: &IdeaId) -> Option<usize> {
        self.index_of(id.as_str())
            .filter(|&k| self.ideas[k].status == domain::campaign::IdeaStatus::Active)
    }

    /// The pairs of a participant's `smaller-id:larger-id` keys, as index pairs.
    pub fn seen_of(&self, keys: &[String]) -> HashSet<(usize, usize)> {
        keys.iter()
            .filter_map(|k| k.split_once(':'))
            .filter_map(|(a, b)| Some(ordered(self.index_of(a)?, self.index_of(b)?)))
            .collect()
    }
}

/// A pair of indexes, smaller first.
pub fn ordered(a: usize, b: usize) -> (usize, usize) {
    if a <= b { (a, b) } else { (b, a) }
}

/// What a node knows of one participant.
#[derive(Debug)]
pub struct Voter {
    pub participant: ParticipantRow,
    /// The pair shown and not answered, if any.
    pub open: Option<OfferRow>,
    /// Every pair shown to this participant, as ordered index pairs.
    pub seen: HashSet<(usize, usize)>,
    /// How many offers the database held when this was read, plus those made since.
    pub offers: i64,
}

/// One participant's place: locked for the whole of each request of theirs on this node.
pub type VoterSlot = Arc<tokio::sync::Mutex<Option<Voter>>>;

/// The node's memory of the vote path.
#[derive(Debug, Default)]
pub struct VoteCache {
    /// Bumped by every change heard of, so that a view read before it is not kept.
    generation: AtomicU64,
    campaigns: Mutex<HashMap<String, Arc<CampaignView>>>,
    voters: Mutex<HashMap<(CampaignId, String), (VoterSlot, Instant)>>,
}

impl VoteCache {
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A campaign's view by its (normalised) code, if it was read recently and nothing
    /// changed since.
    pub fn campaign(&self, code: &str) -> Option<Arc<CampaignView>> {
        let map = self.campaigns.lock().ok()?;
        map.get(code)
            .filter(|v| v.read_at.elapsed() < VIEW_TTL)
            .cloned()
    }

    /// Keeps a view read while the generation was `generation`; a view read across a change
    /// is not kept (the next request reads again).
    pub fn keep_campaign(&self, generation: u64, code: &str, view: Arc<CampaignView>) {
        if let Ok(mut map) = self.campaigns.lock()
            && self.generation() == generation
        {
            if map.len() >= 1024 {
                map.retain(|_, v| v.read_at.elapsed() < VIEW_TTL);
            }
            map.insert(code.to_string(), view);
        }
    }

    /// Forgets a campaign's view: its phase, ideas or criteria changed.
    pub fn forget_campaign(&self, code: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut map) = self.campaigns.lock() {
            map.remove(code);
        }
    }

    /// The place of a participant (by campaign id and token hash), made when missing.
    pub fn voter(&self, campaign_id: &CampaignId, token_hash: &str) -> VoterSlot {
        let Ok(mut map) = self.voters.lock() else {
            return VoterSlot::default();
        };
        let key = (campaign_id.clone(), token_hash.to_string());
        if let Some((slot, used)) = map.get_mut(&key) {
            *used = Instant::now();
            return slot.clone();
        }
        if map.len() >= MAX_VOTERS {
            // Let go of idle participants: first those unseen for a minute, then any idle.
            map.retain(|_, (slot, used)| {
                Arc::strong_count(slot) > 1 || used.elapsed() < Duration::from_secs(60)
            });
            if map.len() >= MAX_VOTERS {
                map.retain(|_, (slot, _)| Arc::strong_count(slot) > 1);
            }
        }
        let slot = VoterSlot::default();
        map.insert(key, (slot.clone(), Instant::now()));
        slot
    }

    /// Lets go of a place made for a token that belongs to nobody, so that guessed tokens
    /// do not push out real participants.
    pub fn forget_voter(&self, campaign_id: &CampaignId, token_hash: &str) {
        if let Ok(mut map) = self.voters.lock() {
            map.remove(&(campaign_id.clone(), token_hash.to_string()));
        }
    }

    /// How many participants this node remembers.
    pub fn voters_held(&self) -> usize {
        self.voters.lock().map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str) -> CampaignRow {
        CampaignRow {
            id: CampaignId::from(format!("id-{code}")),
            org_id: "org".into(),
            code: code.into(),
            mode: domain::campaign::Mode::Open,
            title: "t".into(),
            question: "q".into(),
            phase: domain::campaign::Phase::Open,
            vote_quota: 20,
            require_approval: false,
            top_n: 5,
            seed: 1,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn idea(id: &str, status: &str) -> IdeaRow {
        IdeaRow {
            id: id.into(),
            seq: 0,
            body: String::new(),
            participant_id: None,
            status: domain::campaign::IdeaStatus::parse(status).unwrap(),
            flags: 0,
            created_at: String::new(),
        }
    }

    #[test]
    fn a_view_read_across_a_change_is_not_kept() {
        let cache = VoteCache::default();
        let g = cache.generation();
        cache.forget_campaign("ABC123");
        cache.keep_campaign(
            g,
            "ABC123",
            Arc::new(CampaignView::new(row("ABC123"), vec![])),
        );
        assert!(cache.campaign("ABC123").is_none());
        let g = cache.generation();
        cache.keep_campaign(
            g,
            "ABC123",
            Arc::new(CampaignView::new(row("ABC123"), vec![])),
        );
        assert!(cache.campaign("ABC123").is_some());
        cache.forget_campaign("ABC123");
        assert!(cache.campaign("ABC123").is_none());
    }

    #[test]
    fn seen_keys_become_ordered_index_pairs_and_withdrawn_ideas_are_not_active() {
        let v = CampaignView::new(
            row("ABC123"),
            vec![
                idea("a", "active"),
                idea("b", "withdrawn"),
                idea("c", "active"),
            ],
        );
        let seen = v.seen_of(&["a:c".into(), "b:c".into(), "x:a".into(), "bad".into()]);
        assert_eq!(seen, HashSet::from([(0, 2), (1, 2)]));
        assert_eq!(v.active(&"a".into()), Some(0));
        assert_eq!(v.active(&"b".into()), None);
        assert_eq!(v.index_of("b"), Some(1));
    }

    #[test]
    fn idle_participants_are_let_go_past_the_bound_and_busy_ones_kept() {
        let cache = VoteCache::default();
        let c = CampaignId::from("c");
        let busy = cache.voter(&c, "busy");
        for k in 0..MAX_VOTERS + 10 {
            cache.voter(&c, &format!("t{k}"));
        }
        assert!(cache.voters_held() <= MAX_VOTERS);
        assert!(Arc::ptr_eq(&busy, &cache.voter(&c, "busy")));
        let held = cache.voters_held();
        cache.forget_voter(&c, "busy");
        assert_eq!(cache.voters_held(), held - 1);
    }
}
