//! Campaigns of pairwise voting: their modes and phases.

crate::submission::string_enum!(
    /// How a campaign runs.
    Mode { Workshop => "workshop", Open => "open" }
);

crate::submission::string_enum!(
    /// The phases a facilitator opens in order (a workshop), or draft/open/closed (open).
    Phase {
        Draft => "draft",
        Research => "research",
        Ideas => "ideas",
        Concepts => "concepts",
        Criteria => "criteria",
        Voting => "voting",
        Results => "results",
        NextSteps => "next_steps",
        Open => "open",
        Closed => "closed",
    }
);

crate::submission::string_enum!(
    /// A participant's answer to a pair: the left idea wins, the right one wins, or
    /// "Kan inte avgöra" (a skip, kept with its reason but deciding nothing).
    VoteChoice { Left => "left", Right => "right", Skip => "skip" }
);

crate::submission::string_enum!(
    /// Whether an idea is in the vote: active, waiting for the facilitator's approval
    /// (open mode), or withdrawn (kept, with its votes, but no longer shown).
    IdeaStatus { Active => "active", Pending => "pending", Withdrawn => "withdrawn" }
);

impl VoteChoice {
    /// Whether the vote decides the pair (and so counts toward the quota).
    pub fn decides(self) -> bool {
        self != VoteChoice::Skip
    }
}

impl Phase {
    /// The phases of a mode, in order.
    pub fn of(mode: Mode) -> &'static [Phase] {
        match mode {
            Mode::Workshop => &[
                Phase::Draft,
                Phase::Research,
                Phase::Ideas,
                Phase::Concepts,
                Phase::Criteria,
                Phase::Voting,
                Phase::Results,
                Phase::NextSteps,
                Phase::Closed,
            ],
            Mode::Open => &[Phase::Draft, Phase::Open, Phase::Closed],
        }
    }

    pub fn takes_ideas(self) -> bool {
        matches!(self, Phase::Ideas | Phase::Concepts | Phase::Open)
    }

    pub fn takes_votes(self) -> bool {
        matches!(self, Phase::Voting | Phase::Open)
    }

    /// Whether participants and the public see the results (scores) in this phase. The
    /// campaign's facilitators see them in every phase.
    pub fn shows_results(self) -> bool {
        matches!(self, Phase::Results | Phase::NextSteps | Phase::Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_read_from_their_text_and_only_a_skip_decides_nothing() {
        for c in VoteChoice::ALL {
            assert_eq!(VoteChoice::try_from(c.as_str().to_string()), Ok(*c));
        }
        assert!(VoteChoice::Left.decides() && VoteChoice::Right.decides());
        assert!(!VoteChoice::Skip.decides());
        let e = VoteChoice::try_from("both".to_string()).unwrap_err();
        assert_eq!(e.to_string(), "\"both\" is not a VoteChoice");
        assert_eq!(Phase::try_from("voting".to_string()), Ok(Phase::Voting));
        assert!(Mode::try_from("".to_string()).is_err());
    }
}
