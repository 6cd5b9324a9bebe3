//! What a region's IT department runs besides `serve`: backups, the move from SQLite to
//! PostgreSQL, and the state of the migrations. None of these applies a migration: a
//! backup or a move must leave its source as it found it.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use store::Db;

use crate::progress::progress_bar;

async fn open_existing(url: &str) -> Result<Db> {
    Db::connect_existing(url)
        .await
        .with_context(|| format!("Failed to open {}", store::db::redact(url)))
}

/// `sluss backup --out FILE`: a checked copy of a SQLite database, also while it serves.
pub async fn backup(database_url: &str, out: &Path) -> Result<String> {
    let db = open_existing(database_url).await?;
    let started = Instant::now();
    let done = store::backup::sqlite_copy(&db, out).await;
    db.close().await;
    let done = done.context("The backup was not written")?;
    Ok(format!(
        "Backed up {} to {} ({:.1} MiB, checked, in {:.1} s).\n\
         To restore: stop Sluss, put the copy in the database's place, start Sluss.",
        store::db::redact(database_url),
        done.path.display(),
        done.bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    ))
}

/// `sluss migrate --status`: every migration, applied (when) or pending.
pub async fn migration_status(database_url: &str) -> Result<String> {
    let db = open_existing(database_url).await?;
    let status = store::migrate::status(&db).await;
    db.close().await;
    let status = status.context("Failed to read the migrations")?;
    let mut out = format!(
        "Database {} (this sluss knows migrations up to {}):\n",
        store::db::redact(database_url),
        store::migrate::latest()
    );
    let mut pending = 0;
    for m in &status {
        let state = match (&m.applied_at, m.known) {
            (Some(at), true) if m.changed => {
                format!("applied {at}, but its text has changed since: sluss will not start")
            }
            (Some(at), true) => format!("applied {at}"),
            (Some(at), false) => format!("applied {at} by a newer sluss"),
            (None, _) => {
                pending += 1;
                "pending".to_string()
            }
        };
        out.push_str(&format!("  {:>3}  {:<28} {state}\n", m.version, m.name));
    }
    out.push_str(&match pending {
        0 => "Nothing is pending.".to_string(),
        n => format!("{n} pending: `sluss migrate` (or `sluss serve`) applies them."),
    });
    Ok(out)
}

/// `sluss move --from sqlite://… --to postgres://…`.
pub async fn move_database(from: &str, to: &str) -> Result<String> {
    let source = open_existing(from).await?;
    let target = Db::connect(to)
        .await
        .with_context(|| format!("Failed to open {}", store::db::redact(to)))?;
    let started = Instant::now();
    eprintln!(
        "Moving {} to {}. Stop Sluss on the source first: what it writes during the move is not moved.",
        store::db::redact(from),
        store::db::redact(to)
    );
    let bar = progress_bar();
    let moved = store::transfer::sqlite_to_postgres(&source, &target, &bar).await;
    source.close().await;
    target.close().await;
    let moved = moved.context("The move failed")?;
    let rows: u64 = moved.iter().map(|m| m.rows).sum();
    let mut out = format!(
        "Moved {rows} rows in {} tables in {:.1} s; each table's row count and checksum agree on both sides:\n",
        moved.len(),
        started.elapsed().as_secs_f64()
    );
    for m in &moved {
        out.push_str(&format!(
            "  {:<24} {:>10} rows  {}\n",
            m.table, m.rows, m.checksum
        ));
    }
    out.push_str(&format!(
        "Serve from it with: sluss serve --database-url {}",
        store::db::redact(to)
    ));
    Ok(out)
}
