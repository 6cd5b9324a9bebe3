//! The `sluss` command: serve the site, apply migrations, load demo data and administer
//! organisations, users and API tokens.

mod operate;
mod progress;
mod ranking_cli;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use app::admin::{NewOrg, NewUser};
use app::{App, AppError, Config};
use store::events::Actor;

#[derive(Parser)]
#[command(
    name = "sluss",
    version,
    about = "Sluss – an innovation pipeline for the public sector"
)]
struct Cli {
    /// Without a command, `sluss` serves with the defaults (like `sluss serve`).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// sqlite://PATH or postgres://USER@HOST/DB
    #[arg(
        long,
        env = "SLUSS_DATABASE_URL",
        default_value = "sqlite://./data/sluss.db"
    )]
    database_url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site and the API.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on.
        #[arg(long, env = "SLUSS_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// The address people reach Sluss at (used in follow-up links; https makes cookies Secure).
        #[arg(long, env = "SLUSS_PUBLIC_URL")]
        public_url: Option<String>,
        /// Load the demo data before serving.
        #[arg(long)]
        demo: bool,
        /// Public writes (submissions and follow-up replies) allowed per client address per
        /// 10 minutes; also the writes (concepts, answers, flags) of one workshop participant
        /// per 10 minutes, counted per participant.
        #[arg(long, env = "SLUSS_PUBLIC_WRITE_LIMIT", default_value_t = 20)]
        public_write_limit: u32,
        /// Sign-in attempts allowed per client address per 10 minutes.
        #[arg(long, env = "SLUSS_SIGN_IN_LIMIT", default_value_t = 100)]
        sign_in_limit: u32,
        /// Joins of workshops and open questions allowed per client address per 10 minutes
        /// (a whole workshop may join from one office address).
        #[arg(long, env = "SLUSS_JOIN_LIMIT", default_value_t = 300)]
        join_limit: u32,
        /// Lookups of join codes that find no campaign allowed per client address per 10
        /// minutes; past it, no code is looked up for that address until the 10 minutes end.
        #[arg(long, env = "SLUSS_JOIN_CODE_MISS_LIMIT", default_value_t = 60)]
        join_code_miss_limit: u32,
        /// Live-result streams a client address may have open at once.
        #[arg(long, env = "SLUSS_LIVE_STREAM_LIMIT", default_value_t = 20)]
        live_stream_limit: u32,
        /// Trust X-Forwarded-For (only when a reverse proxy sets it).
        #[arg(long, env = "SLUSS_BEHIND_PROXY")]
        behind_proxy: bool,
    },
    /// Apply database migrations and exit (`serve` applies them at start too).
    Migrate {
        #[command(flatten)]
        db: DbArgs,
        /// List the migrations applied and pending, and apply nothing.
        #[arg(long)]
        status: bool,
    },
    /// Write a checked copy of a SQLite database to a new file, also while Sluss serves it.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The file to write; it must not exist.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Move everything from a SQLite database into a new, empty PostgreSQL database.
    Move {
        /// The SQLite database: sqlite://PATH
        #[arg(long)]
        from: String,
        /// The PostgreSQL database: postgres://USER@HOST/DB (empty, or with the schema only)
        #[arg(long)]
        to: String,
    },
    /// Load the demo data (safe to run again).
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// Also load data at scale, for benchmarks: large (100,000 submissions, 10,000
        /// cases, 1,000 ideas with 1,000,000 votes), medium (a tenth) or small.
        #[arg(long, value_parser = ["small", "medium", "large"])]
        scale: Option<String>,
    },
    /// Organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Process templates.
    Process {
        #[command(subcommand)]
        command: ProcessCommand,
    },
    /// The ranking engine of pairwise voting, on files.
    Ranking {
        #[command(subcommand)]
        command: RankingCommand,
    },
    /// A submitter's personal data: export it, or erase it.
    PersonalData {
        #[command(subcommand)]
        command: PersonalDataCommand,
    },
}

#[derive(Subcommand)]
enum RankingCommand {
    /// Fit scores from a CSV of votes (header, columns winner,loser); prints
    /// idea,score,low,high,wins,losses, best first.
    Fit {
        #[arg(long)]
        votes: std::path::PathBuf,
        /// Strength of the Gaussian prior (its variance is 1/(2·alpha)).
        #[arg(long, default_value_t = ranking_cli::DEFAULT_ALPHA)]
        alpha: f64,
    },
    /// Simulate voters from a known truth; prints Kendall's tau against it at log-spaced vote counts.
    Simulate {
        #[arg(long)]
        ideas: usize,
        #[arg(long)]
        votes: usize,
        /// Standard deviation of the true strengths.
        #[arg(long)]
        spread: f64,
        /// uniform or adaptive.
        #[arg(long)]
        selector: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = ranking_cli::DEFAULT_ALPHA)]
        alpha: f64,
        /// Points per doubling of the vote count.
        #[arg(long, default_value_t = 4)]
        points: u32,
    },
}

#[derive(Subcommand)]
enum ProcessCommand {
    /// Check a template file; prints every problem with its line and field, exits non-zero on any.
    Validate { file: std::path::PathBuf },
}

/// Checks one template file: a summary if it is valid, else one line per problem.
fn validate_template(file: &std::path::Path) -> std::result::Result<String, String> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    match domain::process::parse_template(&text) {
        Ok(t) => Ok(format!(
            "{shown}: valid – {} (version {}): {} phases, {} steps, {} checklist items, {} paths",
            t.name,
            t.version,
            t.phases.len(),
            t.step_count(),
            t.item_count(),
            t.paths.len()
        )),
        Err(errors) => Err(errors
            .iter()
            .map(|e| {
                format!(
                    "{shown}:{}:{}: {}: {}",
                    e.line,
                    e.column,
                    e.field,
                    e.message()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

#[derive(Subcommand)]
enum PersonalDataCommand {
    /// Print, as JSON, everything held under an e-mail address.
    Export {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
    },
    /// Remove the name and e-mail address from every submission made with this address.
    Erase {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add a region, or a unit with --parent.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        parent: Option<String>,
        /// Diarienummer format, e.g. "{year}/{seq:5}" (the default).
        #[arg(long)]
        reference_format: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user with a role in an organisation (or add the role to an existing user).
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        org: String,
        /// staff, advisor, decision_maker, process_owner, procurement, company, reviewer, fund_manager, coordinator or admin
        #[arg(long)]
        role: String,
        #[arg(long, env = "SLUSS_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Deactivate a user: they cannot sign in, and their sessions and API tokens end at once.
    Deactivate {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token; it is printed once, as the last line.
    Create {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
        /// Days until the token expires (1 to 3650).
        #[arg(long, default_value_t = app::auth::DEFAULT_TOKEN_DAYS,
              value_parser = clap::value_parser!(u32).range(1..=i64::from(app::auth::MAX_TOKEN_DAYS)))]
        expires_in_days: u32,
    },
    /// List a user's API tokens: id, created, expires, last used, revoked.
    List {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        email: String,
    },
    /// Revoke an API token by its id (or the first eight or more characters of it).
    Revoke {
        #[command(flatten)]
        db: DbArgs,
        id: String,
    },
}

/// A stored time as the terminal shows it (minutes, UTC), or `none`.
fn shown_time(t: Option<&str>, none: &str) -> String {
    t.and_then(domain::time::Timestamp::parse_db)
        .map(|t| format!("{} UTC", t.minute_string()))
        .unwrap_or_else(|| none.to_string())
}

/// The token list as `sluss token list` prints it.
fn token_table(user: &store::users::UserRow, tokens: &[store::users::TokenRow]) -> String {
    let mut out = format!(
        "API tokens of {} <{}>{}:\n",
        user.name,
        user.email,
        if user.active { "" } else { " (deactivated)" }
    );
    if tokens.is_empty() {
        out.push_str("  (none)\n");
        return out;
    }
    out.push_str(&format!(
        "  {:<36}  {:<21}  {:<21}  {:<21}  {}\n",
        "id", "created", "expires", "last used", "revoked"
    ));
    for t in tokens {
        out.push_str(&format!(
            "  {:<36}  {:<21}  {:<21}  {:<21}  {}\n",
            t.id,
            shown_time(Some(&t.created_at), "-"),
            shown_time(t.expires_at.as_deref(), "never"),
            shown_time(t.last_used_at.as_deref(), "-"),
            shown_time(t.revoked_at.as_deref(), "-"),
        ));
    }
    out
}

/// Logs go to stderr; stdout carries what a command prints (a token, JSON) for scripts.
/// `SLUSS_LOG_FORMAT=json` writes one JSON object a line, with the request's span (its id,
/// method and route) on every line of a request, for a log collector gathering several
/// nodes' logs.
fn init_logging() {
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    if std::env::var("SLUSS_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

async fn open(db: &DbArgs, public_url: Option<String>) -> Result<App> {
    let mut config = Config::default();
    if let Some(url) = public_url {
        config.public_url = url.trim_end_matches('/').to_string();
    }
    App::open(&db.database_url, config).await
}

/// Turns a refused input into a readable message for the terminal.
fn explain(e: AppError) -> anyhow::Error {
    match e {
        AppError::Validation(errors) => {
            let tr = web::i18n::Tr::new(web::i18n::Lang::En);
            let lines: Vec<String> = errors
                .0
                .iter()
                .map(|fe| format!("  --{}: {}", fe.field.replace('_', "-"), tr.field_error(fe)))
                .collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        AppError::Conflict(code) => anyhow::anyhow!(
            "{}",
            web::i18n::Tr::new(web::i18n::Lang::En).t(&format!("conflict.{code}"))
        ),
        other => anyhow::Error::new(other),
    }
}

/// glibc gives busy threads arenas of their own (up to eight per core) and rarely returns
/// their freed memory: after a burst of concurrent queries the server kept ~40 MB more
/// resident than with two arenas, and no faster. Two keep memory flat under load.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before the server
    // starts and its result (0 when refused) leaves the default in place.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn print_demo_users(users: &[app::demo::DemoUser]) {
    println!("Demo users (role, e-mail, password):");
    for u in users {
        println!("  {:<15} {:<32} {}", u.role.as_str(), u.email, u.password);
    }
}

/// What a newcomer who typed the README's command needs: where to go, who to sign in
/// as, and the codes to join the demo's workshop and open question with.
fn print_newcomers_start(
    public_url: &str,
    users: &[app::demo::DemoUser],
    campaigns: &[app::demo::DemoCampaign],
) {
    println!("Sluss serves the demo at {public_url}/");
    println!("  Hand in a need or an idea: {public_url}/lamna");
    println!("  Sign in:                   {public_url}/logga-in");
    print_demo_users(users);
    if !campaigns.is_empty() {
        println!("Demo campaigns (join without an account):");
    }
    for c in campaigns {
        let kind = if c.mode == "open" {
            "open question"
        } else {
            "workshop"
        };
        println!(
            "  {kind:<14} code {}  {public_url}/workshop?code={}  \"{}\"",
            c.code, c.code, c.title
        );
    }
}

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

#[tokio::main]
async fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    init_logging();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The message and its causes, without a backtrace: these are for the person at
            // the terminal, and a refused input is not a crash.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let cli = Cli::parse();
    let command = match cli.command {
        Some(c) => c,
        None => Cli::parse_from(["sluss", "serve"])
            .command
            .context("serve is a command")?,
    };
    match command {
        Command::Serve {
            db,
            bind,
            public_url,
            demo,
            public_write_limit,
            sign_in_limit,
            join_limit,
            join_code_miss_limit,
            live_stream_limit,
            behind_proxy,
        } => {
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("Failed to listen on {bind}"))?;
            let local = listener
                .local_addr()
                .context("Failed to read the bound address")?;
            let public_url = public_url.unwrap_or_else(|| format!("http://{local}"));
            let app = open(&db, Some(public_url.clone())).await?;
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
            tracing::info!(database = %store::db::redact(&db.database_url), backend = ?app.db.backend(), "database ready");
            tracing::info!("listening on http://{local} (public address {public_url})");
            app::campaigns::warm_up(&app);
            let state = web::AppState::new(app.clone(), settings);
            web::serve(state, listener, shutdown_signal())
                .await
                .context("The server failed")?;
            app.db.close().await;
            Ok(())
        }
        Command::Migrate { db, status: true } => {
            println!("{}", operate::migration_status(&db.database_url).await?);
            Ok(())
        }
        Command::Migrate { db, status: false } => {
            let app = open(&db, None).await?;
            println!("Migrations applied; the database is at the latest version.");
            app.db.close().await;
            Ok(())
        }
        Command::Backup { db, out } => {
            println!("{}", operate::backup(&db.database_url, &out).await?);
            Ok(())
        }
        Command::Move { from, to } => {
            println!("{}", operate::move_database(&from, &to).await?);
            Ok(())
        }
        Command::Demo { db, scale } => {
            let app = open(&db, None).await?;
            if let Some(name) = scale {
                let scale = app::scale::Scale::named(&name).context("unknown scale")?;
                let started = std::time::Instant::now();
                eprintln!(
                    "Loading at scale '{name}': {} submissions, {} cases, {} ideas with {} votes.",
                    scale.submissions,
                    scale.cases,
                    scale.ideas,
                    scale.votes()
                );
                app::scale::load(&app, scale, std::sync::Arc::new(progress::progress_bar()))
                    .await
                    .map_err(explain)?;
                eprintln!(
                    "Loaded at scale '{name}' in {:.0} s.",
                    started.elapsed().as_secs_f64()
                );
            }
            let users = app::demo::load(&app).await.map_err(explain)?;
            println!(
                "Demo data loaded: region '{}' with units '{}' and '{}'.",
                app::demo::REGION,
                app::demo::UNIT_CARE,
                app::demo::UNIT_SERVICE
            );
            print_demo_users(&users);
            app.db.close().await;
            Ok(())
        }
        Command::Org {
            command:
                OrgCommand::Add {
                    db,
                    slug,
                    name,
                    parent,
                    reference_format,
                },
        } => {
            let app = open(&db, None).await?;
            let org = app::admin::add_org(
                &app,
                &Actor::System,
                NewOrg {
                    slug: &slug,
                    name: &name,
                    parent: parent.as_deref(),
                    reference_format: reference_format.as_deref(),
                },
            )
            .await
            .map_err(explain)?;
            println!("Added organisation {} ({}).", org.name, org.slug);
            app.db.close().await;
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    email,
                    name,
                    org,
                    role,
                    password,
                },
        } => {
            let app = open(&db, None).await?;
            let (user, created) = app::admin::add_user(
                &app,
                &Actor::System,
                NewUser {
                    email: &email,
                    name: &name,
                    org: &org,
                    role: &role,
                    password: &password,
                },
            )
            .await
            .map_err(explain)?;
            if created {
                println!(
                    "Added user {} <{}> as {role} in {org}.",
                    user.name, user.email
                );
            } else {
                println!(
                    "{} already had an account; granted {role} in {org}.",
                    user.email
                );
            }
            app.db.close().await;
            Ok(())
        }
        Command::Process {
            command: ProcessCommand::Validate { file },
        } => match validate_template(&file) {
            Ok(summary) => {
                println!("{summary}");
                Ok(())
            }
            Err(problems) => {
                eprintln!("{problems}");
                anyhow::bail!("{} is not a valid process template", file.display())
            }
        },
        Command::Ranking {
            command: RankingCommand::Fit { votes, alpha },
        } => {
            print!("{}", ranking_cli::fit_file(&votes, alpha)?);
            Ok(())
        }
        Command::Ranking {
            command:
                RankingCommand::Simulate {
                    ideas,
                    votes,
                    spread,
                    selector,
                    seed,
                    alpha,
                    points,
                },
        } => {
            print!(
                "{}",
                ranking_cli::simulate(ideas, votes, spread, &selector, seed, alpha, points)?
            );
            Ok(())
        }
        Command::PersonalData {
            command: PersonalDataCommand::Export { db, email },
        } => {
            let app = open(&db, None).await?;
            let data = app::personal_data::export(&app, &email)
                .await
                .map_err(explain)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&data).context("Failed to write JSON")?
            );
            app.db.close().await;
            Ok(())
        }
        Command::PersonalData {
            command: PersonalDataCommand::Erase { db, email },
        } => {
            let app = open(&db, None).await?;
            let n = app::personal_data::erase(&app, &Actor::System, &email)
                .await
                .map_err(explain)?;
            println!("Erased the contact details from {n} submission(s).");
            app.db.close().await;
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    db,
                    email,
                    expires_in_days,
                },
        } => {
            let app = open(&db, None).await?;
            let token = app::auth::create_api_token_for(&app, &email, expires_in_days)
                .await
                .map_err(explain)?;
            println!(
                "API token for {email}, valid for {expires_in_days} days (shown once; send it as 'Authorization: Bearer TOKEN'):"
            );
            println!("{token}");
            app.db.close().await;
            Ok(())
        }
        Command::Token {
            command: TokenCommand::List { db, email },
        } => {
            let app = open(&db, None).await?;
            let (user, tokens) = app::accounts::tokens_by_email(&app, &email)
                .await
                .map_err(explain)?;
            print!("{}", token_table(&user, &tokens));
            app.db.close().await;
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Revoke { db, id },
        } => {
            let app = open(&db, None).await?;
            let token = match app::accounts::revoke_token(
                &app,
                app::accounts::Administrator::Operator,
                &id,
            )
            .await
            {
                Ok(t) => t,
                Err(AppError::NotFound) => anyhow::bail!("no API token has the id {id}"),
                Err(e) => return Err(explain(e)),
            };
            println!("Revoked the API token {}.", token.id);
            app.db.close().await;
            Ok(())
        }
        Command::User {
            command: UserCommand::Deactivate { db, email },
        } => {
            let app = open(&db, None).await?;
            let d = app::accounts::deactivate_by_email(&app, &email)
                .await
                .map_err(explain)?;
            println!(
                "{} <{}> is deactivated{}: {} session(s) ended, {} API token(s) revoked.",
                d.user.name,
                d.user.email,
                if d.changed { "" } else { " (already was)" },
                d.sessions_ended,
                d.tokens_revoked
            );
            app.db.close().await;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_command_serves_with_the_documented_defaults() {
        // The environment may set these; the defaults are what a fresh machine gets.
        for var in ["SLUSS_DATABASE_URL", "SLUSS_BIND", "SLUSS_PUBLIC_URL"] {
            assert!(
                std::env::var(var).is_err(),
                "{var} is set in the test environment"
            );
        }
        assert!(Cli::try_parse_from(["sluss"]).unwrap().command.is_none());
        match Cli::try_parse_from(["sluss", "serve"]).unwrap().command {
            Some(Command::Serve {
                db,
                bind,
                demo,
                public_write_limit,
                sign_in_limit,
                ..
            }) => {
                assert_eq!(db.database_url, "sqlite://./data/sluss.db");
                assert_eq!(bind, "127.0.0.1:8080");
                assert!(!demo);
                assert_eq!((public_write_limit, sign_in_limit), (20, 100));
            }
            _ => panic!("serve expected"),
        }
    }

    /// `serve --help` says what each limit covers: sign-ins have their own limit, and
    /// workshop joins theirs.
    #[test]
    fn serve_help_names_what_each_limit_covers() {
        use clap::CommandFactory;
        let mut cli = Cli::command();
        let serve = cli.find_subcommand_mut("serve").expect("serve");
        let help = serve.render_long_help().to_string();
        let line_of = |flag: &str| {
            let start = help
                .find(flag)
                .unwrap_or_else(|| panic!("{flag} in {help}"));
            let end = help[start..]
                .find("\n      --")
                .map_or(help.len(), |e| start + e);
            help[start..end].to_lowercase()
        };
        let public = line_of("--public-write-limit");
        assert!(!public.contains("sign-in"), "{public}");
        assert!(public.contains("submissions"), "{public}");
        assert!(line_of("--sign-in-limit").contains("sign-in"));
        let join = line_of("--join-limit");
        assert!(
            join.contains("join") && join.contains("[default: 300]"),
            "{join}"
        );
    }

    #[test]
    fn commands_parse_as_documented() {
        let ok = |args: &[&str]| {
            Cli::try_parse_from(args)
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        ok(&[
            "sluss",
            "serve",
            "--database-url",
            "postgres://u@h/db",
            "--bind",
            "0.0.0.0:80",
            "--demo",
        ])
        .unwrap();
        ok(&["sluss", "migrate"]).unwrap();
        let version = Cli::try_parse_from(["sluss", "--version"])
            .err()
            .expect("--version prints the version");
        assert_eq!(version.kind(), clap::error::ErrorKind::DisplayVersion);
        assert!(
            version.to_string().contains(env!("CARGO_PKG_VERSION")),
            "{version}"
        );
        ok(&["sluss", "migrate", "--status"]).unwrap();
        ok(&["sluss", "backup", "--out", "copy.db"]).unwrap();
        assert!(ok(&["sluss", "backup"]).is_err(), "--out is required");
        ok(&[
            "sluss",
            "move",
            "--from",
            "sqlite://a.db",
            "--to",
            "postgres://u@h/db",
        ])
        .unwrap();
        ok(&["sluss", "demo"]).unwrap();
        ok(&[
            "sluss", "org", "add", "--slug", "r", "--name", "R", "--parent", "p",
        ])
        .unwrap();
        ok(&[
            "sluss",
            "user",
            "add",
            "--email",
            "e@x.se",
            "--name",
            "N",
            "--org",
            "r",
            "--role",
            "advisor",
            "--password",
            "p",
        ])
        .unwrap();
        ok(&["sluss", "token", "create", "--email", "e@x.se"]).unwrap();
        ok(&[
            "sluss",
            "token",
            "create",
            "--email",
            "e@x.se",
            "--expires-in-days",
            "30",
        ])
        .unwrap();
        assert!(
            ok(&[
                "sluss",
                "token",
                "create",
                "--email",
                "e@x.se",
                "--expires-in-days",
                "0"
            ])
            .is_err()
        );
        ok(&["sluss", "token", "list", "--email", "e@x.se"]).unwrap();
        ok(&["sluss", "token", "revoke", "0192f0c1"]).unwrap();
        ok(&["sluss", "user", "deactivate", "--email", "e@x.se"]).unwrap();
        ok(&["sluss", "personal-data", "export", "--email", "e@x.se"]).unwrap();
        ok(&["sluss", "personal-data", "erase", "--email", "e@x.se"]).unwrap();
        ok(&["sluss", "process", "validate", "x.toml"]).unwrap();
        assert!(
            ok(&["sluss", "org", "add", "--slug", "r"]).is_err(),
            "--name is required"
        );
    }

    #[test]
    fn process_validate_names_file_line_and_field() {
        let dir = std::env::temp_dir().join(format!("sluss-validate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in domain::process::BUILT_IN {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            let summary = validate_template(&path).unwrap();
            assert!(
                summary.contains("valid") && summary.contains("phases"),
                "{summary}"
            );
        }
        let broken = dir.join("broken.toml");
        let text = domain::process::BUILT_IN[0].1.replacen(
            "role = \"decision_maker\"",
            "role = \"chief\"",
            1,
        );
        std::fs::write(&broken, &text).unwrap();
        let problems = validate_template(&broken).unwrap_err();
        let line = text.lines().position(|l| l.contains("\"chief\"")).unwrap() + 1;
        assert!(
            problems.starts_with(&format!(
                "{}:{line}:8: phases[1].gate.role: is not a role",
                broken.display()
            )),
            "{problems}"
        );
        assert!(
            validate_template(&dir.join("missing.toml"))
                .unwrap_err()
                .contains("cannot read")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
