//! The `sluss` command: serve the site, apply migrations, load demo data and administer
//! organisations, users and API tokens.

mod admin;
mod cli;
mod common;
mod demo;
mod operate;
mod personal_data;
mod process;
mod progress;
mod ranking_cli;
mod serve;
mod setup;

use anyhow::{Context, Result};
use clap::Parser;

use cli::{Cli, Command, RankingCommand};
use common::open;
use setup::{init_logging, limit_malloc_arenas};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    init_logging();
    app::oidc::install_tls();
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
            org_name,
            logo,
            accessibility_contact,
            attachment_max_mb,
            mail,
            sign_in,
        } => {
            serve::run(
                db,
                attachment_max_mb,
                mail,
                sign_in,
                bind,
                public_url,
                demo,
                public_write_limit,
                sign_in_limit,
                join_limit,
                join_code_miss_limit,
                live_stream_limit,
                behind_proxy,
                serve::Branding {
                    org_name,
                    logo,
                    accessibility_contact,
                },
            )
            .await
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
        Command::Demo { db, scale } => demo::run(db, scale).await,
        Command::Org { command } => admin::org(command).await,
        Command::User { command } => admin::user(command).await,
        Command::Process { command } => process::run(command),
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
        Command::PersonalData { command } => personal_data::run(command).await,
        Command::Token { command } => admin::token(command).await,
    }
}
