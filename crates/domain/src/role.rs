//! Roles are held per organisation. A role held in a region reaches every unit below it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Staff,
    Advisor,
    DecisionMaker,
    ProcessOwner,
    Procurement,
    Company,
    Reviewer,
    FundManager,
    Coordinator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Staff,
        Role::Advisor,
        Role::DecisionMaker,
        Role::ProcessOwner,
        Role::Procurement,
        Role::Company,
        Role::Reviewer,
        Role::FundManager,
        Role::Coordinator,
        Role::Admin,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Advisor => "advisor",
            Role::DecisionMaker => "decision_maker",
            Role::ProcessOwner => "process_owner",
            Role::Procurement => "procurement",
            Role::Company => "company",
            Role::Reviewer => "reviewer",
            Role::FundManager => "fund_manager",
            Role::Coordinator => "coordinator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// May work the inbox (mottagarfunktion) of the organisations the role reaches.
    pub fn can_triage(&self) -> bool {
        matches!(
            self,
            Role::Advisor | Role::Coordinator | Role::Admin | Role::ProcessOwner
        )
    }

    /// May read the inbox without acting on it.
    pub fn can_read_inbox(&self) -> bool {
        self.can_triage() || matches!(self, Role::DecisionMaker)
    }
}

/// A membership row's text as the role (`#[sqlx(try_from = "String")]`): a role the code
/// does not know is an error, never left out.
impl TryFrom<String> for Role {
    type Error = crate::submission::UnknownValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Role::parse(&s).ok_or(crate::submission::UnknownValue {
            kind: "Role",
            value: s,
        })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("king"), None);
        assert_eq!(Role::try_from("advisor".to_string()), Ok(Role::Advisor));
        assert!(Role::try_from("king".to_string()).is_err());
    }
}
