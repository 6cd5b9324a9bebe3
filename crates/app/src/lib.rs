//! Use cases of Sluss. Every function takes the caller, checks what the caller may do,
//! validates input into domain types, and writes state and event in one transaction.
//! Nothing here knows HTTP; the web layer and the command line are two faces of this.

pub mod access;
pub mod accessibility;
pub mod accounts;
pub mod admin;
pub mod attachments;
pub mod auth;
pub mod campaigns;
pub mod cases;
pub mod demo;
pub mod error;
pub mod follow_up;
pub mod inbox;
pub mod intake;
pub mod jobs;
pub mod mail;
pub mod notify;
pub mod oidc;
pub mod password;
pub mod personal_data;
pub mod processes;
pub mod retention;
pub mod scale;
pub mod secret;
pub mod vote_cache;
pub mod work;
pub mod writer;

pub use error::{AppError, Conflict};
pub use store::Db;

use domain::id::UserId;
use domain::role::Role;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address people reach Sluss at, without a trailing slash; follow-up links use it.
    pub public_url: String,
    /// How long a sign-in lasts, in seconds.
    pub session_ttl_secs: i64,
    /// Where attachments are kept and how large one may be.
    pub attachments: attachments::Settings,
    /// Whether people may sign in with a password kept by Sluss (`--local-passwords`);
    /// when off, the password form, reset and change are refused.
    pub local_passwords: bool,
    /// The identity provider people sign in through, when one is configured.
    pub oidc: Option<std::sync::Arc<oidc::Oidc>>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            session_ttl_secs: 8 * 3600,
            attachments: attachments::Settings::default(),
            local_passwords: true,
            oidc: None,
        }
    }
}

/// The application: the database and the settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub db: Db,
    pub config: Config,
    /// Codes of campaigns that just changed, for live results on this node (and, through
    /// PostgreSQL's LISTEN/NOTIFY, from every other node).
    pub live: tokio::sync::broadcast::Sender<String>,
    /// Fitted rankings by campaign id, reused while no vote has come in.
    pub rankings: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<domain::id::CampaignId, campaigns::Fitted>>,
    >,
    /// One lock per campaign so that a node fits a campaign once at a time: requests that
    /// find the ranking stale wait for the fit under way and take it.
    pub fitting: std::sync::Arc<
        std::sync::Mutex<
            std::collections::HashMap<
                domain::id::CampaignId,
                std::sync::Arc<tokio::sync::Mutex<()>>,
            >,
        >,
    >,
    /// Live fingerprints by campaign code and when they were read, shared by listeners.
    pub fingerprints: std::sync::Arc<
        tokio::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, String)>>,
    >,
    /// What this node remembers of campaigns and participants for the vote path.
    pub votes: std::sync::Arc<vote_cache::VoteCache>,
    /// The organisation tree, kept until an organisation is added ([`access`]).
    pub(crate) org_tree: std::sync::Arc<access::TreeCache>,
    /// Wakes this node's job runner when a job was enqueued here ([`jobs::Runner::work`]).
    pub jobs_wake: std::sync::Arc<tokio::sync::Notify>,
    /// Group commit for votes and pair offers, started on first use.
    writer: std::sync::Arc<std::sync::OnceLock<writer::Writer>>,
}

impl App {
    pub fn new(db: Db, config: Config) -> Self {
        let (live, _) = tokio::sync::broadcast::channel(1024);
        Self {
            db,
            config,
            live,
            rankings: Default::default(),
            fitting: Default::default(),
            fingerprints: Default::default(),
            votes: Default::default(),
            org_tree: Default::default(),
            jobs_wake: Default::default(),
            writer: Default::default(),
        }
    }

    /// The node's vote writer (group commit); started on first use, on the current runtime.
    pub fn writer(&self) -> &writer::Writer {
        self.writer
            .get_or_init(|| writer::Writer::start(self.db.clone(), self.live.clone()))
    }

    /// Tells this node's job runner that a job was enqueued (after the commit).
    pub fn wake_jobs(&self) {
        self.jobs_wake.notify_one();
    }

    /// Announces on this node that a campaign changed (other nodes hear it from PostgreSQL).
    pub fn changed(&self, code: &str, change: store::campaigns::Change) {
        if change == store::campaigns::Change::Campaign {
            self.votes.forget_campaign(code);
        }
        let _ = self.live.send(code.to_string());
    }

    /// Connects, applies migrations and returns the app.
    pub async fn open(database_url: &str, config: Config) -> anyhow::Result<Self> {
        use anyhow::Context;
        let db = Db::connect(database_url).await.with_context(|| {
            format!(
                "Failed to open the database {}",
                store::db::redact(database_url)
            )
        })?;
        store::migrate::run(&db)
            .await
            .context("Failed to apply migrations")?;
        let app = Self::new(db, config);
        let (live, votes) = (app.live.clone(), app.votes.clone());
        let org_tree = app.org_tree.clone();
        app.db
            .listen(store::campaigns::LIVE_CHANNEL, move |payload| {
                if payload == store::orgs::CHANGED {
                    org_tree.forget();
                    return;
                }
                let code = match payload.strip_suffix(store::campaigns::STRUCTURE_MARK) {
                    Some(code) => {
                        votes.forget_campaign(code);
                        code.to_string()
                    }
                    None => payload,
                };
                let _ = live.send(code);
            })
            .await
            .context("Failed to listen for live updates")?;
        processes::install_built_ins(&app)
            .await
            .context("Failed to store the built-in process templates")?;
        Ok(app)
    }
}

/// A signed-in person and the roles they hold.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub memberships: Vec<(domain::id::OrgId, Role)>,
}

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Caller {
    Public,
    User(CurrentUser),
}

impl Caller {
    pub fn user(&self) -> Option<&CurrentUser> {
        match self {
            Caller::User(u) => Some(u),
            Caller::Public => None,
        }
    }

    pub fn actor(&self) -> store::events::Actor {
        match self {
            Caller::User(u) => store::events::Actor::User(u.id.clone()),
            Caller::Public => store::events::Actor::Public,
        }
    }
}
