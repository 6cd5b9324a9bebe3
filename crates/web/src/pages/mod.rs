//! Server-rendered pages. Each module is one flow; this one holds what they share:
//! rendering, error pages, static files and the language switch.

pub mod account;
pub mod admin;
pub mod attachments;
pub mod cases;
pub mod diarium;
pub mod error;
pub mod follow_up;
pub mod form;
pub mod home;
pub mod inbox;
pub mod intake;
pub mod jobs;
pub mod login;
pub mod notify;
pub mod oidc;
pub mod outbox;
pub mod privacy;
pub mod processes;
pub mod work;
pub mod workshop;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::ctx::{Ctx, LANG_COOKIE, set_cookie};
use crate::i18n::{Lang, Tr};
use app::AppError;
use domain::{ErrorCode, FieldErrors};

/// Renders a template, or a bare 500 if the template itself fails.
pub fn render<T: Template>(t: &T) -> Response {
    render_status(StatusCode::OK, t)
}

pub fn render_status<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

/// A redirect after a successful form post (303, so the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub ctx: &'a Ctx,
    pub title: &'a str,
    pub body: &'a str,
}

/// One refused field, in the page's language: the message shown at the field, and the line
/// of the error summary, which names the field ("Rubrik: Fyll i fältet.") unless the
/// message already does ("Välj vad du vill lämna.").
#[derive(Debug, Clone)]
pub struct FormError {
    pub field: String,
    pub message: String,
    pub summary: String,
}

/// Field errors as messages in the page's language, looked up by field name.
#[derive(Debug, Clone, Default)]
pub struct FormErrors(pub Vec<FormError>);

impl FormErrors {
    /// The errors of a form, each summary line with only its message.
    pub fn new(tr: &Tr, e: &FieldErrors) -> Self {
        Self::in_form(tr, &[], e)
    }

    /// The errors of a form whose fields are labelled as in `labels` (field, catalog key
    /// of its label), so that the summary names each field ("Rubrik: Fyll i fältet.").
    /// A choice left empty or not among those offered says what to choose
    /// (`choose.{field}`: "Välj vad du vill lämna.") rather than "fill in the field".
    pub fn in_form(tr: &Tr, labels: &[(&str, &str)], e: &FieldErrors) -> Self {
        let mut out = FormErrors::default();
        for fe in &e.0 {
            let field = fe.field;
            let choose = format!("choose.{field}");
            if matches!(fe.code, ErrorCode::Required | ErrorCode::InvalidChoice) && tr.has(&choose)
            {
                out.push(field, tr.t(&choose));
                continue;
            }
            let message = tr.field_error(fe);
            let summary = match labels.iter().find(|(f, _)| *f == field) {
                Some((_, key)) => {
                    format!("{}: {message}", tr.t(key).trim_end_matches(['?', ':']))
                }
                None => message.clone(),
            };
            out.push_named(field, message, summary);
        }
        out
    }

    /// Adds an error whose message names what is wrong on its own.
    pub fn push(&mut self, field: &str, message: &str) {
        self.push_named(field, message.to_string(), message.to_string());
    }

    fn push_named(&mut self, field: &str, message: String, summary: String) {
        self.0.push(FormError {
            field: field.to_string(),
            message,
            summary,
        });
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `aria-invalid` value for a field.
    pub fn invalid(&self, field: &str) -> &'static str {
        if self.get(field).is_some() {
            "true"
        } else {
            "false"
        }
    }
}

impl Ctx {
    /// May open a case (the board shows its "new case" button only then).
    pub fn may_open_cases(&self) -> bool {
        app::access::may_open_cases(&self.caller)
    }

    /// The page for an error from the app layer.
    pub fn fail(&self, e: AppError) -> Response {
        match e {
            AppError::Unauthenticated => {
                see_other(&format!("/logga-in?next={}", url_encode(&self.here)))
            }
            AppError::NotFound => self.error_page(
                StatusCode::NOT_FOUND,
                "error.not_found.title",
                "error.not_found.body",
            ),
            AppError::Forbidden => self.error_page(
                StatusCode::FORBIDDEN,
                "error.forbidden.title",
                "error.forbidden.body",
            ),
            AppError::NoMandate(role) => {
                let body = self
                    .t
                    .t("error.no_mandate.body")
                    .replace("{role}", self.t.k("role.", role.as_str()));
                let page = ErrorPage {
                    ctx: self,
                    title: self.t.t("error.forbidden.title"),
                    body: &body,
                };
                render_status(StatusCode::FORBIDDEN, &page)
            }
            AppError::Conflict(conflict) => {
                let body = self.t.t(&format!("conflict.{}", conflict.key()));
                let page = ErrorPage {
                    ctx: self,
                    title: self.t.t("error.conflict.title"),
                    body,
                };
                render_status(StatusCode::CONFLICT, &page)
            }
            AppError::Validation(errors) => {
                let body: Vec<String> = FormErrors::new(&self.t, &errors)
                    .0
                    .into_iter()
                    .map(|e| e.summary)
                    .collect();
                let body = body.join(" ");
                let page = ErrorPage {
                    ctx: self,
                    title: self.t.t("error.invalid.title"),
                    body: &body,
                };
                render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            AppError::Template(problems) => {
                let body: Vec<String> = problems
                    .iter()
                    .map(|p| processes::problem_message(&self.t, p))
                    .collect();
                let body = body.join(" · ");
                let page = ErrorPage {
                    ctx: self,
                    title: self.t.t("error.invalid.title"),
                    body: &body,
                };
                render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "request failed");
                let body = match crate::trace::request_id() {
                    Some(id) => format!(
                        "{} {}",
                        self.t.t("error.internal.body"),
                        self.t.t("error.internal.reference").replace("{id}", &id)
                    ),
                    None => self.t.t("error.internal.body").to_string(),
                };
                let page = ErrorPage {
                    ctx: self,
                    title: self.t.t("error.internal.title"),
                    body: &body,
                };
                render_status(StatusCode::INTERNAL_SERVER_ERROR, &page)
            }
        }
    }

    pub fn error_page(&self, status: StatusCode, title: &str, body: &str) -> Response {
        let page = ErrorPage {
            ctx: self,
            title: self.t.t(title),
            body: self.t.t(body),
        };
        render_status(status, &page)
    }

    pub fn too_many(&self) -> Response {
        self.error_page(
            StatusCode::TOO_MANY_REQUESTS,
            "error.rate_limited.title",
            "error.rate_limited.body",
        )
    }
}

/// An error page for places without a full context (the CSRF guard).
pub fn plain_error_page(lang: Lang, status: StatusCode, title: &str, body: &str) -> Response {
    let tr = Tr::new(lang);
    let ctx = Ctx {
        lang,
        t: tr,
        csrf: String::new(),
        caller: app::Caller::Public,
        here: "/".into(),
        user_name: None,
        has_inbox: false,
        manages_processes: false,
        org_name: "Sluss".into(),
        attachment_max_mb: app::attachments::DEFAULT_MAX_MB,
    };
    ctx.error_page(status, title, body)
}

pub async fn not_found(ctx: Ctx) -> Response {
    ctx.error_page(
        StatusCode::NOT_FOUND,
        "error.not_found.title",
        "error.not_found.body",
    )
}

/// Percent-encodes a value for a query string.
pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Only same-origin paths are followed after sign-in or a language switch; anything else
/// goes to the start page. See [`same_origin_path`].
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(same_origin_path)
        .unwrap_or_else(|| "/".to_string())
}

/// A redirect target as a path (and query) of this origin, or nothing. The text must be a
/// plain absolute path: one leading slash, no control character (browsers drop tabs and
/// line breaks, so `/\t/evil.example` reads as `//evil.example`), no backslash (read as a
/// slash), and neither in its percent-decoded form (`%2F`, `%5C`, `%09`, also encoded again),
/// which some proxy or later redirect may decode. It is then parsed as a URL against this origin, as a browser
/// would, and must stay on that origin; what is returned is the parsed path and query, so
/// nothing unparsed reaches the `Location` header.
fn same_origin_path(next: &str) -> Option<String> {
    // Decoded until nothing changes, so that no layer of encoding hides a character.
    let mut decoded = next.as_bytes().to_vec();
    for _ in 0..4 {
        let again = percent_decoded(&decoded);
        if again == decoded {
            break;
        }
        decoded = again;
    }
    let plain = |b: &[u8]| {
        b.first() == Some(&b'/')
            && b.get(1) != Some(&b'/')
            && !b.iter().any(|c| c.is_ascii_control() || *c == b'\\')
    };
    let path_end = decoded
        .iter()
        .position(|c| *c == b'?' || *c == b'#')
        .unwrap_or(decoded.len());
    if !plain(next.as_bytes())
        || !plain(&decoded)
        || decoded[..path_end].windows(2).any(|w| w == b"//")
    {
        return None;
    }
    let base = url::Url::parse("http://sluss.invalid/").ok()?;
    let url = base.join(next).ok()?;
    if url.origin() != base.origin() || url.path().starts_with("//") {
        return None;
    }
    let mut out = url.path().to_string();
    if let Some(q) = url.query() {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

/// The bytes of a percent-encoded text, decoded once (a malformed escape is kept as is).
fn percent_decoded(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Switches the language and goes back where the visitor was.
pub async fn switch_language(
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
    state: axum::extract::State<crate::AppState>,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or(Lang::Sv);
    let mut res = see_other(&safe_next(q.next.as_deref()));
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        LANG_COOKIE,
        lang.code(),
        Some(365 * 24 * 3600),
        state.settings.secure_cookies,
    )) {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

const STYLE: &str = include_str!("../../static/style.css");
const HTMX: &str = include_str!("../../static/htmx.min.js");
const APP_JS: &str = include_str!("../../static/sluss.js");
const LOGO: &str = include_str!("../../static/sluss.svg");

/// Static assets, compiled into the binary so that `sluss` is one file. `logo` is the
/// installation's logo (`--logo`), read at start, or Sluss's own mark.
pub async fn static_file(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    Path(file): Path<String>,
) -> Response {
    if file == "logo" {
        if let Some(logo) = &state.settings.logo {
            return asset(logo.content_type, logo.bytes.to_vec());
        }
        return asset("image/svg+xml", LOGO);
    }
    let (body, kind) = match file.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        "sluss.js" => (APP_JS, "text/javascript; charset=utf-8"),
        "sluss.svg" => (LOGO, "image/svg+xml"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    asset(kind, body)
}

fn asset(kind: &'static str, body: impl IntoResponse) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_same_site_only() {
        assert_eq!(safe_next(Some("/inkorg?x=1")), "/inkorg?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    /// Anything that a browser could read as another origin, or that is not a plain path of
    /// this one, goes to the start page: control characters (which browsers drop), back
    /// slashes (which they read as slashes), two slashes, schemes, encoded slashes.
    #[test]
    fn next_refuses_every_way_to_another_origin() {
        for bad in [
            "/%09/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\u{0}/evil.example",
            "\t//evil.example",
            " //evil.example",
            "//evil",
            "///evil",
            "/\\evil",
            "\\\\evil",
            "/%5Cevil",
            "/%5C%5Cevil",
            "https://evil",
            "http:evil",
            "javascript:alert(1)",
            "data:text/html,x",
            "/%2F%2Fevil",
            "/%2f/evil",
            "/%252F%252Fevil",
            "/%25252F/evil",
            "/.//evil",
            "/x/..//evil",
            "evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        // Same-origin paths keep their path and query.
        assert_eq!(safe_next(Some("/arenden/1?klart=x")), "/arenden/1?klart=x");
        assert_eq!(safe_next(Some("/lamna")), "/lamna");
        assert_eq!(safe_next(Some("/")), "/");
        assert_eq!(safe_next(Some("/inkorg?q=a%20b")), "/inkorg?q=a%20b");
        assert_eq!(
            safe_next(Some("/lamna?ref=https://x")),
            "/lamna?ref=https://x"
        );
    }
}
