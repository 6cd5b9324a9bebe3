//! "Mitt arbete": the page every signed-in person lands on, with what waits for them.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::render_status;
use crate::AppState;
use crate::ctx::Ctx;
use app::work::MyWork;

#[derive(Template)]
#[template(path = "my_work.html")]
struct WorkPage<'a> {
    ctx: &'a Ctx,
    w: MyWork,
}

impl WorkPage<'_> {
    /// A process text in the page's language (Swedish, marked so, where it has no English).
    fn named(&self, sv: &str, en: &Option<String>) -> Named {
        Named::pick(self.ctx, sv, en)
    }

    fn triage_count(&self) -> i64 {
        self.w.triage.as_ref().map(|(_, n)| *n).unwrap_or(0)
    }
}

pub async fn show(State(state): State<AppState>, ctx: Ctx) -> Response {
    match app::work::my_work(&state.app, &ctx.caller).await {
        Ok(w) => render_status(StatusCode::OK, &WorkPage { ctx: &ctx, w }),
        Err(e) => ctx.fail(e),
    }
}

/// A process template's text as markup: the English text on an English page where the
/// template gives one, else the Swedish text in `<span lang="sv">` (so that a screen reader
/// reads it as Swedish). Escaped here; rendered with `|safe`.
pub struct Named {
    text: String,
    swedish: bool,
}

impl Named {
    pub fn pick(ctx: &Ctx, sv: &str, en: &Option<String>) -> Self {
        let (text, swedish) = domain::process::in_language(sv, en.as_deref(), ctx.is_en());
        Self {
            text: text.to_string(),
            swedish,
        }
    }

    /// A stored template's name: on an English page the English name its source gives
    /// (read from the source, as the row keeps only the Swedish one), else the Swedish.
    pub fn template(ctx: &Ctx, t: &store::processes::TemplateRow) -> Self {
        let en = if ctx.is_en() {
            domain::process::parse_template(&t.source)
                .ok()
                .and_then(|parsed| parsed.name_en)
        } else {
            None
        };
        Self::pick(ctx, &t.name, &en)
    }

    /// A text in the page's language already (a person's words, a catalog word): escaped, not marked.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            swedish: false,
        }
    }
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut escaped = String::with_capacity(self.text.len());
        for c in self.text.chars() {
            match c {
                '&' => escaped.push_str("&amp;"),
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                '"' => escaped.push_str("&#34;"),
                '\'' => escaped.push_str("&#39;"),
                c => escaped.push(c),
            }
        }
        if self.swedish {
            write!(f, "<span lang=\"sv\">{escaped}</span>")
        } else {
            f.write_str(&escaped)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Named;

    #[test]
    fn a_swedish_fallback_is_marked_and_every_text_is_escaped() {
        let sv = Named {
            text: "Ta emot <b>".into(),
            swedish: true,
        };
        assert_eq!(sv.to_string(), "<span lang=\"sv\">Ta emot &lt;b&gt;</span>");
        let en = Named {
            text: "R&D".into(),
            swedish: false,
        };
        assert_eq!(en.to_string(), "R&amp;D");
    }
}
