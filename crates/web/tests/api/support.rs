//! Spawns Sluss on port 0 against a fresh database: a new SQLite file, or a new PostgreSQL
//! database created from `TEST_DATABASE_URL`. Under CI the PostgreSQL half must run.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use app::admin::{NewOrg, NewUser};
use app::{App, Config};
use serde_json::{Value, json};
use sqlx::Connection;
use store::events::Actor;
use web::{AppState, Settings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a scenario on both databases: `both!(name, scenario)`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                if $crate::support::postgres_url().is_some() {
                    super::$name($crate::support::Backend::Postgres).await
                }
            }
        }
    };
}

/// The PostgreSQL server to test against. Under CI its absence is a failure, not a skip.
pub fn postgres_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "TEST_DATABASE_URL must be set under CI: the PostgreSQL half of the suite may not be skipped"
                );
            }
            eprintln!("TEST_DATABASE_URL is not set: skipping the PostgreSQL run of this test");
            None
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    format!(
        "sluss_t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        uuid::Uuid::now_v7().simple()
    )
}

/// A database for one test.
#[derive(Clone)]
pub struct TestDb {
    pub url: String,
    backend: Backend,
    name: String,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                TestDb {
                    url: format!("sqlite://{}", path.display()),
                    backend,
                    name,
                }
            }
            Backend::Postgres => {
                let admin = postgres_url().expect("TEST_DATABASE_URL");
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                conn.close().await.ok();
                let base = admin.split('?').next().unwrap_or(&admin);
                let cut = base
                    .rfind('/')
                    .expect("a database name in TEST_DATABASE_URL");
                TestDb {
                    url: format!("{}/{name}", &base[..cut]),
                    backend,
                    name,
                }
            }
        }
    }

    pub async fn drop_db(&self) {
        match self.backend {
            Backend::Sqlite => {
                let path = self.url.trim_start_matches("sqlite://").to_string();
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
            Backend::Postgres => {
                if let Some(admin) = postgres_url()
                    && let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await
                {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        self.name
                    )))
                    .execute(&mut conn)
                    .await;
                }
            }
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub db: TestDb,
    pub http: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub fn client() -> reqwest::Client {
    app::oidc::install_tls();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub fn settings(limit: u32) -> Settings {
    Settings {
        secure_cookies: false,
        public_write_limit: limit,
        public_write_window: Duration::from_secs(600),
        behind_proxy: false,
        sign_in_limit: limit,
        lookup_miss_limit: limit,
        join_limit: limit,
        header_read_timeout: Duration::from_secs(10),
        body_read_timeout: Duration::from_secs(30),
        live_stream_limit: limit,
        // The report form on /tillganglighet sends to an e-mail address.
        accessibility_contact: Some("tillganglighet@example.se".into()),
        ..Settings::for_public_url("http://127.0.0.1")
    }
}

pub async fn spawn(backend: Backend) -> TestApp {
    spawn_on(TestDb::new(backend).await, settings(100_000)).await
}

pub async fn spawn_on(db: TestDb, settings: Settings) -> TestApp {
    spawn_configured(db, settings, |_, _| {}).await
}

/// Spawns with the app's configuration changed by `configure`, which is given the server's
/// address (known once it listens) to build on.
pub async fn spawn_configured(
    db: TestDb,
    settings: Settings,
    configure: impl FnOnce(&str, &mut Config),
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let mut config = Config {
        public_url: base.clone(),
        session_ttl_secs: 3600,
        attachments: app::attachments::Settings {
            dir: std::env::temp_dir().join(format!("{}-bilagor", unique_name())),
            ..Default::default()
        },
        ..Config::default()
    };
    configure(&base, &mut config);
    let app = App::open(&db.url, config).await.expect("open app");
    let state = AppState::new(app.clone(), settings);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        web::serve(state, listener, async {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    TestApp {
        base,
        app,
        db,
        http: client(),
        shutdown: Some(tx),
        server: Some(server),
    }
}

impl TestApp {
    /// Stops the server and closes the pool, keeping the database.
    pub async fn stop(mut self) -> TestDb {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        self.app.db.close().await;
        self.db
    }

    /// Stops and removes the database.
    pub async fn finish(self) {
        let db = self.stop().await;
        db.drop_db().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn org(&self, slug: &str, parent: Option<&str>) {
        app::admin::add_org(
            &self.app,
            &Actor::System,
            NewOrg {
                slug,
                name: &format!("Org {slug}"),
                parent,
                reference_format: None,
            },
        )
        .await
        .expect("add org");
    }

    /// Adds a user and returns the password.
    pub async fn user(&self, email: &str, org: &str, role: &str) -> String {
        let password = format!("pw-{email}-long-enough");
        app::admin::add_user(
            &self.app,
            &Actor::System,
            NewUser {
                email,
                name: &format!("Name {email}"),
                org,
                role,
                password: &password,
            },
        )
        .await
        .expect("add user");
        password
    }

    pub async fn token(&self, email: &str) -> String {
        app::auth::create_api_token(&self.app, email)
            .await
            .expect("token")
    }

    pub async fn post_submission(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/submissions"))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn submit_ok(&self, org: &str, title: &str) -> Value {
        let res = self.post_submission(&valid_submission(org, title)).await;
        assert_eq!(
            res.status(),
            201,
            "submission refused: {:?}",
            res.text().await
        );
        res.json().await.expect("json")
    }

    /// POSTs a JSON body to the API with a bearer token.
    pub async fn api_post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// The id of a built-in process template, by its key.
    pub async fn template_id(&self, key: &str) -> String {
        app::processes::list(&self.app)
            .await
            .expect("templates")
            .into_iter()
            .find(|x| x.template_key == key)
            .expect("a built-in template")
            .id
            .into_string()
    }

    pub async fn api_get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn act(&self, token: &str, id: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/v1/submissions/{id}/actions")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn event_count(&self) -> i64 {
        let mut tx = self.app.db.read().await.expect("read");
        store::events::count(&mut tx).await.expect("count")
    }

    pub async fn submission_count(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM submissions", vec![]).await
    }

    /// The number a `SELECT COUNT(*) …` answers, read in a transaction of its own.
    pub async fn count(&self, text: &str, args: Vec<store::Arg>) -> i64 {
        let mut tx = self.app.db.read().await.expect("read");
        let (n,): (i64,) = tx
            .fetch_one(store::Sql::dynamic(text.to_string(), args))
            .await
            .expect("count");
        n
    }

    /// GETs a page with this client and returns its text, whatever its status.
    pub async fn html(&self, client: &reqwest::Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text")
    }

    /// POSTs a form with this client; the answer's status (a redirect is not followed).
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::StatusCode {
        client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("post")
            .status()
    }

    /// GETs a page with this client and returns its CSRF token.
    pub async fn csrf(&self, client: &reqwest::Client, path: &str) -> String {
        csrf_in(&self.html(client, path).await).expect("a CSRF field on the page")
    }

    /// Signs in through the form; returns a client holding the session cookie.
    pub async fn browser_login(&self, email: &str, password: &str) -> reqwest::Client {
        let c = client();
        let csrf = self.csrf(&c, "/logga-in").await;
        let res = c
            .post(self.url("/logga-in"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), 303, "sign-in failed");
        c
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
    Some(html[i..i + html[i..].find('"')?].to_string())
}

pub fn valid_submission(org: &str, title: &str) -> Value {
    json!({
        "kind": "need",
        "title": title,
        "description": "Patienter står i kö vid receptionen varje morgon trots bokad tid.",
        "submitter_role": "patient",
        "organisation": org,
        "contact_name": "Anna Andersson",
        "contact_email": "anna@example.se",
    })
}
