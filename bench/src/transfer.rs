//! `sluss move` of the SQLite run's database into a fresh PostgreSQL database, beside its
//! floor: PostgreSQL writing the same rows into tables like them (same indexes, same
//! write-ahead log) from inside itself, with no client, protocol or SQLite in the way.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// What a move took, and what the same rows take PostgreSQL alone.
pub struct Figures {
    pub rows: u64,
    pub tables: usize,
    pub seconds: f64,
    pub floor_seconds: f64,
}

pub async fn measure(bin: &str, sqlite: &str, admin: &str) -> Result<Figures> {
    // The database limit's scratch table is the benchmark's, not Sluss's: `sluss move`
    // refuses a source with a table its schema does not have.
    let source = store::Db::connect_existing(sqlite).await?;
    let mut tx = source.write().await?;
    tx.execute(store::sql("DROP TABLE IF EXISTS bench_limit"))
        .await?;
    tx.commit().await?;
    source.close().await;
    let target = super::fresh_postgres(admin).await?;
    let name = target.rsplit('/').next().unwrap_or_default().to_string();
    let result = move_and_floor(bin, sqlite, &target).await;
    super::drop_postgres(admin, &name).await?;
    result
}

async fn move_and_floor(bin: &str, sqlite: &str, target: &str) -> Result<Figures> {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(["move", "--from", sqlite, "--to", target])
        .env("RUST_LOG", "warn")
        .output()
        .with_context(|| format!("Failed to run {bin}"))?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "sluss move failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // "  table        123 rows  checksum"
    let said = String::from_utf8_lossy(&out.stdout);
    let moved: Vec<(String, u64)> = said
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let (table, rows, unit) = (words.next()?, words.next()?, words.next()?);
            (unit == "rows").then(|| Some((table.to_string(), rows.parse().ok()?)))?
        })
        .collect();
    if moved.is_empty() {
        bail!("sluss move printed no tables: {said}");
    }

    let db = store::Db::connect(target).await?;
    let mut tx = db.write().await?;
    let floor = Instant::now();
    for (table, _) in &moved {
        tx.execute(store::Sql::dynamic(
            format!("CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)"),
            vec![],
        ))
        .await?;
        tx.execute(store::Sql::dynamic(
            format!("INSERT INTO floor_{table} SELECT * FROM {table}"),
            vec![],
        ))
        .await?;
    }
    tx.commit().await?;
    let floor_seconds = floor.elapsed().as_secs_f64();
    db.close().await;
    Ok(Figures {
        rows: moved.iter().map(|(_, n)| n).sum(),
        tables: moved.len(),
        seconds,
        floor_seconds,
    })
}
