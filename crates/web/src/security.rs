//! Request guards: CSRF on every form post, security headers on every response, and a
//! per-client rate limit for public writes.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::ctx::{CSRF_COOKIE, SESSION_COOKIE, cookie, lang_of, set_cookie};
use crate::i18n::Tr;
use app::secret::{constant_time_eq, hash_token, new_token};

/// The CSRF token of this visitor, for forms to embed.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

const MAX_FORM_BYTES: usize = 256 * 1024;

/// The routes that take files, and how many files each takes at most in one post. Only
/// their bodies may be larger than a form's (`--attachment-max-mb` per file, and 1 MiB for
/// the rest of the form); every other route keeps its limit.
pub const FILE_ROUTES: &[(&str, usize)] = &[
    ("/lamna", 3),
    ("/arenden/{id}/bilagor", 1),
    ("/workshop/{code}/bilagor", 1),
];

/// The largest body this request may send, when it posts to a route that takes files.
fn file_body_limit(state: &AppState, req: &Request) -> Option<usize> {
    if req.method() != Method::POST {
        return None;
    }
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()?
        .as_str();
    FILE_ROUTES
        .iter()
        .find(|(r, _)| *r == route)
        .map(|(_, files)| state.app.config.attachments.body_limit(*files))
}

/// The `_csrf` field of a `multipart/form-data` body: the parts are split at the boundary
/// the header names, and the value of the part named `_csrf` (not a file) is taken. Read
/// by hand because axum's parser, outside a route, keeps the default 2 MiB limit.
fn multipart_csrf(content_type: &str, body: &[u8]) -> String {
    let Some(boundary) = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"'))
        .next()
        .filter(|b| !b.is_empty())
    else {
        return String::new();
    };
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut rest = body;
    while let Some(at) = find(rest, delimiter) {
        rest = &rest[at + delimiter.len()..];
        let Some(head_end) = find(rest, b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&rest[..head_end]);
        let value = &rest[head_end + 4..];
        let is_csrf = head.lines().any(|l| {
            l.to_ascii_lowercase().starts_with("content-disposition:")
                && l.contains("name=\"_csrf\"")
                && !l.contains("filename")
        });
        if is_csrf {
            let end = find(value, delimiter).unwrap_or(value.len());
            let v = value[..end].strip_suffix(b"\r\n").unwrap_or(&value[..end]);
            return String::from_utf8_lossy(v).into_owned();
        }
    }
    String::new()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The token a page's forms carry: the visitor's CSRF secret (their cookie) bound to the
/// session cookie they have, or to none. The message hashed has a fixed length (the
/// secret, and a hash of the session or zeros), so no token is an extension of another.
fn form_token(secret: &str, session: Option<&str>) -> String {
    let session = session
        .filter(|s| !s.is_empty())
        .map_or_else(|| "0".repeat(64), hash_token);
    hash_token(&format!("csrf:{secret}:{session}"))
}

/// CSRF check for every POST to a page: the `_csrf` field must equal the token derived
/// from the visitor's CSRF cookie and their session cookie ([`form_token`]). A token given
/// in one session is refused in another (after signing out and in as someone else in the
/// same browser, say); forms without a session work alike, bound to none. Cookies are
/// SameSite=Lax as a second line.
pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()));
    let (secret, is_new) = match existing {
        Some(t) => (t, false),
        None => match new_token(32) {
            Ok(t) => (t, true),
            Err(e) => {
                tracing::error!(error = %e, "no randomness for a CSRF token");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        },
    };
    let token = form_token(&secret, cookie(req.headers(), SESSION_COOKIE).as_deref());
    let lang = lang_of(req.headers());
    let mut req = if req.method() == Method::POST {
        let limit = file_body_limit(&state, &req).unwrap_or(MAX_FORM_BYTES);
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(_) => {
                return (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Tr::new(lang).t("error.too_large"),
                )
                    .into_response();
            }
        };
        let multipart = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .filter(|_| crate::pages::form::is_multipart(&parts.headers));
        let sent = match multipart {
            Some(content_type) => multipart_csrf(content_type, &bytes),
            None => form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == "_csrf")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default(),
        };
        if is_new || !constant_time_eq(&sent, &token) {
            tracing::warn!(path = %parts.uri.path(), "CSRF check failed");
            let page = crate::pages::plain_error_page(
                lang,
                StatusCode::FORBIDDEN,
                "error.csrf.title",
                "error.csrf.body",
            );
            let mut res = page.into_response();
            if is_new {
                append_csrf_cookie(&mut res, &secret, state.settings.secure_cookies);
            }
            return res;
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if is_new {
        append_csrf_cookie(&mut res, &secret, state.settings.secure_cookies);
    }
    res
}

fn append_csrf_cookie(res: &mut Response, token: &str, secure: bool) {
    if let Ok(v) = HeaderValue::from_str(&set_cookie(CSRF_COOKIE, token, None, secure)) {
        res.headers_mut().append(SET_COOKIE, v);
    }
}

/// Headers every response carries. Pages are private by default: nothing is cached.
pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Served at an https address, browsers are told to come back only over https
    // (two years, the length the HSTS preload list asks for).
    if state.settings.secure_cookies {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000"),
        );
    }
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Follow-up links carry a secret: never leak them in a Referer.
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !is_static && !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A fixed-window counter per client address (or per other key, such as a workshop
/// participant). It is per node: with several nodes the effective limit is the sum, which
/// is still a bound.
pub struct RateLimiter<K = IpAddr> {
    max: u32,
    window: Duration,
    hits: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: std::hash::Hash + Eq> RateLimiter<K> {
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one hit; false when the client is over the limit.
    pub fn allow(&self, ip: K) -> bool {
        let now = Instant::now();
        let Ok(mut hits) = self.hits.lock() else {
            return true;
        };
        if hits.len() > 100_000 {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = hits.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.max
    }

    /// Whether the client is over the limit now, without counting a hit.
    pub fn is_over(&self, ip: &K) -> bool {
        let Ok(hits) = self.hits.lock() else {
            return false;
        };
        hits.get(ip).is_some_and(|(start, n)| {
            Instant::now().duration_since(*start) < self.window && *n >= self.max
        })
    }
}

/// The largest request body read: what axum's extractors allow by default.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Every request body arrives in full within the body timeout, or the request is answered
/// 408 (and, its body unread, the connection closed): a client trickling a body, or never
/// sending the bytes its Content-Length promised, holds a connection no longer than that.
/// A body over 2 MiB is refused with 413, as the extractors would; a route that takes
/// files ([`FILE_ROUTES`]) allows its files' size.
pub async fn body_deadline(State(state): State<AppState>, req: Request, next: Next) -> Response {
    use axum::body::HttpBody;
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let limit = file_body_limit(&state, &req).unwrap_or(MAX_BODY_BYTES);
    let lang = lang_of(req.headers());
    let api = req.uri().path().starts_with("/api/");
    let (parts, body) = req.into_parts();
    let read = tokio::time::timeout(
        state.settings.body_read_timeout,
        axum::body::to_bytes(body, limit),
    )
    .await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return refusal(lang, api, StatusCode::PAYLOAD_TOO_LARGE, "error.too_large");
        }
        Err(_) => {
            tracing::warn!(path = %parts.uri.path(), "request body not received in time");
            return refusal(lang, api, StatusCode::REQUEST_TIMEOUT, "error.slow_request");
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A refusal with one message: JSON for the API, a page elsewhere.
fn refusal(lang: crate::i18n::Lang, api: bool, status: StatusCode, key: &str) -> Response {
    let tr = Tr::new(lang);
    let code = match status {
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        _ => "refused",
    };
    if api {
        (
            status,
            axum::Json(serde_json::json!({ "error": code, "message": tr.t(key) })),
        )
            .into_response()
    } else {
        (status, tr.t(key).to_string()).into_response()
    }
}

/// Counts what is open at once per client address (live-result streams), up to a limit.
pub struct Concurrent {
    max: u32,
    open: std::sync::Arc<Mutex<HashMap<IpAddr, u32>>>,
}

/// One place taken in a [`Concurrent`]; given back when dropped.
pub struct Place {
    ip: IpAddr,
    open: std::sync::Arc<Mutex<HashMap<IpAddr, u32>>>,
}

impl Concurrent {
    pub fn new(max: u32) -> Self {
        Self {
            max,
            open: Default::default(),
        }
    }

    /// A place for this client, or None when it has `max` open already.
    pub fn take(&self, ip: IpAddr) -> Option<Place> {
        let mut open = self.open.lock().ok()?;
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(Place {
            ip,
            open: self.open.clone(),
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock()
            && let Some(n) = open.get_mut(&self.ip)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// How a request looks a campaign up by its join code: by a `{code}` in its path (the
/// code itself), or through the join form (the code is in the body).
enum CodeLookup {
    Path(String),
    JoinForm,
}

fn code_lookup(req: &Request) -> Option<CodeLookup> {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()?
        .as_str();
    if route == "/workshop" {
        return (req.method() == Method::POST).then_some(CodeLookup::JoinForm);
    }
    let at = route.split('/').position(|s| s == "{code}")?;
    let code = req.uri().path().split('/').nth(at)?;
    Some(CodeLookup::Path(code.to_string()))
}

/// Join codes cannot be guessed by trying: every lookup of a code that finds no campaign
/// (a 404 on a route with `{code}` whose code is no campaign's, or the join form refusing
/// the code) counts against the client, and a client with too many such misses in the
/// window has every code lookup refused (429) until it ends. Lookups of codes that exist
/// never count (nor their other 404s, such as "no pair now"), so a workshop behind one
/// address is never held back by its own participants.
pub async fn code_lookups(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(lookup) = code_lookup(&req) else {
        return next.run(req).await;
    };
    let ip = client_ip(
        req.headers(),
        req.extensions().get::<ConnectInfo<SocketAddr>>(),
        state.settings.behind_proxy,
    );
    let lang = lang_of(req.headers());
    let api = req.uri().path().starts_with("/api/");
    if state.lookup_misses.is_over(&ip) {
        tracing::warn!(%ip, "too many unknown join codes");
        return too_many(lang, api);
    }
    let res = next.run(req).await;
    let missed = match (&lookup, res.status()) {
        (CodeLookup::JoinForm, StatusCode::UNPROCESSABLE_ENTITY) => true,
        (CodeLookup::Path(code), StatusCode::NOT_FOUND) => {
            // Checked only for a 404 whose cause the answer does not say.
            !app::campaigns::exists(&state.app, code)
                .await
                .unwrap_or(true)
        }
        _ => false,
    };
    if missed {
        state.lookup_misses.allow(ip);
    }
    res
}

/// 429 as JSON for the API, as a page elsewhere.
pub fn too_many(lang: crate::i18n::Lang, api: bool) -> Response {
    if api {
        let tr = Tr::new(lang);
        (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(serde_json::json!({ "error": "rate_limited", "message": tr.t("error.rate_limited.body") })),
        )
            .into_response()
    } else {
        crate::pages::plain_error_page(
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            "error.rate_limited.title",
            "error.rate_limited.body",
        )
    }
}

/// The client's address: the socket peer, or the last `X-Forwarded-For` hop when Sluss is
/// configured to run behind a proxy.
pub fn client_ip(
    parts_headers: &axum::http::HeaderMap,
    connect: Option<&ConnectInfo<SocketAddr>>,
    behind_proxy: bool,
) -> IpAddr {
    if behind_proxy
        && let Some(ip) = parts_headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    connect
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The client address as an extractor, for rate limits.
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let connect = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(ClientIp(client_ip(
            &parts.headers,
            connect,
            state.settings.behind_proxy,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_counts_per_client() {
        let l = RateLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(l.allow(a));
        assert!(l.allow(a));
        assert!(!l.allow(a));
        assert!(l.allow(b));
    }

    #[test]
    fn the_csrf_field_of_a_multipart_body() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--XyZ--\r\n";
        assert_eq!(
            multipart_csrf("multipart/form-data; boundary=XyZ", body),
            "abc123"
        );
        assert_eq!(
            multipart_csrf("multipart/form-data; boundary=\"XyZ\"", body),
            "abc123"
        );
        assert_eq!(
            multipart_csrf("multipart/form-data; boundary=Other", body),
            ""
        );
        let file_only = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"; filename=\"x\"\r\n\r\nabc123\r\n--XyZ--\r\n";
        assert_eq!(
            multipart_csrf("multipart/form-data; boundary=XyZ", file_only),
            ""
        );
    }

    #[test]
    fn window_resets() {
        let l = RateLimiter::new(1, Duration::from_millis(0));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(l.allow(a));
        assert!(l.allow(a));
    }
}
