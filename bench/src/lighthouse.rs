//! Lighthouse (mobile) on the home page, the intake form and a vote page, a table row
//! each.

use std::process::Command;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::table::{Table, against};

/// Lighthouse (mobile profile, Debian's Chromium) on the home page, the intake form and a
/// participant's vote page: one row each, performance against ≥ 95 and accessibility 100.
pub fn lighthouse(base: &str, code: &str, cookie: &str, table: &mut Table) -> Result<()> {
    let out = Command::new("node")
        .args([
            "bench/lighthouse/run.mjs",
            base,
            &format!("/workshop/{code}"),
            cookie,
        ])
        .output()
        .context("running node bench/lighthouse/run.mjs")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "Lighthouse failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line)?;
        let perf = v["performance"].as_f64().context("performance score")?;
        let a11y = v["accessibility"].as_f64().context("accessibility score")?;
        let failures = v["accessibility_failures"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        table.row(
            "browser",
            &format!(
                "Lighthouse, mobile: {}",
                v["page"].as_str().unwrap_or_default()
            ),
            [
                format!("performance {perf:.0}, accessibility {a11y:.0}"),
                format!("FCP {} ms", v["fcp_ms"]),
                format!("LCP {} ms, TBT {} ms", v["lcp_ms"], v["tbt_ms"]),
                if failures.is_empty() {
                    "0".into()
                } else {
                    failures
                },
            ],
            against(
                "performance ≥ 95, accessibility 100",
                perf / 95.0,
                Some(perf >= 95.0 && a11y >= 100.0),
            ),
        );
    }
    Ok(())
}
