//! Diarienummer: the reference every registered submission and case carries. The format
//! is set per region (its units share the region's diarium); the default is
//! `{year}/{seq:5}`, giving `2026/00042`. Numbers run per region and year without gaps;
//! the store hands out the next number inside the same transaction that registers the item.

use crate::error::{ErrorCode, FieldError};

/// A parsed reference format. Placeholders: `{year}`, `{seq}` or `{seq:N}` (zero-padded to N
/// digits, N from 1 to 10). Exactly one `{seq}` is required; other text is copied as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceFormat {
    parts: Vec<Part>,
    source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Year,
    Seq(usize),
}

pub const DEFAULT_FORMAT: &str = "{year}/{seq:5}";

impl Default for ReferenceFormat {
    fn default() -> Self {
        // The default is a constant known to parse; fall back to a literal-free form if not.
        Self::parse("reference_format", DEFAULT_FORMAT).unwrap_or(Self {
            parts: vec![Part::Year, Part::Literal("/".into()), Part::Seq(5)],
            source: DEFAULT_FORMAT.into(),
        })
    }
}

impl ReferenceFormat {
    pub fn parse(field: &'static str, s: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new(field, ErrorCode::InvalidFormat);
        if s.is_empty() || s.len() > 40 {
            return Err(bad());
        }
        let mut parts = Vec::new();
        let mut rest = s;
        let mut seqs = 0;
        while !rest.is_empty() {
            if let Some(start) = rest.find('{') {
                if start > 0 {
                    parts.push(Part::Literal(rest[..start].to_string()));
                }
                let end = rest[start..].find('}').ok_or_else(bad)? + start;
                let token = &rest[start + 1..end];
                match token {
                    "year" => parts.push(Part::Year),
                    "seq" => {
                        parts.push(Part::Seq(1));
                        seqs += 1;
                    }
                    t if t.starts_with("seq:") => {
                        let n: usize = t[4..].parse().map_err(|_| bad())?;
                        if !(1..=10).contains(&n) {
                            return Err(bad());
                        }
                        parts.push(Part::Seq(n));
                        seqs += 1;
                    }
                    _ => return Err(bad()),
                }
                rest = &rest[end + 1..];
            } else {
                parts.push(Part::Literal(rest.to_string()));
                rest = "";
            }
        }
        let literal_ok = parts.iter().all(|p| match p {
            Part::Literal(l) => {
                !l.contains('}') && l.chars().all(|c| c.is_ascii_graphic() || c == ' ')
            }
            _ => true,
        });
        if seqs != 1 || !literal_ok {
            return Err(bad());
        }
        Ok(Self {
            parts,
            source: s.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The reference for number `seq` (1-based) in `year`.
    pub fn render(&self, year: i32, seq: i64) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(l) => out.push_str(l),
                Part::Year => out.push_str(&year.to_string()),
                Part::Seq(w) => out.push_str(&format!("{seq:0w$}", w = *w)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format() {
        let f = ReferenceFormat::default();
        assert_eq!(f.render(2026, 42), "2026/00042");
        assert_eq!(f.render(2027, 1), "2027/00001");
        assert_eq!(f.render(2026, 123456), "2026/123456");
    }

    #[test]
    fn custom_formats() {
        let f = ReferenceFormat::parse("f", "RS {year}-{seq:3}").unwrap();
        assert_eq!(f.render(2026, 7), "RS 2026-007");
        let f = ReferenceFormat::parse("f", "INN-{seq}").unwrap();
        assert_eq!(f.render(2026, 7), "INN-7");
    }

    #[test]
    fn bad_formats() {
        for s in [
            "",
            "{year}",
            "{seq}{seq}",
            "{seq:0}",
            "{seq:11}",
            "{what}",
            "{year/{seq}",
            "a}{seq}",
        ] {
            assert!(ReferenceFormat::parse("f", s).is_err(), "{s}");
        }
    }
}
