//! The HTTP face of Sluss: server-rendered pages (askama, htmx where it helps, every flow
//! working without JavaScript) and the JSON API v1. Handlers are thin: extract, call the
//! app layer, render.

pub mod api;
pub mod api_accounts;
pub mod api_campaigns;
pub mod api_cases;
pub mod ctx;
pub mod i18n;
pub mod mail;
pub mod pages;
pub mod security;
pub mod trace;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

use app::App;
use security::RateLimiter;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Mark cookies Secure (true when the public URL is https).
    pub secure_cookies: bool,
    /// Public writes (submissions, follow-up replies) allowed per client address and
    /// window; also what one workshop participant may write (concepts, answers, flags) in
    /// a window, counted per participant.
    pub public_write_limit: u32,
    pub public_write_window: Duration,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub behind_proxy: bool,
    /// Sign-in attempts allowed per client address and window. Kept apart from public
    /// writes: a whole office may sign in from one address.
    pub sign_in_limit: u32,
    /// Lookups of join codes that find no campaign allowed per client address and window;
    /// past it, no code is looked up for that address until the window ends.
    pub lookup_miss_limit: u32,
    /// Joins of workshops and open questions allowed per client address and window: a
    /// whole workshop may join from one office address.
    pub join_limit: u32,
    /// A connection that has not sent a request's headers in full within this is closed.
    pub header_read_timeout: Duration,
    /// A request whose body has not arrived in full within this is answered 408.
    pub body_read_timeout: Duration,
    /// Live-result streams (server-sent events) open at once per client address.
    pub live_stream_limit: u32,
    /// The installation's organisation, named in the header and in every page title.
    pub org_name: Arc<str>,
    /// The installation's logo, served at `/static/logo` (Sluss's own mark when `None`).
    pub logo: Option<Logo>,
    /// Where accessibility problems are reported (`--accessibility-contact`).
    pub accessibility_contact: Option<Arc<str>>,
}

/// A logo read once at start: its bytes and the media type they were recognised as.
#[derive(Clone)]
pub struct Logo {
    pub bytes: Arc<[u8]>,
    pub content_type: &'static str,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Logo({}, {} bytes)", self.content_type, self.bytes.len())
    }
}

impl Logo {
    /// Recognises an SVG or PNG by its content (not its name); anything else is refused,
    /// so that a wrong path fails at start rather than as a broken image on every page.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, &'static str> {
        const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
        let content_type = if bytes.starts_with(PNG) {
            "image/png"
        } else {
            let head =
                String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
            if head.contains("<svg") {
                "image/svg+xml"
            } else {
                return Err("the logo is neither an SVG nor a PNG file");
            }
        };
        Ok(Self {
            bytes: bytes.into(),
            content_type,
        })
    }
}

impl Settings {
    pub fn for_public_url(url: &str) -> Self {
        Self {
            secure_cookies: url.starts_with("https://"),
            public_write_limit: 20,
            public_write_window: Duration::from_secs(600),
            behind_proxy: false,
            sign_in_limit: 100,
            lookup_miss_limit: 60,
            join_limit: 300,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            live_stream_limit: 20,
            org_name: "Sluss".into(),
            logo: None,
            accessibility_contact: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub settings: Arc<Settings>,
    pub limiter: Arc<RateLimiter>,
    pub sign_in_limiter: Arc<RateLimiter>,
    /// Join-code lookups that found nothing, per client.
    pub lookup_misses: Arc<RateLimiter>,
    /// Joins, per client address.
    pub join_limiter: Arc<RateLimiter>,
    /// Workshop participants' writes, per participant (campaign code and token).
    pub participant_writes: Arc<RateLimiter<(String, String)>>,
    /// Live-result streams open now, per client address.
    pub live_streams: Arc<security::Concurrent>,
    /// Turns true when the server starts to shut down, so long-lived streams end.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    pub fn new(app: App, settings: Settings) -> Self {
        let limiter = Arc::new(RateLimiter::new(
            settings.public_write_limit,
            settings.public_write_window,
        ));
        let sign_in_limiter = Arc::new(RateLimiter::new(
            settings.sign_in_limit,
            settings.public_write_window,
        ));
        let lookup_misses = Arc::new(RateLimiter::new(
            settings.lookup_miss_limit,
            settings.public_write_window,
        ));
        let join_limiter = Arc::new(RateLimiter::new(
            settings.join_limit,
            settings.public_write_window,
        ));
        let participant_writes = Arc::new(RateLimiter::new(
            settings.public_write_limit,
            settings.public_write_window,
        ));
        let live_streams = Arc::new(security::Concurrent::new(settings.live_stream_limit));
        let (stop, stopping) = tokio::sync::watch::channel(false);
        Self {
            app,
            settings: Arc::new(settings),
            limiter,
            sign_in_limiter,
            lookup_misses,
            join_limiter,
            participant_writes,
            live_streams,
            stopping,
            stop: Arc::new(stop),
        }
    }
}

impl AppState {
    /// Counts one write of a workshop participant; false when they are over the limit.
    /// Participants are counted one by one, not by address: a workshop shares an office's
    /// address, and one participant writing much must not hold back the others.
    pub fn participant_may_write(&self, code: &str, token: &str) -> bool {
        self.participant_writes
            .allow((code.trim().to_ascii_uppercase(), token.to_string()))
    }
}

pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home::show))
        .route(
            "/lamna",
            get(pages::intake::form)
                .post(pages::intake::submit)
                // The body's limit is `security::body_deadline`'s, by route.
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/folj/{token}", get(pages::follow_up::show))
        .route("/folj/{token}/svar", post(pages::follow_up::reply))
        .route(
            "/logga-in",
            get(pages::login::form).post(pages::login::submit),
        )
        .route("/logga-ut", post(pages::login::logout))
        // Sign-in through the identity provider (OpenID Connect), when one is configured.
        .route("/logga-in/oidc", get(pages::oidc::start))
        .route("/logga-in/oidc/klar", get(pages::oidc::callback))
        // Password reset and change, sign out everywhere; the accessibility statement.
        .route(
            "/logga-in/glomt",
            get(pages::account::forgot_form).post(pages::account::forgot),
        )
        .route(
            "/losenord/{token}",
            get(pages::account::reset_form).post(pages::account::reset),
        )
        .route("/konto", get(pages::account::show))
        .route("/konto/losenord", post(pages::account::change))
        .route(
            "/konto/logga-ut-overallt",
            post(pages::account::sign_out_everywhere),
        )
        // Notification choices: by the link in a mail, or on the account page.
        .route(
            "/aviseringar/{token}",
            get(pages::notify::show).post(pages::notify::save),
        )
        .route("/aviseringar/{token}/av", get(pages::notify::off_form))
        .route("/konto/aviseringar", post(pages::notify::save_mine))
        // Retention and personal data; the accessibility statement and its report form
        // (issue 20, items 7 and 8).
        .route(
            "/tillganglighet",
            get(pages::privacy::statement).post(pages::privacy::report),
        )
        .route("/om-personuppgifter", get(pages::privacy::privacy))
        .route("/admin/gallring", get(pages::admin::retention::show))
        .route("/admin/gallring/kor", post(pages::admin::retention::run))
        .route(
            "/admin/gallring/{region}/{rule}",
            get(pages::admin::retention::dry_run).post(pages::admin::retention::save),
        )
        .route("/mitt-arbete", get(pages::work::show))
        .route("/inkorg", get(pages::inbox::list))
        .route("/inkorg/{id}", get(pages::inbox::detail))
        // The triage forms: one route each (issue 18, item 4).
        .route("/inkorg/{id}/tilldela", post(pages::inbox::assign))
        .route(
            "/inkorg/{id}/komplettering",
            post(pages::inbox::request_info),
        )
        .route("/inkorg/{id}/meddelande", post(pages::inbox::message))
        .route("/inkorg/{id}/skicka-vidare", post(pages::inbox::forward))
        .route("/inkorg/{id}/dubblett", post(pages::inbox::mark_duplicate))
        .route("/inkorg/{id}/avvisa", post(pages::inbox::reject))
        .route("/inkorg/{id}/anta", post(pages::inbox::accept))
        .route("/inkorg/{id}/ateroppna", post(pages::inbox::reopen))
        .route(
            "/inkorg/{id}/radera-kontakt",
            post(pages::inbox::erase_contact),
        )
        .route("/inkorg/{id}/kommentar", post(pages::inbox::comment))
        .route("/arenden", get(pages::cases::board))
        .route("/arenden/mina", get(pages::cases::mine))
        .route("/arenden/forsenade", get(pages::cases::overdue))
        .route(
            "/arenden/nytt",
            get(pages::cases::new_form).post(pages::cases::open),
        )
        .route("/arenden/{id}", get(pages::cases::show))
        .route("/arenden/{id}/bock", post(pages::cases::tick))
        .route("/arenden/{id}/bock/angra", post(pages::cases::untick))
        .route("/arenden/{id}/beslut", post(pages::cases::decide))
        .route("/arenden/{id}/vagval", post(pages::cases::choose_path))
        .route("/arenden/{id}/resultat/infort", post(pages::cases::adopt))
        .route("/arenden/{id}/resultat/matt", post(pages::cases::measure))
        .route(
            "/arenden/{id}/resultat/overlamning",
            post(pages::cases::handover),
        )
        .route("/arenden/{id}/grupp", post(pages::cases::add_member))
        .route(
            "/arenden/{id}/grupp/ta-bort",
            post(pages::cases::remove_member),
        )
        .route("/arenden/{id}/uppgifter", post(pages::cases::edit))
        // Attachments (issue 20 item 6): the download, and the case's and the
        // challenge's files; the intake takes files at /lamna.
        .route("/bilagor/{id}", get(pages::attachments::download))
        .route(
            "/arenden/{id}/bilagor",
            post(pages::attachments::add_to_case).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/arenden/{id}/bilagor/ta-bort",
            post(pages::attachments::remove_from_case),
        )
        .route(
            "/workshop/{code}/bilagor",
            post(pages::attachments::add_to_challenge)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/workshop/{code}/bilagor/ta-bort",
            post(pages::attachments::remove_from_challenge),
        )
        .route("/diarium", get(pages::diarium::show))
        // E-mail (issue 20): the outbox and the jobs, for a region's administrators.
        .route("/admin/utkorg", get(pages::outbox::show))
        .route("/admin/jobb", get(pages::jobs::show))
        // Administration pages (issue 20 item 5).
        .route("/admin", get(pages::admin::start))
        .route(
            "/admin/organisationer",
            get(pages::admin::units::show).post(pages::admin::units::add),
        )
        .route(
            "/admin/organisationer/{id}",
            post(pages::admin::units::change),
        )
        // Administration of people, API tokens and the audit view (issue 20 item 5).
        .route(
            "/admin/anvandare",
            get(pages::admin::people::list).post(pages::admin::people::invite),
        )
        .route("/admin/anvandare/{id}", get(pages::admin::people::show))
        .route(
            "/admin/anvandare/{id}/roller",
            post(pages::admin::people::grant),
        )
        .route(
            "/admin/anvandare/{id}/roller/ta-bort",
            post(pages::admin::people::remove),
        )
        .route(
            "/admin/anvandare/{id}/inbjudan",
            post(pages::admin::people::resend),
        )
        .route(
            "/admin/anvandare/{id}/avaktivera",
            post(pages::admin::people::deactivate),
        )
        .route(
            "/admin/anvandare/{id}/aktivera",
            post(pages::admin::people::reactivate),
        )
        .route(
            "/admin/nycklar",
            get(pages::admin::tokens::list).post(pages::admin::tokens::create),
        )
        .route(
            "/admin/nycklar/{id}/aterkalla",
            post(pages::admin::tokens::revoke),
        )
        .route("/admin/handelser", get(pages::admin::audit::show))
        .route(
            "/inbjudan/{token}",
            get(pages::admin::people::accept_form).post(pages::admin::people::accept),
        )
        .route(
            "/processer",
            get(pages::processes::show).post(pages::processes::upload),
        )
        .route("/processer/aktivera", post(pages::processes::activate))
        .route(
            "/workshop",
            get(pages::workshop::join_form).post(pages::workshop::join),
        )
        .route(
            "/workshop/ny",
            get(pages::workshop::new_form).post(pages::workshop::create),
        )
        .route("/workshop/{code}", get(pages::workshop::show))
        .route(
            "/workshop/{code}/koncept",
            post(pages::workshop::add_concept),
        )
        .route("/workshop/{code}/rost", post(pages::workshop::vote))
        .route("/workshop/{code}/bedomning", post(pages::workshop::score))
        .route("/workshop/{code}/svar", post(pages::workshop::answer))
        .route("/workshop/{code}/flagga", post(pages::workshop::flag))
        .route(
            "/workshop/{code}/fraga",
            post(pages::workshop::add_question),
        )
        .route(
            "/workshop/{code}/kriterier",
            post(pages::workshop::set_criteria),
        )
        .route("/fragor", get(pages::workshop::showcase))
        .route("/workshop/{code}/leda", get(pages::workshop::lead))
        .route(
            "/workshop/{code}/projektor",
            get(pages::workshop::projector),
        )
        .route("/workshop/{code}/fas", post(pages::workshop::set_phase))
        .route(
            "/workshop/{code}/ide/{idea}",
            post(pages::workshop::idea_status),
        )
        .route("/workshop/{code}/live", get(pages::workshop::live))
        .route(
            "/workshop/{code}/vidare",
            post(pages::workshop::take_forward),
        )
        .route(
            "/workshop/{code}/export/{file}",
            get(pages::workshop::export),
        )
        .route("/sprak/{lang}", get(pages::switch_language))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::csrf,
        ));
    // Under /api/v1 even an unknown path answers in JSON.
    let api = Router::new()
        .route("/openapi.json", get(api::openapi))
        .route(
            "/submissions",
            post(api::create_submission).get(api::list_submissions),
        )
        .route("/submissions/{id}", get(api::get_submission))
        .route("/submissions/{id}/actions", post(api::act))
        .route("/cases", get(api_cases::list).post(api_cases::open))
        .route("/cases/{id}", get(api_cases::get))
        .route("/cases/{id}/events", get(api_cases::events))
        .route("/cases/{id}/checklist", post(api_cases::tick))
        .route("/cases/{id}/decisions", post(api_cases::decide))
        .route("/cases/{id}/path", post(api_cases::path))
        .route("/cases/{id}/result", post(api_cases::result))
        .route("/cases/{id}/members", post(api_cases::member))
        .route("/cases/{id}/details", post(api_cases::details))
        .route("/diarium", get(api_cases::diarium))
        .route("/campaigns", post(api_campaigns::create))
        .route("/campaigns/{code}", get(api_campaigns::results))
        .route("/campaigns/{code}/phase", post(api_campaigns::phase))
        .route("/campaigns/{code}/participants", post(api_campaigns::join))
        .route("/campaigns/{code}/ideas", post(api_campaigns::add_idea))
        .route(
            "/campaigns/{code}/ideas/{idea}/status",
            post(api_campaigns::idea_status),
        )
        .route("/campaigns/{code}/pair", get(api_campaigns::pair))
        .route("/campaigns/{code}/votes", post(api_campaigns::vote))
        .route("/campaigns/{code}/scores", post(api_campaigns::score))
        .route(
            "/campaigns/{code}/ideas/{idea}/flag",
            post(api_campaigns::flag),
        )
        .route(
            "/campaigns/{code}/next-steps",
            post(api_campaigns::take_forward),
        )
        .route("/users/{id}/tokens", get(api_accounts::tokens))
        .route("/users/{id}/deactivate", post(api_accounts::deactivate))
        .route("/tokens/{id}/revoke", post(api_accounts::revoke))
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn(api::error::language));
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/livez", get(api::livez))
        .route("/static/{file}", get(pages::static_file))
        .nest("/api/v1", api)
        // The one-click unsubscribe (RFC 8058) is posted by mail programs without cookies,
        // so outside the CSRF check: its token authorises it (docs/security.md).
        .route("/aviseringar/{token}/av", post(pages::notify::off))
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::code_lookups,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::body_deadline,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            trace::requests,
        ))
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes the requests in flight.
///
/// Each connection is served by hyper directly (axum's `serve` sets no timer, and so no
/// timeout for headers): a connection that has not sent a request's headers in full within
/// `header_read_timeout` is closed, whether it is new or kept alive between requests. The
/// body's deadline is a middleware ([`security::body_deadline`]).
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower_service::Service;

    let stop = state.stop.clone();
    let header_timeout = state.settings.header_read_timeout;
    let app = router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "failed to accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(remote));
                let mut app = app.clone();
                async move { app.call(req).await }
            });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    // Live streams end first, so that the requests in flight can finish.
    let _ = stop.send(true);
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_logo_is_recognised_by_its_content_and_anything_else_refused() {
        let png = b"\x89PNG\r\n\x1a\n rest".to_vec();
        assert_eq!(
            super::Logo::from_bytes(png).map(|l| l.content_type),
            Ok("image/png")
        );
        let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>"#.to_vec();
        assert_eq!(
            super::Logo::from_bytes(svg).map(|l| l.content_type),
            Ok("image/svg+xml")
        );
        assert!(super::Logo::from_bytes(b"GIF89a".to_vec()).is_err());
    }

    /// Every route of the API router is described in the generated OpenAPI document, with
    /// its method.
    #[test]
    fn every_api_route_is_in_openapi() {
        let src = include_str!("lib.rs");
        let start = src.find("let api = Router::new()").expect("api router");
        let end = start + src[start..].find(".fallback(").expect("fallback");
        let spec: serde_json::Value =
            serde_json::from_str(crate::api::openapi_json()).expect("valid JSON");
        let mut checked = 0;
        let marker = ".route(";
        for chunk in src[start..end].split(marker).skip(1) {
            let path = chunk.split('"').nth(1).expect("a path");
            let full = format!("/api/v1{path}");
            let entry = &spec["paths"][&full];
            assert!(entry.is_object(), "{full} is not in the OpenAPI document");
            for method in ["get", "post"] {
                if chunk.contains(&format!("{method}(")) {
                    assert!(entry[method].is_object(), "{method} {full}");
                }
            }
            checked += 1;
        }
        assert!(checked >= 25, "found only {checked} routes");
    }

    /// What tools rely on stays in the generated document: the bearer scheme, the shared
    /// schemas, and an example for every request body (schemathesis runs them first).
    #[test]
    fn the_openapi_document_keeps_what_tools_rely_on() {
        let spec: serde_json::Value =
            serde_json::from_str(crate::api::openapi_json()).expect("valid JSON");
        assert_eq!(spec["openapi"], "3.1.0");
        assert_eq!(
            spec["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        for name in ["Health", "Error", "ValidationErrors"] {
            assert!(spec["components"]["schemas"][name].is_object(), "{name}");
        }
        let mut bodies = 0;
        let paths = spec["paths"].as_object().expect("paths");
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("path item") {
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                let Some(r) = schema["$ref"].as_str() else {
                    continue;
                };
                let name = r.trim_start_matches("#/components/schemas/");
                let examples = &spec["components"]["schemas"][name]["examples"];
                assert!(
                    examples.as_array().is_some_and(|e| !e.is_empty()),
                    "{method} {path}: {name} has no example"
                );
                bodies += 1;
            }
        }
        assert!(bodies >= 15, "found only {bodies} request bodies");
        assert!(
            paths.values().any(
                |item| item
                    .as_object()
                    .into_iter()
                    .flatten()
                    .any(|(_, op)| op["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|p| p["name"] == "X-Participant-Token" && p["in"] == "header"))
            ),
            "the participant's header"
        );
    }
}
