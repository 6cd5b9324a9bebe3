//! Message catalogs: Swedish first, English second. Every string a person reads comes from
//! `i18n/sv.txt` or `i18n/en.txt` (`key = value` lines); a test checks that both define
//! the same keys and that every key used in templates and code exists.

use std::collections::HashMap;
use std::sync::OnceLock;

use domain::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Sv,
    En,
}

impl Lang {
    pub fn code(&self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim() {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(&self) -> Lang {
        match self {
            Lang::Sv => Lang::En,
            Lang::En => Lang::Sv,
        }
    }

    /// The first supported language in an `Accept-Language` header, Swedish if none.
    pub fn from_accept_language(header: &str) -> Lang {
        for part in header.split(',') {
            let tag = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if tag.starts_with("sv") {
                return Lang::Sv;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::Sv
    }
}

const SV: &str = include_str!("../i18n/sv.txt");
const EN: &str = include_str!("../i18n/en.txt");

pub fn parse_catalog(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = ").map(|(k, v)| (k.trim(), v.trim())))
        .collect()
}

fn catalogs() -> &'static [HashMap<&'static str, &'static str>; 2] {
    static C: OnceLock<[HashMap<&'static str, &'static str>; 2]> = OnceLock::new();
    C.get_or_init(|| [parse_catalog(SV), parse_catalog(EN)])
}

/// Translations for one language, handed to every template.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    /// The message for `key`; a missing key shows as itself, so it is noticed, never hidden.
    pub fn t(&self, key: &str) -> &'static str {
        let [sv, en] = catalogs();
        let cat = if self.lang == Lang::En { en } else { sv };
        match cat.get(key) {
            Some(v) => v,
            None => {
                tracing::warn!(key, "missing message");
                // Leak-free fallback: look the key up in Swedish, else a fixed marker.
                sv.get(key).copied().unwrap_or("[?]")
            }
        }
    }

    pub fn has(&self, key: &str) -> bool {
        catalogs()[0].contains_key(key)
    }

    /// The message for `prefix` + `value`, for labels of stored codes (`status.` + `new`).
    pub fn k(&self, prefix: &str, value: &str) -> &'static str {
        self.t(&format!("{prefix}{value}"))
    }

    /// The message for `key` with `{n}` replaced, in the number's form: a key with plural
    /// forms is written as `key.one` ("{n} träff") and `key.other` ("{n} träffar"), and
    /// the one is used for 1, the other for every other number (Swedish and English agree
    /// on that). A key without them is used as it is.
    pub fn n(&self, key: &str, n: impl std::fmt::Display) -> String {
        let n = n.to_string();
        let form = plural_form(&n);
        let plural = format!("{key}.{form}");
        let key = if self.has(&plural) {
            plural.as_str()
        } else {
            key
        };
        self.t(key).replace("{n}", &n)
    }

    /// The message for `key` with `{a}` and `{b}` replaced.
    pub fn ab(&self, key: &str, a: &str, b: &str) -> String {
        self.t(key).replace("{a}", a).replace("{b}", b)
    }

    pub fn field_error(&self, e: &FieldError) -> String {
        let mut msg = self.t(e.code.key()).to_string();
        if let Some(n) = e.code.number() {
            msg = msg.replace("{n}", &n.to_string());
        }
        if let domain::ErrorCode::TooLongWas { len, .. } = e.code {
            msg = msg.replace("{len}", &len.to_string());
        }
        msg
    }
}

/// The plural form of a number written out: `one` for 1, `other` for any other.
fn plural_form(n: &str) -> &'static str {
    if n.trim() == "1" { "one" } else { "other" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn catalogs_have_the_same_keys() {
        let sv: BTreeSet<_> = parse_catalog(SV).into_keys().collect();
        let en: BTreeSet<_> = parse_catalog(EN).into_keys().collect();
        let only_sv: Vec<_> = sv.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&sv).collect();
        assert!(
            only_sv.is_empty() && only_en.is_empty(),
            "only in sv: {only_sv:?}, only in en: {only_en:?}"
        );
    }

    /// Every literal key passed to `t("…")`, `n("…"` or `ab("…"` in templates and sources exists.
    #[test]
    fn every_used_key_exists() {
        let sv = parse_catalog(SV);
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut missing = Vec::new();
        for dir in [
            "templates",
            "src",
            "src/pages",
            "src/pages/cases",
            "src/pages/workshop",
        ] {
            for entry in std::fs::read_dir(format!("{root}{dir}")).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // A form's labels for its error summary: pairs of a field and a catalog key.
                for (i, _) in text.match_indices("\", \"") {
                    let rest = &text[i + 4..];
                    let key = &rest[..rest.find('"').unwrap_or(0)];
                    let labels = text[..i].rfind("(\"").is_some_and(|o| i - o < 40);
                    if labels && key.contains('.') && !key.contains(' ') && !sv.contains_key(key) {
                        missing.push(format!("{}: label {key}", path.display()));
                    }
                }
                for pat in ["t(\"", ".n(\"", ".ab(\""] {
                    for (i, _) in text.match_indices(pat) {
                        let rest = &text[i + pat.len()..];
                        let key = &rest[..rest.find('"').unwrap()];
                        let plural = |f: &str| sv.contains_key(format!("{key}.{f}").as_str());
                        let known = sv.contains_key(key) || (plural("one") && plural("other"));
                        if key.contains('.') && !key.ends_with('.') && !known {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "missing keys: {missing:#?}");
    }

    #[test]
    fn every_error_code_and_enum_has_a_message() {
        use domain::ErrorCode;
        let tr = Tr::new(Lang::En);
        for code in ErrorCode::ALL {
            assert_ne!(tr.t(code.key()), "[?]", "{code:?}");
        }
        let sv = parse_catalog(SV);
        let en = parse_catalog(EN);
        let mut conflict_keys = std::collections::BTreeSet::new();
        for c in app::Conflict::ALL {
            let key = format!("conflict.{}", c.key());
            assert!(
                sv.contains_key(key.as_str()) && en.contains_key(key.as_str()),
                "{key}"
            );
            assert!(conflict_keys.insert(c.key()), "{key} twice");
        }
        for s in domain::submission::SubmissionStatus::ALL {
            assert!(sv.contains_key(format!("status.{}", s.as_str()).as_str()));
        }
        for s in domain::submission::SubmissionKind::ALL {
            assert!(sv.contains_key(format!("kind.{}", s.as_str()).as_str()));
        }
        for s in domain::submission::SubmitterRole::ALL {
            assert!(sv.contains_key(format!("submitter_role.{}", s.as_str()).as_str()));
        }
        for s in domain::triage::RejectReason::ALL {
            assert!(sv.contains_key(format!("reason.{}", s.as_str()).as_str()));
        }
        let keys = domain::role::Role::ALL
            .iter()
            .map(|r| format!("role.{}", r.as_str()))
            .chain(
                domain::process::Vagval::ALL
                    .iter()
                    .map(|v| format!("vagval.{}", v.as_str())),
            )
            .chain(
                domain::case::GateDecision::ALL
                    .iter()
                    .map(|d| format!("decision.{}", d.as_str())),
            )
            .chain(
                domain::case::CaseStatus::ALL
                    .iter()
                    .map(|s| format!("case_status.{}", s.as_str())),
            );
        for key in keys {
            assert!(sv.contains_key(key.as_str()), "{key}");
        }
        // Every kind of case event has a timeline label.
        for kind in [
            "opened",
            "item_ticked",
            "item_unticked",
            "path_chosen",
            "gate_decided",
            "adopted",
            "measure_recorded",
            "handover_recorded",
            "member_added",
            "member_removed",
            "updated",
        ] {
            assert!(
                sv.contains_key(format!("event.case.{kind}").as_str()),
                "{kind}"
            );
        }
    }

    /// A count reads as a Swedish or English speaker would say it: "1 träff", "2 träffar",
    /// "0 träffar"; and every key with a singular has its plural, in both catalogs.
    #[test]
    fn counts_take_the_singular_for_one() {
        let sv = Tr::new(Lang::Sv);
        let en = Tr::new(Lang::En);
        assert_eq!(sv.n("inbox.count", 1), "1 träff");
        assert_eq!(sv.n("inbox.count", 2), "2 träffar");
        assert_eq!(sv.n("inbox.count", 0usize), "0 träffar");
        assert_eq!(en.n("inbox.count", 1i64), "1 result");
        assert_eq!(en.n("inbox.count", 21), "21 results");
        assert_eq!(sv.n("cases.count", 1), "1 ärende");
        // A key without plural forms is used as it is.
        assert_eq!(sv.n("error.too_short", 1), "Skriv minst 1 tecken.");
        for cat in [parse_catalog(SV), parse_catalog(EN)] {
            for key in cat.keys().filter_map(|k| k.strip_suffix(".one")) {
                assert!(
                    cat.contains_key(format!("{key}.other").as_str()),
                    "{key}.other"
                );
                assert!(!cat.contains_key(key), "{key} is plural only");
            }
        }
    }

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("de, sv;q=0.5"), Lang::Sv);
        assert_eq!(Lang::from_accept_language(""), Lang::Sv);
    }
}
