//! Process templates as data. A template (TOML) has phases; a phase has steps and ends in
//! a gate decided by one role; a step has checklist items and may be due some days after
//! the phase starts. Paths (vägval) may add steps to a phase. Parsing refuses a template
//! with messages that name the line and the field, so that a process owner can mend it.

use serde::Deserialize;
use toml::Spanned;

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

/// What is wrong with one field of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not valid TOML, or a value of the wrong type; the parser's own words.
    Syntax(String),
    Empty,
    TooLong {
        max: usize,
    },
    /// Keys are lowercase letters, digits, `-` and `_`.
    InvalidKey,
    DuplicateKey,
    UnknownRole,
    UnknownPhase,
    UnknownPath,
    /// A step names no function of the template.
    UnknownFunction,
    OutOfRange {
        min: i64,
        max: i64,
    },
    NoPhases,
    NoSteps,
    MissingGate,
    /// A control character (other than a line break or a tab), or one that hides or
    /// reorders text ([`crate::text::is_hidden`]).
    HiddenCharacters,
}

/// One refusal: where (line, column, field path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub problem: Problem,
}

impl TemplateError {
    /// What is wrong, in English (the command line's language).
    pub fn message(&self) -> String {
        match &self.problem {
            Problem::Syntax(m) => m.clone(),
            Problem::Empty => "must not be empty".into(),
            Problem::HiddenCharacters => {
                "holds a control character or one that hides or reorders text (such as U+202E or U+200B)".into()
            }
            Problem::TooLong { max } => format!("must be at most {max} characters"),
            Problem::InvalidKey => {
                "must use lowercase letters a–z, digits, '-' and '_' (2 to 60)".into()
            }
            Problem::DuplicateKey => "is used twice; keys must be unique".into(),
            Problem::UnknownRole => format!(
                "is not a role; use one of: {}",
                Role::ALL.map(|r| r.as_str()).join(", ")
            ),
            Problem::UnknownPhase => "names no phase of this template".into(),
            Problem::UnknownPath => format!(
                "is not a path; use one of: {}",
                Vagval::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Problem::UnknownFunction => "names no function of this template's [[functions]]".into(),
            Problem::OutOfRange { min, max } => format!("must be between {min} and {max}"),
            Problem::NoPhases => "a template needs at least one [[phases]]".into(),
            Problem::NoSteps => "a phase needs at least one [[phases.steps]]".into(),
            Problem::MissingGate => "a phase must end in a [phases.gate] with a role".into(),
        }
    }
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, {}: {}", self.line, self.field, self.message())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    template: RawHeader,
    #[serde(default)]
    functions: Vec<RawFunction>,
    #[serde(default)]
    phases: Vec<RawPhase>,
    #[serde(default)]
    paths: Vec<RawPath>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    key: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<Spanned<String>>,
    version: Spanned<i64>,
    #[serde(default)]
    description: String,
    owner_role: Option<Spanned<String>>,
    vagval_phase: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    key: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<Spanned<String>>,
    #[serde(default)]
    help: String,
    role: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    key: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<Spanned<String>>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    steps: Vec<RawStep>,
    gate: Option<RawGate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    key: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<Spanned<String>>,
    #[serde(default)]
    help: String,
    function: Option<Spanned<String>>,
    due_days: Option<Spanned<i64>>,
    #[serde(default)]
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    key: Spanned<String>,
    text: Spanned<String>,
    text_en: Option<Spanned<String>>,
    #[serde(default = "yes")]
    required: bool,
    #[serde(default)]
    help: String,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    name: Spanned<String>,
    name_en: Option<Spanned<String>>,
    role: Spanned<String>,
    #[serde(default)]
    requires_handover: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPath {
    key: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<Spanned<String>>,
    #[serde(default)]
    help: String,
    #[serde(default)]
    steps: Vec<RawPathStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPathStep {
    phase: Spanned<String>,
    key: Spanned<String>,
    name: Spanned<String>,
    name_en: Option<Spanned<String>>,
    #[serde(default)]
    help: String,
    function: Option<Spanned<String>>,
    due_days: Option<Spanned<i64>>,
    #[serde(default)]
    items: Vec<RawItem>,
}

/// Turns byte offsets into lines and collects refusals.
struct Checker<'a> {
    text: &'a str,
    errors: Vec<TemplateError>,
}

impl Checker<'_> {
    fn at(&mut self, offset: usize, field: String, problem: Problem) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count() + 1)
            .unwrap_or(1);
        self.errors.push(TemplateError {
            line,
            column,
            field,
            problem,
        });
    }

    fn text(&mut self, v: &Spanned<String>, field: String, max: usize) -> String {
        let t = v.get_ref().trim();
        if t.is_empty() {
            self.at(v.span().start, field, Problem::Empty);
        } else if t.chars().count() > max {
            self.at(v.span().start, field, Problem::TooLong { max });
        } else if t
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || crate::text::is_hidden(c))
        {
            self.at(v.span().start, field, Problem::HiddenCharacters);
        }
        t.to_string()
    }

    /// An optional English text, under the same rules as the Swedish one.
    fn text_en(
        &mut self,
        v: &Option<Spanned<String>>,
        field: String,
        max: usize,
    ) -> Option<String> {
        v.as_ref().map(|v| self.text(v, field, max))
    }

    fn key(&mut self, v: &Spanned<String>, field: String, seen: &mut Vec<String>) -> String {
        let k = v.get_ref().trim();
        let ok = (2..=60).contains(&k.len())
            && k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            self.at(v.span().start, field, Problem::InvalidKey);
        } else if seen.iter().any(|s| s == k) {
            self.at(v.span().start, field, Problem::DuplicateKey);
        } else {
            seen.push(k.to_string());
        }
        k.to_string()
    }

    fn role(&mut self, v: &Spanned<String>, field: String) -> Option<Role> {
        let r = Role::parse(v.get_ref());
        if r.is_none() {
            self.at(v.span().start, field, Problem::UnknownRole);
        }
        r
    }

    fn step(&mut self, raw: StepParts<'_>, field: &str, step_keys: &mut Vec<String>) -> Step {
        let key = self.key(raw.key, format!("{field}.key"), step_keys);
        let name = self.text(raw.name, format!("{field}.name"), 200);
        let name_en = self.text_en(raw.name_en, format!("{field}.name_en"), 200);
        let function = raw.function.map(|f| {
            if !raw.functions.iter().any(|k| k == f.get_ref().trim()) {
                self.at(
                    f.span().start,
                    format!("{field}.function"),
                    Problem::UnknownFunction,
                );
            }
            f.get_ref().trim().to_string()
        });
        if let Some(d) = raw.due_days
            && !(0..=3650).contains(d.get_ref())
        {
            self.at(
                d.span().start,
                format!("{field}.due_days"),
                Problem::OutOfRange { min: 0, max: 3650 },
            );
        }
        let mut item_keys = Vec::new();
        let items = raw
            .items
            .iter()
            .enumerate()
            .map(|(k, it)| {
                let f = format!("{field}.items[{}]", k + 1);
                Item {
                    key: self.key(&it.key, format!("{f}.key"), &mut item_keys),
                    text: self.text(&it.text, format!("{f}.text"), 500),
                    text_en: self.text_en(&it.text_en, format!("{f}.text_en"), 500),
                    required: it.required,
                    help: it.help.trim().to_string(),
                }
            })
            .collect();
        Step {
            key,
            name,
            name_en,
            help: raw.help.trim().to_string(),
            function,
            due_days: raw.due_days.map(|d| *d.get_ref()),
            items,
        }
    }
}

struct StepParts<'a> {
    key: &'a Spanned<String>,
    name: &'a Spanned<String>,
    name_en: &'a Option<Spanned<String>>,
    help: &'a str,
    function: Option<&'a Spanned<String>>,
    /// The template's function keys, which `function` must name.
    functions: &'a [String],
    due_days: Option<&'a Spanned<i64>>,
    items: &'a [RawItem],
}

/// Parses and validates a template; every problem found is returned, not just the first.
pub fn parse_template(text: &str) -> Result<Template, Vec<TemplateError>> {
    let mut c = Checker {
        text,
        errors: Vec::new(),
    };
    let raw: RawTemplate = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let message = e.message().trim().to_string();
            c.at(offset, "(file)".into(), Problem::Syntax(message));
            return Err(c.errors);
        }
    };
    let h = &raw.template;
    let key = c.key(&h.key, "template.key".into(), &mut Vec::new());
    let name = c.text(&h.name, "template.name".into(), 200);
    let name_en = c.text_en(&h.name_en, "template.name_en".into(), 200);
    if !(1..=1_000_000).contains(h.version.get_ref()) {
        c.at(
            h.version.span().start,
            "template.version".into(),
            Problem::OutOfRange {
                min: 1,
                max: 1_000_000,
            },
        );
    }
    let owner_role = h
        .owner_role
        .as_ref()
        .and_then(|r| c.role(r, "template.owner_role".into()));
    let mut function_keys = Vec::new();
    let functions = raw
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| Function {
            key: c.key(
                &f.key,
                format!("functions[{}].key", i + 1),
                &mut function_keys,
            ),
            name: c.text(&f.name, format!("functions[{}].name", i + 1), 200),
            name_en: c.text_en(&f.name_en, format!("functions[{}].name_en", i + 1), 200),
            help: f.help.trim().to_string(),
            role: f
                .role
                .as_ref()
                .and_then(|r| c.role(r, format!("functions[{}].role", i + 1))),
        })
        .collect();
    if raw.phases.is_empty() {
        c.at(0, "phases".into(), Problem::NoPhases);
    }
    let mut phase_keys = Vec::new();
    let mut step_keys = Vec::new();
    let mut phases = Vec::new();
    for (i, p) in raw.phases.iter().enumerate() {
        let field = format!("phases[{}]", i + 1);
        let key = c.key(&p.key, format!("{field}.key"), &mut phase_keys);
        let name = c.text(&p.name, format!("{field}.name"), 200);
        let name_en = c.text_en(&p.name_en, format!("{field}.name_en"), 200);
        if p.steps.is_empty() {
            c.at(
                p.key.span().start,
                format!("{field}.steps"),
                Problem::NoSteps,
            );
        }
        let steps = p
            .steps
            .iter()
            .enumerate()
            .map(|(j, s)| {
                let parts = StepParts {
                    key: &s.key,
                    name: &s.name,
                    name_en: &s.name_en,
                    help: &s.help,
                    function: s.function.as_ref(),
                    functions: &function_keys,
                    due_days: s.due_days.as_ref(),
                    items: &s.items,
                };
                c.step(parts, &format!("{field}.steps[{}]", j + 1), &mut step_keys)
            })
            .collect();
        let gate = match &p.gate {
            Some(g) => {
                let gate_name = c.text(&g.name, format!("{field}.gate.name"), 200);
                let gate_name_en = c.text_en(&g.name_en, format!("{field}.gate.name_en"), 200);
                c.role(&g.role, format!("{field}.gate.role"))
                    .map(|role| Gate {
                        name: gate_name,
                        name_en: gate_name_en,
                        role,
                        requires_handover: g.requires_handover,
                    })
            }
            None => {
                c.at(
                    p.key.span().start,
                    format!("{field}.gate"),
                    Problem::MissingGate,
                );
                None
            }
        };
        if let Some(gate) = gate {
            phases.push(Phase {
                key,
                name,
                name_en,
                description: p.description.trim().to_string(),
                steps,
                gate,
            });
        }
    }
    let mut path_keys = Vec::new();
    let mut paths = Vec::new();
    for (i, p) in raw.paths.iter().enumerate() {
        let field = format!("paths[{}]", i + 1);
        let k = c.key(&p.key, format!("{field}.key"), &mut path_keys);
        let vagval = Vagval::parse(&k);
        if vagval.is_none() && !c.errors.iter().any(|e| e.field == format!("{field}.key")) {
            c.at(
                p.key.span().start,
                format!("{field}.key"),
                Problem::UnknownPath,
            );
        }
        let name = c.text(&p.name, format!("{field}.name"), 200);
        let name_en = c.text_en(&p.name_en, format!("{field}.name_en"), 200);
        let mut steps = Vec::new();
        for (j, s) in p.steps.iter().enumerate() {
            let sf = format!("{field}.steps[{}]", j + 1);
            if !phase_keys.iter().any(|pk| pk == s.phase.get_ref().trim()) {
                c.at(
                    s.phase.span().start,
                    format!("{sf}.phase"),
                    Problem::UnknownPhase,
                );
            }
            let parts = StepParts {
                key: &s.key,
                name: &s.name,
                name_en: &s.name_en,
                help: &s.help,
                function: s.function.as_ref(),
                functions: &function_keys,
                due_days: s.due_days.as_ref(),
                items: &s.items,
            };
            let step = c.step(parts, &sf, &mut step_keys);
            steps.push((s.phase.get_ref().trim().to_string(), step));
        }
        if let Some(vagval) = vagval {
            paths.push(Path {
                vagval,
                name,
                name_en,
                help: p.help.trim().to_string(),
                steps,
            });
        }
    }
    let vagval_phase = match &h.vagval_phase {
        Some(v) => {
            if !phase_keys.iter().any(|k| k == v.get_ref().trim()) {
                c.at(
                    v.span().start,
                    "template.vagval_phase".into(),
                    Problem::UnknownPhase,
                );
            }
            Some(v.get_ref().trim().to_string())
        }
        None => {
            if !paths.is_empty() {
                c.at(
                    h.key.span().start,
                    "template.vagval_phase".into(),
                    Problem::Empty,
                );
            }
            None
        }
    };
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(Template {
        key,
        name,
        name_en,
        version: *h.version.get_ref(),
        description: h.description.trim().to_string(),
        owner_role,
        functions,
        phases,
        vagval_phase,
        paths,
    })
}

/// The templates Sluss ships with: (file name, TOML text).
pub const BUILT_IN: [(&str, &str); 2] = [
    (
        "spelplanen.toml",
        include_str!("../templates/spelplanen.toml"),
    ),
    ("blekinge.toml", include_str!("../templates/blekinge.toml")),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn built_in(name: &str) -> Template {
        let text = BUILT_IN.iter().find(|(n, _)| *n == name).unwrap().1;
        parse_template(text).unwrap_or_else(|e| {
            panic!(
                "{name}: {}",
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
    }

    /// A template's texts are shown to everyone working a case: nothing in them may hide
    /// or reorder text.
    #[test]
    fn template_texts_refuse_hidden_characters() {
        let source = BUILT_IN[0].1;
        let first = source
            .lines()
            .position(|l| l.starts_with("name = "))
            .unwrap();
        // The last written as TOML's escape (a bare control character is a syntax error).
        for c in ["\u{202E}", "\u{200B}", "\\u0007"] {
            let bad: String = source
                .lines()
                .enumerate()
                .map(|(i, l)| {
                    if i == first {
                        format!("name = \"Spel{c}planen\"\n")
                    } else {
                        format!("{l}\n")
                    }
                })
                .collect();
            let e = parse_template(&bad).unwrap_err();
            assert_eq!(e.len(), 1, "{c:?}: {e:?}");
            assert_eq!(
                (e[0].line, e[0].problem.clone()),
                (first + 1, Problem::HiddenCharacters)
            );
        }
    }

    #[test]
    fn spelplanen_has_the_four_steps_and_the_checklist() {
        let t = built_in("spelplanen.toml");
        let names: Vec<&str> = t.phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Behovs- och omvärldsanalys",
                "Planering och vägval",
                "Projektgenomförande",
                "Resultat"
            ]
        );
        let check = t.phases[1]
            .steps
            .iter()
            .find(|s| s.name == "Checklista före samutveckling")
            .unwrap();
        let keys: Vec<&str> = check.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "upphandling",
                "it",
                "medicinsk-teknik",
                "juridik-ip",
                "informationssakerhet",
                "verksamheten"
            ]
        );
        assert!(check.items.iter().all(|i| i.required));
        // The working group draws on the functions that test, buy and implement.
        for f in ["testa", "kopa", "implementera"] {
            assert!(t.functions.iter().any(|x| x.key == f), "{f}");
        }
        // The environment scan comes before any development.
        assert!(
            t.phases[0]
                .steps
                .iter()
                .any(|s| s.items.iter().any(|i| i.key == "befintliga-losningar"))
        );
        assert!(t.phases.iter().all(|p| p.gate.role == Role::DecisionMaker));
        let procurement = t
            .paths
            .iter()
            .find(|p| p.vagval == Vagval::InnovationProcurement)
            .unwrap();
        assert_eq!(procurement.steps[0].0, "genomforande");
        assert_eq!(t.owner_role, Some(Role::ProcessOwner));
    }

    #[test]
    fn blekinge_has_its_six_phases_and_a_process_owner() {
        let t = built_in("blekinge.toml");
        let keys: Vec<&str> = t.phases.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "ta-emot",
                "utreda",
                "besluta",
                "genomfora",
                "implementera",
                "folja-upp"
            ]
        );
        assert_eq!(t.owner_role, Some(Role::ProcessOwner));
        assert_eq!(t.phases.last().unwrap().gate.role, Role::ProcessOwner);
        assert!(t.step_count() >= 6 && t.item_count() >= 12);
    }

    #[test]
    fn spelplanen_has_english_names_and_blekinge_falls_back_to_swedish() {
        let t = built_in("spelplanen.toml");
        assert!(t.name_en.is_some());
        assert!(
            t.phases
                .iter()
                .all(|p| p.name_en.is_some() && p.gate.name_en.is_some())
        );
        assert!(
            t.phases
                .iter()
                .flat_map(|p| &p.steps)
                .all(|s| s.name_en.is_some() && s.items.iter().all(|i| i.text_en.is_some()))
        );
        assert!(t.paths.iter().all(|p| p.name_en.is_some()));
        assert!(t.functions.iter().all(|f| f.name_en.is_some()));
        let first = &t.phases[0];
        assert_eq!(
            in_language(&first.name, first.name_en.as_deref(), true),
            ("Needs and environment analysis", false)
        );
        assert_eq!(
            in_language(&first.name, first.name_en.as_deref(), false),
            ("Behovs- och omvärldsanalys", false)
        );
        let b = built_in("blekinge.toml");
        let p = &b.phases[0];
        assert_eq!(p.name_en, None);
        assert_eq!(in_language(&p.name, None, true), ("Ta emot", true));
    }

    #[test]
    fn steps_name_functions_and_functions_name_roles() {
        let t = built_in("spelplanen.toml");
        assert_eq!(
            t.function("kopa").and_then(|f| f.role),
            Some(Role::Procurement)
        );
        let roller = t.phases[1]
            .steps
            .iter()
            .find(|s| s.key == "roller")
            .unwrap();
        assert_eq!(t.role_of_step(roller), Some(Role::Procurement));
        assert!(t.roles_on_steps(None).contains(&Role::Procurement));
        // Blekinge's procurement step is on its path: procurement follows only a case on it.
        let b = built_in("blekinge.toml");
        assert!(!b.roles_on_steps(None).contains(&Role::Procurement));
        assert!(
            b.roles_on_steps(Some(Vagval::InnovationProcurement))
                .contains(&Role::Procurement)
        );
        assert!(
            !b.roles_on_steps(Some(Vagval::Testbed))
                .contains(&Role::Procurement)
        );
        let bad = SMALL.replace(
            "name = \"Ett steg\"",
            "name = \"Ett steg\"\nfunction = \"ingen\"",
        );
        let e = parse_template(&bad).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), &e[0].problem),
            ("phases[1].steps[1].function", &Problem::UnknownFunction)
        );
        let english = SMALL.replace(
            "name = \"Ett steg\"",
            "name = \"Ett steg\"\nname_en = \"A step\"",
        );
        let t = parse_template(&english).unwrap();
        assert_eq!(t.phases[0].steps[0].name_en.as_deref(), Some("A step"));
        let empty = SMALL.replace(
            "text = \"En punkt\"",
            "text = \"En punkt\"\ntext_en = \" \"",
        );
        assert_eq!(
            parse_template(&empty).unwrap_err()[0].problem,
            Problem::Empty
        );
    }

    const SMALL: &str = r#"[template]
key = "liten"
name = "Liten process"
version = 1

[[phases]]
key = "forsta"
name = "Första"

[[phases.steps]]
key = "steg"
name = "Ett steg"

[[phases.steps.items]]
key = "punkt"
text = "En punkt"

[phases.gate]
name = "Grind"
role = "decision_maker"
"#;

    #[test]
    fn a_small_template_parses() {
        let t = parse_template(SMALL).unwrap();
        assert!(
            t.phases[0].steps[0].items[0].required,
            "items are required unless said otherwise"
        );
        assert!(t.paths.is_empty());
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let bad = SMALL.replace("role = \"decision_maker\"", "role = \"boss\"");
        let e = parse_template(&bad).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].line, e[0].field.as_str(), &e[0].problem),
            (20, "phases[1].gate.role", &Problem::UnknownRole)
        );
        assert!(e[0].to_string().starts_with(
            "line 20, phases[1].gate.role: is not a role; use one of: staff, advisor"
        ));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = SMALL
            .replace("key = \"punkt\"", "key = \"Punkt!\"")
            .replace("name = \"Ett steg\"", "name = \"\"\ndue_days = 99999")
            .replace("version = 1", "version = 0");
        let e = parse_template(&bad).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "template.version",
                "phases[1].steps[1].name",
                "phases[1].steps[1].due_days",
                "phases[1].steps[1].items[1].key"
            ]
        );
    }

    #[test]
    fn structure_is_checked() {
        let no_gate = SMALL.split("[phases.gate]").next().unwrap().to_string();
        assert_eq!(
            parse_template(&no_gate).unwrap_err()[0].problem,
            Problem::MissingGate
        );
        let dup = format!("{SMALL}\n{}", &SMALL[SMALL.find("[[phases]]").unwrap()..]);
        let e = parse_template(&dup).unwrap_err();
        assert!(
            e.iter()
                .any(|e| e.field == "phases[2].key" && e.problem == Problem::DuplicateKey),
            "{e:?}"
        );
        let path = format!(
            "{SMALL}\n[[paths]]\nkey = \"teleport\"\nname = \"X\"\n\n[[paths]]\nkey = \"testbed\"\nname = \"T\"\n\n[[paths.steps]]\nphase = \"nowhere\"\nkey = \"s2\"\nname = \"S\"\n"
        );
        let e = parse_template(&path).unwrap_err();
        assert!(
            e.iter()
                .any(|e| e.field == "paths[1].key" && e.problem == Problem::UnknownPath)
        );
        assert!(e.iter().any(|e| e.field == "paths[2].steps[1].phase"
            && e.problem == Problem::UnknownPhase
            && e.line > 20));
        let none = "[template]\nkey = \"tom\"\nname = \"Tom\"\nversion = 1\n";
        assert_eq!(
            parse_template(none).unwrap_err()[0].problem,
            Problem::NoPhases
        );
    }

    #[test]
    fn syntax_and_type_errors_name_the_line() {
        let e = parse_template("[template]\nkey = \"x\"\nname = \"X\"\nversion = \"ett\"\n")
            .unwrap_err();
        assert_eq!(e[0].line, 4, "{e:?}");
        assert!(matches!(e[0].problem, Problem::Syntax(_)));
        let e = parse_template("[template\nkey = 1").unwrap_err();
        assert_eq!(e[0].line, 1);
        let e = parse_template(
            &SMALL.replace("name = \"Grind\"", "name = \"Grind\"\ncolour = \"red\""),
        )
        .unwrap_err();
        assert!(
            matches!(&e[0].problem, Problem::Syntax(m) if m.contains("colour")),
            "{e:?}"
        );
    }
}
