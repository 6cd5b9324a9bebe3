//! The databases of a run: rows counted on either backend, the loader's large open
//! question, and a fresh PostgreSQL database for each run, dropped at its end.

use anyhow::{Context, Result};

pub async fn count_votes(url: &str) -> Result<i64> {
    count_rows(url, "votes").await
}

/// The code of the loader's large open question, its ideas and its votes.
pub async fn scale_campaign(url: &str) -> Result<(String, i64, i64)> {
    let db = store::Db::connect(url).await?;
    let mut tx = db.read().await?;
    let row: (String, i64, i64) = tx
        .fetch_one(
            store::sql(
                "SELECT c.code, (SELECT COUNT(*) FROM ideas i WHERE i.campaign_id = c.id),
                        (SELECT COUNT(*) FROM pair_offers o WHERE o.campaign_id = c.id AND o.voted_at IS NOT NULL)
                 FROM campaigns c WHERE c.title = ?",
            )
            .bind(app::scale::SCALE_CAMPAIGN),
        )
        .await?;
    drop(tx);
    db.close().await;
    Ok(row)
}

pub async fn count_rows(url: &str, table: &'static str) -> Result<i64> {
    let db = store::Db::connect(url).await?;
    let mut tx = db.read().await?;
    let (n,): (i64,) = tx
        .fetch_one(store::sql(match table {
            "votes" => "SELECT COUNT(*) FROM pair_offers WHERE voted_at IS NOT NULL",
            "cases" => "SELECT COUNT(*) FROM cases",
            "events" => "SELECT COUNT(*) FROM events",
            _ => "SELECT COUNT(*) FROM submissions",
        }))
        .await?;
    drop(tx);
    db.close().await;
    Ok(n)
}

pub async fn fresh_postgres(admin: &str) -> Result<String> {
    use sqlx::Connection;
    let name = format!("sluss_harness_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    // A run's database (some 200 MB) is dropped when it ends; one left by a run that was
    // stopped (its process is gone) is dropped here.
    let earlier: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'sluss\\_harness\\_%'")
            .fetch_all(&mut conn)
            .await?;
    for (old,) in earlier {
        let pid = old.rsplit('_').next().unwrap_or_default();
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            drop_postgres(admin, &old).await?;
        }
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut conn)
    .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    let base = admin.split('?').next().unwrap_or(admin);
    let cut = base.rfind('/').context("a database name in the URL")?;
    Ok(format!("{}/{name}", &base[..cut]))
}

/// Drops a database of the harness, whoever is still connected to it.
pub async fn drop_postgres(admin: &str, name: &str) -> Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await?;
    Ok(())
}
