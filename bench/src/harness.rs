//! `bench/run`: Sluss under load on SQLite and (given a URL) PostgreSQL, every figure beside
//! the limit it is measured against in the same run on the same machine:
//! - the HTTP limit: `/livez`, a route of the same binary touching neither database nor
//!   template, under the same load generator (wrk);
//! - the database limit: one-row INSERT transactions per second through the same driver and
//!   pool settings (`store::Db`), on the same database, at the same concurrency.
//!
//! Prints one markdown table on stdout; progress goes to stderr.

use anyhow::{Context, Result, bail};

mod common;
mod databases;
mod db_limit;
mod lighthouse;
mod live;
mod scenarios;
mod table;
mod transfer;
mod vote_loop;
mod wrk;
use common::sluss_bin;
use databases::{drop_postgres, fresh_postgres};
use scenarios::{move_to_postgres, one_backend};
use table::Table;

struct Options {
    quick: bool,
    postgres: Option<String>,
    /// Skip SQLite (for working on the PostgreSQL figures).
    postgres_only: bool,
    /// Only the database limit and the vote loop (for working on the vote path).
    votes_only: bool,
    /// Only `sluss move` of the data at scale into PostgreSQL.
    move_only: bool,
}

struct Sizes {
    seconds: u64,
    /// `sluss demo --scale` preset loaded before the run.
    scale: &'static str,
    ideas: usize,
    connections: usize,
    listeners: usize,
    /// Only the database limit and the vote loop (and two nodes on PostgreSQL).
    votes_only: bool,
}

fn options() -> Result<Options> {
    let mut o = Options {
        quick: false,
        postgres: None,
        postgres_only: false,
        votes_only: false,
        move_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--postgres-only" => o.postgres_only = true,
            "--votes-only" => o.votes_only = true,
            "--move-only" => o.move_only = true,
            "--database-url" => {
                o.postgres = Some(args.next().context("--database-url needs a value")?)
            }
            other => {
                bail!(
                    "unknown argument {other} (expected --quick, --database-url postgres://…, --postgres-only, --votes-only, --move-only)"
                )
            }
        }
    }
    Ok(o)
}

#[tokio::main]
async fn main() -> Result<()> {
    // reqwest has TLS through rustls with ring, which must be the process's provider.
    app::oidc::install_tls();
    let o = options()?;
    let sizes = if o.quick {
        Sizes {
            seconds: 4,
            scale: "medium",
            ideas: 100,
            connections: 64,
            listeners: 900,
            votes_only: o.votes_only,
        }
    } else {
        Sizes {
            seconds: 15,
            scale: "large",
            ideas: 300,
            connections: 64,
            listeners: 900,
            votes_only: o.votes_only,
        }
    };
    let mut table = Table::default();
    let dir = std::env::temp_dir().join(format!("sluss-harness-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = format!("sqlite://{}/bench.db", dir.display());
    if o.move_only {
        let admin = o
            .postgres
            .as_deref()
            .context("--move-only needs --database-url postgres://…")?;
        eprintln!("bench: SQLite: sluss demo --scale {}", sizes.scale);
        common::run(&sluss_bin(), &sqlite, &["demo", "--scale", sizes.scale])?;
        move_to_postgres(&sqlite, admin, &mut table).await?;
    } else if !o.postgres_only {
        one_backend("SQLite", &sqlite, &sizes, &mut table).await?;
    }
    if let (Some(admin), false) = (&o.postgres, o.postgres_only || o.votes_only || o.move_only) {
        move_to_postgres(&sqlite, admin, &mut table).await?;
    }
    if let (Some(admin), false) = (&o.postgres, o.move_only) {
        let url = fresh_postgres(admin).await?;
        let run = one_backend("PostgreSQL", &url, &sizes, &mut table).await;
        let name = url.rsplit('/').next().unwrap_or_default().to_string();
        drop_postgres(admin, &name).await?;
        run?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "Sluss under load — {} run, {cpus} cores, wrk -t2, figures beside limits measured in the same run.\n",
        if o.quick { "quick" } else { "full" }
    );
    println!("| backend | scenario | throughput | p50 | p99 | errors | limit | ratio | target |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &table.rows {
        println!("| {} |", r.join(" | "));
    }
    println!(
        "\nratio: the figure ÷ its limit, both measured in this run (throughput against throughput, memory and delay against their bounds)."
    );
    if table.missed > 0 {
        println!("{} target(s) missed.", table.missed);
    }
    Ok(())
}
