//! Reading a template's TOML: the raw shapes serde reads, and the checks that turn them into
//! a [`Template`] or into refusals naming the line and the field.

use serde::Deserialize;
use toml::Spanned;

use super::*;

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
