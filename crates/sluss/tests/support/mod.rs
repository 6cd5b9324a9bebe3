//! What the command-line tests share: running `sluss` and a fresh database per test.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use sqlx::Connection;

pub const BIN: &str = env!("CARGO_BIN_EXE_sluss");

/// Runs a `sluss` command on `db`; panics with its stderr when it fails.
pub fn cli(db: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--database-url", db]);
    run(&all)
}

/// Runs a `sluss` command; panics with its stderr when it fails.
pub fn run(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sluss");
    assert!(
        out.status.success(),
        "sluss {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// A fresh database named after `prefix` and this process: a SQLite file, or a PostgreSQL
/// database made from TEST_DATABASE_URL (None when that is unset, which CI does not allow).
pub async fn fresh_database(prefix: &str, backend: &str) -> Option<String> {
    let name = format!("sluss_{prefix}_{}", std::process::id());
    if backend == "sqlite" {
        let dir = std::env::temp_dir().join(&name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        return Some(format!("sqlite://{}/{prefix}.db", dir.display()));
    }
    let admin = match std::env::var("TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "TEST_DATABASE_URL must be set under CI: the PostgreSQL half may not be skipped"
            );
            eprintln!("TEST_DATABASE_URL is not set: skipping the PostgreSQL half of {prefix}");
            return None;
        }
    };
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect");
    // Databases of earlier runs whose process is gone (a run that stopped halfway, or one
    // that kept its database to be looked at) are dropped, so the server does not fill up.
    let earlier: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE $1")
            .bind(format!("sluss\\_{prefix}\\_%"))
            .fetch_all(&mut conn)
            .await
            .expect("list databases");
    for (old,) in earlier {
        let pid = old.rsplit('_').next().unwrap_or_default();
        if old != name && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {old} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .expect("drop an earlier run's database");
        }
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut conn)
    .await
    .expect("drop");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create");
    let base = admin.split('?').next().unwrap_or(&admin);
    let cut = base.rfind('/').expect("a database name");
    Some(format!("{}/{name}", &base[..cut]))
}

/// Starts `sluss serve` on `db` on a free port with `extra` flags; returns the process and
/// its address once it listens.
pub fn serve(db: &str, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", db])
        .args(extra)
        .env("RUST_LOG", "warn,sluss=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sluss serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("sluss stopped before it listened")
            .expect("read log");
        if let Some(i) = line.find("listening on http://") {
            let rest = &line[i + "listening on ".len()..];
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, base)
}

/// Stops a server started by [`serve`] as systemd would (SIGTERM) and waits for it.
pub fn stop(mut child: Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "SIGTERM could not be sent");
    let status = child.wait().expect("wait for sluss");
    assert!(status.success(), "sluss did not stop cleanly: {status}");
}
