//! The command line: the clap types of every command and flag (their doc comments are the
//! help texts), and the tests that they parse as documented.

use clap::{Args, Parser, Subcommand};

use crate::ranking_cli;

#[derive(Parser)]
#[command(
    name = "sluss",
    version,
    about = "Sluss – an innovation pipeline for the public sector"
)]
pub struct Cli {
    /// Without a command, `sluss` serves with the defaults (like `sluss serve`).
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Clone)]
pub struct DbArgs {
    /// sqlite://PATH or postgres://USER@HOST/DB
    #[arg(
        long,
        env = "SLUSS_DATABASE_URL",
        default_value = "sqlite://./data/sluss.db"
    )]
    pub database_url: String,
    /// Where attachments are kept (a directory; made when missing). Default: `bilagor`
    /// beside the SQLite file, or ./data/bilagor with PostgreSQL.
    #[arg(long, env = "SLUSS_ATTACHMENT_DIR")]
    pub attachment_dir: Option<std::path::PathBuf>,
}

/// Where mail goes. Without `--smtp-url` mail waits in the outbox (readable by a region's
/// administrators at /admin/utkorg) and is sent once a server is configured.
#[derive(Args, Clone, Default)]
pub struct MailArgs {
    /// SMTP server: smtp://HOST:PORT (unencrypted, for a relay on the same host),
    /// smtp://USER:PASSWORD@HOST:587?tls=required (STARTTLS) or smtps://USER:PASSWORD@HOST:465
    /// (TLS from the start); user and password URL-encoded.
    #[arg(long, env = "SLUSS_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of Sluss's mail, e.g. "Sluss <sluss@region.se>"; required with --smtp-url.
    #[arg(long, env = "SLUSS_MAIL_FROM")]
    pub mail_from: Option<String>,
}

/// How staff sign in: through the organisation's identity provider (OpenID Connect, when
/// `--oidc-issuer` is given), with a password kept by Sluss, or both.
#[derive(Args, Clone)]
pub struct SignInArgs {
    /// The identity provider's issuer URL, e.g. https://login.region.se/realms/sluss; its
    /// discovery document is read from {issuer}/.well-known/openid-configuration. Register
    /// {public-url}/logga-in/oidc/klar as the client's redirect URI.
    #[arg(long, env = "SLUSS_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// The client id Sluss has at the identity provider.
    #[arg(long, env = "SLUSS_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// The client secret; give it in the environment (SLUSS_OIDC_CLIENT_SECRET), not on the
    /// command line, where other users of the machine can read it. Never logged.
    #[arg(long, env = "SLUSS_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// The identity provider's name on the sign-in button ("Logga in med {name}"), e.g.
    /// "Region Skånes inloggning".
    #[arg(
        long,
        env = "SLUSS_OIDC_NAME",
        default_value = "organisationens inloggning"
    )]
    pub oidc_name: String,
    /// The ID token's claim holding the e-mail address.
    #[arg(long, env = "SLUSS_OIDC_EMAIL_CLAIM", default_value = "email")]
    pub oidc_email_claim: String,
    /// The ID token's claim holding the person's groups (a list of strings).
    #[arg(long, env = "SLUSS_OIDC_GROUPS_CLAIM", default_value = "groups")]
    pub oidc_groups_claim: String,
    /// A TOML file mapping a group to a role in an organisation: entries
    /// `[[map]] group = "sluss-handlaggare" org = "region-skane" role = "advisor"` (org by
    /// slug or id). A person none of whose groups is mapped is not let in.
    #[arg(long, env = "SLUSS_OIDC_ROLE_MAP")]
    pub oidc_role_map: Option<std::path::PathBuf>,
    /// Whether people may sign in with a password kept by Sluss. Off: the password form,
    /// reset and change are hidden and refused (the `user` command still adds accounts).
    #[arg(long, env = "SLUSS_LOCAL_PASSWORDS", default_value = "on", value_parser = ["on", "off"])]
    pub local_passwords: String,
}

// Parsed once at start: the size of the serve variant's flags costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
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
        /// The organisation's name, shown in the header and in every page title.
        #[arg(long, env = "SLUSS_ORG_NAME", default_value = "Sluss")]
        org_name: String,
        /// The organisation's logo: an SVG or PNG file, read at start and shown in the header.
        #[arg(long, env = "SLUSS_LOGO")]
        logo: Option<std::path::PathBuf>,
        /// Where people report accessibility problems (an e-mail address, a web address or a
        /// few words), shown on the accessibility statement (/tillganglighet). An e-mail
        /// address also gets the reports of the statement's form, through the outbox.
        #[arg(long, env = "SLUSS_ACCESSIBILITY_CONTACT")]
        accessibility_contact: Option<String>,
        /// The largest attachment, in MB (a submission takes up to 3 files).
        #[arg(long, env = "SLUSS_ATTACHMENT_MAX_MB", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1024))]
        attachment_max_mb: u64,
        #[command(flatten)]
        mail: MailArgs,
        #[command(flatten)]
        sign_in: SignInArgs,
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
pub enum RankingCommand {
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
pub enum ProcessCommand {
    /// Check a template file; prints every problem with its line and field, exits non-zero on any.
    Validate { file: std::path::PathBuf },
}

#[derive(Subcommand)]
pub enum PersonalDataCommand {
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
pub enum OrgCommand {
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
pub enum UserCommand {
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
pub enum TokenCommand {
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
}
