//! What every page handler knows about the request: the language, the caller, the CSRF
//! token for its forms, and where it is (for the language switch and sign-in redirects).

use axum::extract::FromRequestParts;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::i18n::{Lang, Tr};
use crate::security::CsrfToken;
use app::Caller;

pub const SESSION_COOKIE: &str = "sluss_session";
pub const CSRF_COOKIE: &str = "sluss_csrf";
pub const LANG_COOKIE: &str = "sluss_lang";

/// Reads one cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, and Secure when served over HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The language of a page: Swedish unless the visitor chose English with the switch.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .unwrap_or(Lang::Sv)
}

/// The language of an API answer: the cookie if set, else `Accept-Language`, else Swedish.
pub fn api_lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|c| Lang::parse(&c))
        .unwrap_or_else(|| {
            Lang::from_accept_language(
                headers
                    .get(ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

/// The request context of a page.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub t: Tr,
    pub csrf: String,
    pub caller: Caller,
    /// Path and query of this request, for "come back here" links.
    pub here: String,
    pub user_name: Option<String>,
    pub has_inbox: bool,
    /// May upload and activate process templates.
    pub manages_processes: bool,
    /// The installation's organisation (`--org-name`), in the header and the page title.
    pub org_name: std::sync::Arc<str>,
    /// The largest attachment, in MB (`--attachment-max-mb`), for the file forms' hints.
    pub attachment_max_mb: u64,
}

impl Ctx {
    /// Whether to show the administration pages in the menu (the app layer decides access).
    pub fn administers(&self) -> bool {
        self.caller.user().is_some_and(|u| {
            u.memberships
                .iter()
                .any(|(_, r)| *r == domain::role::Role::Admin)
        })
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// The link that switches language and returns here.
    pub fn switch_lang_href(&self) -> String {
        format!(
            "/sprak/{}?next={}",
            self.lang.other().code(),
            crate::pages::url_encode(&self.here)
        )
    }

    /// The site's name in page titles: Sluss, and the organisation when one is configured.
    pub fn site_name(&self) -> String {
        if self.shows_org() {
            format!("Sluss – {}", self.org_name)
        } else {
            "Sluss".into()
        }
    }

    /// Whether an organisation other than Sluss itself is configured.
    pub fn shows_org(&self) -> bool {
        &*self.org_name != "Sluss"
    }

    /// `aria-current="page"` for the navigation link of the section we are in.
    pub fn current(&self, prefix: &str) -> &'static str {
        let path = self.here.split('?').next().unwrap_or("");
        let hit = if prefix == "/" {
            path == "/"
        } else {
            path == prefix || path.starts_with(&format!("{prefix}/"))
        };
        if hit { "page" } else { "false" }
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let caller = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(token) if !token.is_empty() => {
                match app::auth::caller_for_session(&state.app, &token).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "session lookup failed");
                        return Err((
                            StatusCode::SERVICE_UNAVAILABLE,
                            Tr::new(lang).t("error.unavailable"),
                        )
                            .into_response());
                    }
                }
            }
            _ => Caller::Public,
        };
        let here = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let user_name = caller.user().map(|u| u.name.clone());
        let has_inbox = app::inbox::has_inbox(&caller);
        let manages_processes = app::processes::may_manage_any(&caller);
        Ok(Ctx {
            lang,
            t: Tr::new(lang),
            csrf,
            caller,
            here,
            user_name,
            has_inbox,
            manages_processes,
            org_name: state.settings.org_name.clone(),
            attachment_max_mb: state.app.config.attachments.max_bytes / (1024 * 1024),
        })
    }
}
