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
