//! Process templates as data. A template (TOML) has phases; a phase has steps and ends in
//! a gate decided by one role; a step has checklist items and may be due some days after
//! the phase starts. Paths (vägval) may add steps to a phase. Parsing refuses a template
//! with messages that name the line and the field, so that a process owner can mend it.

use crate::role::Role;

crate::submission::string_enum!(
    /// The path a case takes after Planering och vägval.
    Vagval {
        NotInnovation => "not_innovation",
        InternalDevelopment => "internal_development",
        FouSamverkan => "fou_samverkan",
        InnovationProcurement => "innovation_procurement",
        Testbed => "testbed",
        BuyExisting => "buy_existing",
        Close => "close",
    }
);

/// A validated template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub key: String,
    pub name: String,
    /// The English name, where the template gives one (every `*_en` field is optional: a
    /// page in English shows the Swedish text, marked as Swedish, where it is missing).
    pub name_en: Option<String>,
    pub version: i64,
    pub description: String,
    /// The role that owns and follows up the process (Region Blekinge's processägare).
    pub owner_role: Option<Role>,
    /// The functions a working group draws its members from.
    pub functions: Vec<Function>,
    pub phases: Vec<Phase>,
    /// The phase in which the path (vägval) is chosen; required when there are paths.
    pub vagval_phase: Option<String>,
    pub paths: Vec<Path>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub key: String,
    pub name: String,
    pub name_en: Option<String>,
    pub help: String,
    /// The role that fills the function in the organisation (procurement for the function
    /// that buys): a step naming the function waits for those who hold it.
    pub role: Option<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub key: String,
    pub name: String,
    pub name_en: Option<String>,
    pub description: String,
    pub steps: Vec<Step>,
    pub gate: Gate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub key: String,
    pub name: String,
    pub name_en: Option<String>,
    pub help: String,
    /// The function (a key of the template's `functions`) the step is assigned to.
    pub function: Option<String>,
    /// Days after the phase starts by which the step is due.
    pub due_days: Option<i64>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: String,
    pub text: String,
    pub text_en: Option<String>,
    pub required: bool,
    pub help: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub name: String,
    pub name_en: Option<String>,
    /// The role whose mandate decides the gate.
    pub role: Role,
    /// Passing the gate needs the handover to ordinary operations on record (Resultat).
    pub requires_handover: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub vagval: Vagval,
    pub name: String,
    pub name_en: Option<String>,
    pub help: String,
    /// Steps the path adds, each to a named phase.
    pub steps: Vec<(String, Step)>,
}

impl Template {
    pub fn phase(&self, key: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.key == key)
    }

    pub fn step_count(&self) -> usize {
        self.phases.iter().map(|p| p.steps.len()).sum()
    }

    pub fn item_count(&self) -> usize {
        self.phases
            .iter()
            .flat_map(|p| &p.steps)
            .map(|s| s.items.len())
            .sum()
    }

    pub fn function(&self, key: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.key == key)
    }

    /// The role a step waits for: the role of the function it is assigned to.
    pub fn role_of_step(&self, step: &Step) -> Option<Role> {
        step.function
            .as_deref()
            .and_then(|f| self.function(f))
            .and_then(|f| f.role)
    }

    /// The roles the steps of a case on this template wait for: those of its phases, and of
    /// the path once it is chosen. Those who hold one may read such a case (to see what
    /// waits for them), without working it.
    pub fn roles_on_steps(&self, vagval: Option<Vagval>) -> Vec<Role> {
        let path_steps = self
            .paths
            .iter()
            .filter(|p| Some(p.vagval) == vagval)
            .flat_map(|p| p.steps.iter().map(|(_, s)| s));
        let mut out: Vec<Role> = Vec::new();
        for step in self.phases.iter().flat_map(|p| &p.steps).chain(path_steps) {
            if let Some(r) = self.role_of_step(step)
                && !out.contains(&r)
            {
                out.push(r);
            }
        }
        if let Some(r) = vagval.and_then(|v| v.reader_role())
            && !out.contains(&r)
        {
            out.push(r);
        }
        out
    }
}

impl Vagval {
    /// The role that follows a case on this path without a step naming it: procurement
    /// follows every case bought through innovation procurement.
    pub fn reader_role(&self) -> Option<Role> {
        match self {
            Vagval::InnovationProcurement => Some(Role::Procurement),
            _ => None,
        }
    }
}

/// A template text in the page's language: the English one when asked for and given, else
/// the Swedish one, with `true` when that is a fallback (to be marked `lang="sv"`).
pub fn in_language<'a>(sv: &'a str, en: Option<&'a str>, english: bool) -> (&'a str, bool) {
    match (english, en) {
        (false, _) => (sv, false),
        (true, Some(en)) => (en, false),
        (true, None) => (sv, true),
    }
}

mod parse;
pub use parse::{Problem, TemplateError, parse_template};

/// The templates Sluss ships with: (file name, TOML text).
pub const BUILT_IN: [(&str, &str); 2] = [
    (
        "spelplanen.toml",
        include_str!("../../templates/spelplanen.toml"),
    ),
    (
        "blekinge.toml",
        include_str!("../../templates/blekinge.toml"),
    ),
];

#[cfg(test)]
mod tests;
