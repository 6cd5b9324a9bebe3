//! What the benchmark binaries share: starting `sluss`, running its commands, reading its
//! memory, and a closed-loop load of requests. Each binary uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

pub fn sluss_bin() -> String {
    std::env::var("SLUSS_BIN").unwrap_or_else(|_| {
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
        format!("{target}/release/sluss")
    })
}

pub fn run(bin: &str, db: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .args(args)
        .arg("--database-url")
        .arg(db)
        .env("RUST_LOG", "warn")
        .output()
        .with_context(|| format!("Failed to run {bin}"))?;
    if !out.status.success() {
        bail!(
            "sluss {:?} failed: {}",
            args,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}

/// Starts `sluss serve` and returns it with its address.
/// A started server, stopped when this goes out of scope unless it has ended already: a
/// run that fails half-way leaves no server running.
pub struct Running(Child);

impl std::ops::Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

pub fn serve(bin: &str, db: &str) -> Result<(Running, String)> {
    let mut child = Running(
        Command::new(bin)
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--public-write-limit",
                "100000000",
                "--join-limit",
                "100000000",
                "--live-stream-limit",
                "100000000",
                "--database-url",
                db,
            ])
            // The address is read from the log: `sluss=info` stays whatever else is asked for.
            .env(
                "RUST_LOG",
                std::env::var("BENCH_SERVER_RUST_LOG")
                    .map(|l| format!("{l},sluss=info"))
                    .unwrap_or_else(|_| "warn,sluss=info".into()),
            )
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("Failed to start sluss serve")?,
    );
    let stderr = child.stderr.take().context("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let base = loop {
        let line = lines.next().context("sluss stopped before it listened")??;
        if let Some(i) = line.find("listening on http://") {
            let rest = &line[i + "listening on ".len()..];
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
    };
    // Keep draining its log so it never blocks on a full pipe; BENCH_SERVER_LOG names a
    // file to keep it in (with BENCH_SERVER_RUST_LOG to choose what it logs).
    let keep = std::env::var("BENCH_SERVER_LOG").ok().and_then(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
    });
    std::thread::spawn(move || {
        use std::io::Write;
        let mut keep = keep;
        for line in lines.map_while(|l| l.ok()) {
            if let Some(f) = keep.as_mut() {
                let _ = writeln!(f, "{line}");
            }
        }
    });
    Ok((child, base))
}

pub fn memory_kib(pid: u32, field: &str) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .with_context(|| format!("{field} missing"))?;
    Ok(line.split_whitespace().nth(1).context("value")?.parse()?)
}

pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// Runs `total` requests with `concurrency` workers; returns sorted latencies, wall time and results.
pub async fn load<F, Fut>(
    total: usize,
    concurrency: usize,
    make: F,
) -> Result<(Vec<Duration>, Duration, Vec<Value>)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Value>> + Send,
{
    let make = Arc::new(make);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (make, next) = (make.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let v = make(i).await?;
                out.push((t.elapsed(), v));
            }
            Ok::<_, anyhow::Error>(out)
        }));
    }
    let mut lat = Vec::new();
    let mut values = Vec::new();
    for w in workers {
        for (d, v) in w.await?? {
            lat.push(d);
            values.push(v);
        }
    }
    let wall = started.elapsed();
    lat.sort();
    Ok((lat, wall, values))
}

/// A region with a unit, an advisor in the region and an API token for them; returns the token.
pub fn setup(bin: &str, db: &str) -> Result<String> {
    run(
        bin,
        db,
        &[
            "org",
            "add",
            "--slug",
            "region-bench",
            "--name",
            "Region Bench",
        ],
    )?;
    run(
        bin,
        db,
        &[
            "org",
            "add",
            "--slug",
            "unit-bench",
            "--name",
            "Enhet Bench",
            "--parent",
            "region-bench",
        ],
    )?;
    run(
        bin,
        db,
        &[
            "user",
            "add",
            "--email",
            "bench@example.se",
            "--name",
            "Bench",
            "--org",
            "region-bench",
            "--role",
            "advisor",
            "--password",
            "bench-password-123",
        ],
    )?;
    Ok(
        run(bin, db, &["token", "create", "--email", "bench@example.se"])?
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string(),
    )
}
