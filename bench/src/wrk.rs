//! Load by wrk: running it with a Lua script and reading its report, the scripts of the
//! scenarios (GET, headers, intake, the staff inbox), and wrk's figures for the table.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::table::ms;

/// What wrk measured.
pub struct Wrk {
    pub rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    pub errors: u64,
}

fn wrk_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, factor) = if let Some(v) = s.strip_suffix("us") {
        (v, 0.001)
    } else if let Some(v) = s.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = s.strip_suffix('s') {
        (v, 1000.0)
    } else {
        (s, 1.0)
    };
    num.parse::<f64>().ok().map(|x| x * factor)
}

/// Runs wrk (2 threads) with a Lua script for `seconds` and reads its report.
pub fn wrk(url: &str, connections: usize, seconds: u64, script: &str) -> Result<Wrk> {
    let dir = std::env::temp_dir().join(format!("sluss-harness-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let lua = dir.join("scenario.lua");
    std::fs::write(&lua, script)?;
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(&lua)
        .arg(url)
        .output()
        .context("wrk is needed (Debian's package wrk; bench/run installs it)")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut w = Wrk {
        rps: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        errors: 0,
    };
    for line in text.lines() {
        let t = line.trim();
        let mut parts = t.split_whitespace();
        match parts.next() {
            Some("Requests/sec:") => {
                w.rps = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0)
            }
            Some("50%") => w.p50_ms = parts.next().and_then(wrk_ms).unwrap_or(0.0),
            Some("99%") => w.p99_ms = parts.next().and_then(wrk_ms).unwrap_or(0.0),
            Some("Non-2xx") => {
                w.errors += t
                    .rsplit(' ')
                    .next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            }
            Some("Socket") => {
                w.errors += t
                    .split(|c: char| !c.is_ascii_digit())
                    .filter_map(|v| v.parse::<u64>().ok())
                    .sum::<u64>()
            }
            _ => {}
        }
    }
    Ok(w)
}

pub fn wrk_figures(w: &Wrk) -> [String; 4] {
    [
        format!("{:.0}/s", w.rps),
        ms(w.p50_ms),
        ms(w.p99_ms),
        w.errors.to_string(),
    ]
}

pub const GET: &str = "wrk.method = \"GET\"\n";

pub fn headers_script(headers: &[(&str, &str)]) -> String {
    let mut s = String::from(GET);
    for (k, v) in headers {
        s.push_str(&format!("wrk.headers[\"{k}\"] = \"{v}\"\n"));
    }
    s
}

/// Intake: every request a new submission, half to the region and half to its unit.
pub const INTAKE: &str = r#"
local n = 0
request = function()
  n = n + 1
  local org = (n % 2 == 0) and "region-bench" or "unit-bench"
  local body = string.format('{"kind":"need","title":"Behov %d under last","description":"Patienter står i kö vid receptionen varje morgon.","submitter_role":"citizen","organisation":"%s"}', n, org)
  return wrk.format("POST", "/api/v1/submissions", {["Content-Type"] = "application/json"}, body)
end
"#;

/// The staff inbox: pages and filters over everything written.
pub fn inbox_script(token: &str) -> String {
    format!(
        r#"
local n = 0
local paths = {{"/api/v1/submissions", "/api/v1/submissions?status=new", "/api/v1/submissions?kind=idea&page=3", "/api/v1/submissions?q=receptionen", "/api/v1/submissions?submitter_role=citizen&page=7"}}
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], {{["Authorization"] = "Bearer {token}"}})
end
"#
    )
}
