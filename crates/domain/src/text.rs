//! Free text written by people. Text is kept as written (and escaped on output), but
//! markup is refused with a clear message: nobody needs `<script>` to describe a need, and
//! refusing it early keeps the record clean for every later reader and export. So are
//! control characters (but line breaks and tabs where a field has lines) and characters
//! that hide or reorder text (see [`is_hidden`]).

use crate::error::{ErrorCode, FieldError};

/// Limits for one text field.
#[derive(Debug, Clone, Copy)]
pub struct TextRule {
    pub field: &'static str,
    pub min: usize,
    pub max: usize,
    pub multiline: bool,
    pub required: bool,
}

impl TextRule {
    pub const fn line(field: &'static str, min: usize, max: usize) -> Self {
        Self {
            field,
            min,
            max,
            multiline: false,
            required: true,
        }
    }

    pub const fn paragraph(field: &'static str, min: usize, max: usize) -> Self {
        Self {
            field,
            min,
            max,
            multiline: true,
            required: true,
        }
    }

    pub const fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// Trims, normalises line breaks and checks the rule. An optional empty field gives `None`.
    pub fn parse(&self, input: &str) -> Result<Option<String>, FieldError> {
        let err = |code| FieldError::new(self.field, code);
        let normalised = input.replace("\r\n", "\n").replace('\r', "\n");
        let trimmed = normalised.trim();
        if trimmed.is_empty() {
            return if self.required {
                Err(err(ErrorCode::Required))
            } else {
                Ok(None)
            };
        }
        let len = trimmed.chars().count();
        if len < self.min {
            return Err(err(ErrorCode::TooShort { min: self.min }));
        }
        if len > self.max {
            return Err(err(ErrorCode::TooLong { max: self.max }));
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && !(self.multiline && (c == '\n' || c == '\t')))
        {
            return Err(err(ErrorCode::ControlCharacters));
        }
        if trimmed.chars().any(is_hidden) {
            return Err(err(ErrorCode::HiddenCharacters));
        }
        if looks_like_markup(trimmed) {
            return Err(err(ErrorCode::Markup));
        }
        Ok(Some(trimmed.to_string()))
    }

    /// Like [`parse`](Self::parse) for a required field.
    pub fn parse_required(&self, input: &str) -> Result<String, FieldError> {
        match self.parse(input)? {
            Some(s) => Ok(s),
            None => Err(FieldError::new(self.field, ErrorCode::Required)),
        }
    }
}

/// A filter or a search as a query gives it (`?q=`, `?assignee=`, `?handler=`): trimmed,
/// `None` when empty, and refused with the field named when it holds a control or hidden
/// character. No stored value has one, so such a filter could only ever match nothing, and
/// passed on it breaks the query itself: PostgreSQL refuses NUL in text, SQLite's
/// full-text search stops at it.
pub fn filter_text(field: &'static str, input: &str) -> Result<Option<String>, FieldError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(FieldError::new(field, ErrorCode::ControlCharacters));
    }
    if trimmed.chars().any(is_hidden) {
        return Err(FieldError::new(field, ErrorCode::HiddenCharacters));
    }
    Ok(Some(trimmed.to_string()))
}

/// Whether a key given by a caller (a reference, an e-mail address, an id, a slug) could
/// name anything: one with a control or hidden character cannot, as none is stored with
/// one, and it is answered as any unknown key is, without asking the database (which may
/// refuse it: PostgreSQL refuses NUL in text).
pub fn may_name_something(key: &str) -> bool {
    !key.chars().any(|c| c.is_control() || is_hidden(c))
}

/// Characters that cannot be seen or that reorder the text around them, refused in every
/// text field: with a right-to-left override a file name `gpj.exe` reads as `exe.jpg`, and
/// a zero-width space makes two titles or names that look the same differ. The
/// bidirectional embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and
/// the Arabic letter mark (U+061C); the zero-width space (U+200B), the direction marks
/// (U+200E, U+200F) and the word joiner (U+2060); the byte-order mark (U+FEFF), which inside
/// a text is a zero-width no-break space. The zero-width non-joiner and joiner (U+200C,
/// U+200D) stay: Persian spells words with the one, and emoji such as 👩‍💻 are made with
/// the other.
pub fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{061C}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2060}'
            | '\u{FEFF}'
    )
}

/// True when the text contains something a browser would read as a tag, comment or
/// script URL. A lone `<` as in "a < b" or "<3" is fine.
pub fn looks_like_markup(s: &str) -> bool {
    let tag_start = s.as_bytes().windows(2).any(|w| {
        w[0] == b'<' && (w[1].is_ascii_alphabetic() || matches!(w[1], b'/' | b'!' | b'?'))
    });
    if tag_start {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    lower.contains("javascript:") || lower.contains("&#") || lower.contains("&lt;script")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_refuse_what_no_stored_value_has() {
        assert_eq!(filter_text("q", "  "), Ok(None));
        assert_eq!(
            filter_text("q", " 2026/0001 "),
            Ok(Some("2026/0001".into()))
        );
        assert_eq!(
            filter_text("q", "\u{0}abc").map_err(|e| e.code),
            Err(ErrorCode::ControlCharacters)
        );
        assert_eq!(
            filter_text("assignee", "a\u{202E}b").map_err(|e| e.code),
            Err(ErrorCode::HiddenCharacters)
        );
        assert!(may_name_something("2026/00001"));
        assert!(!may_name_something("2026\u{0}"));
        assert!(!may_name_something("a\u{200B}"));
    }

    const TITLE: TextRule = TextRule::line("title", 3, 10);

    #[test]
    fn trims_and_accepts() {
        assert_eq!(TITLE.parse("  hej då ").unwrap().as_deref(), Some("hej då"));
    }

    #[test]
    fn empty_required_is_refused() {
        assert_eq!(TITLE.parse("   ").unwrap_err().code, ErrorCode::Required);
    }

    #[test]
    fn empty_optional_is_none() {
        assert_eq!(TITLE.optional().parse("").unwrap(), None);
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(TITLE.parse("åäöåäöåäöå").is_ok());
        assert_eq!(
            TITLE.parse("åäöåäöåäöåä").unwrap_err().code,
            ErrorCode::TooLong { max: 10 }
        );
        assert_eq!(
            TITLE.parse("ab").unwrap_err().code,
            ErrorCode::TooShort { min: 3 }
        );
    }

    #[test]
    fn markup_is_refused() {
        for s in [
            "<script>x</script>",
            "a <b>fet</b>",
            "</p>",
            "<!-- x -->",
            "javascript:alert(1)",
            "&#60;script",
        ] {
            assert!(looks_like_markup(s), "{s}");
        }
        for s in ["a < b", "<3", "x<=y", "5 > 3", "Tom & Jerry"] {
            assert!(!looks_like_markup(s), "{s}");
        }
    }

    #[test]
    fn hidden_and_reordering_characters_are_refused() {
        let p = TextRule::paragraph("d", 1, 100);
        for s in [
            "a\u{202A}b",
            "a\u{202B}b",
            "a\u{202C}b",
            "a\u{202D}b",
            "a\u{202E}b",
            "a\u{2066}b",
            "a\u{2067}b",
            "a\u{2068}b",
            "a\u{2069}b",
            "a\u{061C}b",
            "a\u{200B}b",
            "a\u{200E}b",
            "a\u{200F}b",
            "a\u{2060}b",
            "\u{FEFF}ab",
            "ab\u{FEFF}",
        ] {
            assert_eq!(
                p.parse(s).unwrap_err().code,
                ErrorCode::HiddenCharacters,
                "{s:?}"
            );
            assert_eq!(
                TITLE.parse(s).unwrap_err().code,
                ErrorCode::HiddenCharacters
            );
        }
        // C0 controls stay refused as before; a line break and a tab only where lines are.
        for c in ['\u{0}', '\u{7}', '\u{1B}', '\u{7F}', '\u{85}'] {
            assert_eq!(
                p.parse(&format!("a{c}b")).unwrap_err().code,
                ErrorCode::ControlCharacters,
                "{c:?}"
            );
        }
        assert!(p.parse("a\n\tb").is_ok());
        assert_eq!(
            TITLE.parse("abc\tdef").unwrap_err().code,
            ErrorCode::ControlCharacters
        );
        // Letters and signs of any script are text.
        // Persian's zero-width non-joiner (می‌خواهم) and an emoji made with a joiner (👩‍💻).
        for s in [
            "حاجة ملحة",
            "שלום עולם",
            "Ærø ‑ nåd",
            "emoji 😀 ok",
            "می\u{200C}خواهم",
            "👩\u{200D}💻 i vården",
        ] {
            assert!(TextRule::line("t", 1, 100).parse(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn line_breaks_only_in_paragraphs() {
        let p = TextRule::paragraph("d", 1, 100);
        assert_eq!(p.parse("a\r\nb").unwrap().as_deref(), Some("a\nb"));
        assert_eq!(
            TextRule::line("t", 1, 100).parse("a\nb").unwrap_err().code,
            ErrorCode::ControlCharacters
        );
    }
}
