//! `sluss serve` (also `sluss` without a command): listen, optionally load the demo,
//! configure the site's limits, serve until ctrl-c or SIGTERM.

use std::time::Duration;

use anyhow::{Context, Result};

use crate::cli::{DbArgs, MailArgs, SignInArgs};
use crate::common::{explain, open};
use crate::demo::print_newcomers_start;

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// The installation's own name and logo (`--org-name`, `--logo`).
pub struct Branding {
    pub org_name: String,
    pub logo: Option<std::path::PathBuf>,
    pub accessibility_contact: Option<String>,
}

impl Branding {
    /// Reads the logo now, so that a wrong path or format stops the start with its reason.
    fn logo(&self) -> Result<Option<web::Logo>> {
        let Some(path) = &self.logo else {
            return Ok(None);
        };
        let bytes = std::fs::read(path)
            .with_context(|| format!("Failed to read the logo {}", path.display()))?;
        web::Logo::from_bytes(bytes)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("The logo {}: {e}", path.display()))
    }
}

/// Serves the site and the API with the flags of `sluss serve` (see [`crate::cli::Command`]).
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: DbArgs,
    attachment_max_mb: u64,
    mail: MailArgs,
    sign_in: SignInArgs,
    bind: String,
    public_url: Option<String>,
    demo: bool,
    public_write_limit: u32,
    sign_in_limit: u32,
    join_limit: u32,
    join_code_miss_limit: u32,
    live_stream_limit: u32,
    behind_proxy: bool,
    branding: Branding,
) -> Result<()> {
    let logo = branding.logo()?;
    let handlers = job_handlers(&mail)?;
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("Failed to listen on {bind}"))?;
    let local = listener
        .local_addr()
        .context("Failed to read the bound address")?;
    let public_url = public_url.unwrap_or_else(|| format!("http://{local}"));
    let oidc = oidc(&sign_in)?;
    let mut app = open(&db, Some(public_url.clone())).await?;
    app.config.attachments.max_bytes = attachment_max_mb * 1024 * 1024;
    // Files left without their row by a crash while one was written (see app::attachments).
    let swept = app::attachments::sweep(&app, app::attachments::SWEEP_MIN_AGE)
        .await
        .map_err(explain)?;
    tracing::info!(dir = %app.config.attachments.dir.display(), swept, "attachments");
    app.config.local_passwords = sign_in.local_passwords == "on";
    if let Some(oidc) = oidc {
        // Read now so that a wrong issuer shows at start; a provider down now is read
        // again at the first sign-in.
        match oidc.discover().await {
            Ok(_) => {
                tracing::info!(issuer = %oidc.settings.issuer, redirect_uri = %app::oidc::redirect_uri(&app.config.public_url), "sign-in through OpenID Connect")
            }
            Err(e) => {
                tracing::warn!(error = %e, "the identity provider could not be read; trying again at the first sign-in")
            }
        }
        app.config.oidc = Some(std::sync::Arc::new(oidc));
    }
    if !app.config.local_passwords {
        tracing::info!("local passwords are off: staff sign in through the identity provider");
    }
    if demo {
        let users = app::demo::load(&app).await.map_err(explain)?;
        let campaigns = app::demo::campaigns(&app).await.map_err(explain)?;
        print_newcomers_start(&public_url, &users, &campaigns);
    }
    let mut settings = web::Settings::for_public_url(&public_url);
    settings.public_write_limit = public_write_limit;
    settings.public_write_window = Duration::from_secs(600);
    settings.behind_proxy = behind_proxy;
    settings.sign_in_limit = sign_in_limit;
    settings.join_limit = join_limit;
    settings.lookup_miss_limit = join_code_miss_limit;
    settings.live_stream_limit = live_stream_limit;
    let org_name = branding.org_name.trim();
    if !org_name.is_empty() {
        settings.org_name = org_name.into();
    }
    settings.logo = logo;
    settings.accessibility_contact = branding
        .accessibility_contact
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(Into::into);
    tracing::info!(database = %store::db::redact(&db.database_url), backend = ?app.db.backend(), "database ready");
    tracing::info!("listening on http://{local} (public address {public_url})");
    app::campaigns::warm_up(&app);
    // Today's retention run (each run schedules the next day's).
    app::retention::schedule(&app).await.map_err(explain)?;
    let state = web::AppState::new(app.clone(), settings);
    // Background jobs: stopped with the server, after the job under way (if any) ends.
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    app::notify::schedule_daily(&app).await.map_err(explain)?;
    let jobs = tokio::spawn(app::jobs::Runner::new(handlers).work(app.clone(), jobs_stopped));
    let served = web::serve(state, listener, shutdown_signal()).await;
    let _ = stop_jobs.send(true);
    let _ = jobs.await;
    served.context("The server failed")?;
    app.db.close().await;
    Ok(())
}

/// The identity provider of `--oidc-issuer`, with its client and role map; none without an
/// issuer. A half configuration (an issuer without a client, a role map that does not
/// read) stops the start with its reason.
fn oidc(args: &SignInArgs) -> Result<Option<app::oidc::Oidc>> {
    let Some(issuer) = args
        .oidc_issuer
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty())
    else {
        if args.local_passwords == "off" {
            anyhow::bail!("--local-passwords off needs --oidc-issuer: nobody could sign in");
        }
        return Ok(None);
    };
    let client_id = args
        .oidc_client_id
        .clone()
        .filter(|c| !c.trim().is_empty())
        .context("--oidc-issuer needs --oidc-client-id (SLUSS_OIDC_CLIENT_ID)")?;
    let client_secret = args
        .oidc_client_secret
        .clone()
        .filter(|c| !c.is_empty())
        .context("--oidc-issuer needs the client secret in SLUSS_OIDC_CLIENT_SECRET")?;
    let role_map = match &args.oidc_role_map {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("Failed to read the role map {}", path.display()))?;
            app::oidc::RoleMap::parse(&text)
                .with_context(|| format!("The role map {}", path.display()))?
        }
        None => {
            tracing::warn!(
                "no --oidc-role-map: nobody signing in through the identity provider gets a role, so nobody is let in"
            );
            app::oidc::RoleMap::default()
        }
    };
    let oidc = app::oidc::Oidc::new(app::oidc::Settings {
        issuer: issuer.to_string(),
        client_id,
        client_secret,
        name: args.oidc_name.trim().to_string(),
        email_claim: args.oidc_email_claim.trim().to_string(),
        groups_claim: args.oidc_groups_claim.trim().to_string(),
        role_map,
    })?;
    Ok(Some(oidc))
}

/// The jobs this node runs: the daily digest and overdue reminder (which only queue mail),
/// retention (daily, and when an administrator asks), and sending mail when an SMTP server
/// is configured (else mail waits in the outbox).
fn job_handlers(mail: &MailArgs) -> Result<Vec<std::sync::Arc<dyn app::jobs::Handler>>> {
    let mut handlers: Vec<std::sync::Arc<dyn app::jobs::Handler>> = vec![
        std::sync::Arc::new(app::notify::Digest),
        std::sync::Arc::new(app::notify::Overdue),
        std::sync::Arc::new(app::retention::Daily),
        std::sync::Arc::new(app::retention::RunNow),
    ];
    let Some(url) = mail.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        tracing::info!("no --smtp-url: mail stays in the outbox (/admin/utkorg)");
        return Ok(handlers);
    };
    let from = mail
        .mail_from
        .as_deref()
        .context("--smtp-url needs --mail-from (SLUSS_MAIL_FROM): the sender's address")?;
    let smtp = app::mail::Smtp::new(url, from)?;
    tracing::info!(smtp = %store::db::redact(url), "mail is sent through SMTP");
    handlers.push(std::sync::Arc::new(app::mail::Sender {
        smtp,
        compose: std::sync::Arc::new(web::mail::Mails),
    }));
    Ok(handlers)
}
