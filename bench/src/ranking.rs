//! The ranking engine against its bar (issue: workshops and pairwise voting):
//!
//! 1. Speed and agreement: 1,000 ideas, 1,000,000 votes. Our fit (aggregation included) is
//!    timed against `choix.ilsr_pairwise` on the same data on this machine (limit: at least
//!    20 times faster), and its estimates are compared with `choix.opt_pairwise` at the same
//!    prior (limit: 1e-4). choix runs in a virtual environment made from PyPI
//!    (`--python` names its interpreter; `--skip-choix` leaves this part out).
//! 2. Pair choice: 100 ideas, strengths spread with standard deviation 2 and 0.5, over
//!    `--seeds` seeds (default 100): votes until Kendall's τ reaches 0.8 (spread 2; limit:
//!    uniform needs at least 1.5 times as many) and τ along the way (spread 0.5; limit:
//!    adaptive never more than 5 % below uniform), means with 95 % intervals.
//!
//! Prints every figure beside its limit with the ratio (≤ 1.0 is within) and exits non-zero
//! when one is broken.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use domain::ranking::{Comparisons, Rng, Selector, fit, log_checkpoints, sigmoid, simulate};

const ALPHA: f64 = 0.1;

struct Row {
    name: String,
    value: String,
    limit: String,
    ratio: f64,
}

fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, 1.96 * (var / n).sqrt())
}

fn speed_and_agreement(python: &str, rows: &mut Vec<Row>) -> Result<()> {
    let (n, v) = (1000usize, 1_000_000usize);
    let mut rng = Rng::new(2026);
    let truth: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let mut votes = Vec::with_capacity(v);
    while votes.len() < v {
        let (a, b) = (rng.below(n), rng.below(n));
        if a == b {
            continue;
        }
        votes.push(if rng.unit() < sigmoid(truth[a] - truth[b]) {
            (a, b)
        } else {
            (b, a)
        });
    }
    let dir = std::env::temp_dir().join(format!("sluss-ranking-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let csv = dir.join("votes.csv");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv)?);
        writeln!(f, "winner,loser")?;
        for (w, l) in &votes {
            writeln!(f, "{w},{l}")?;
        }
    }
    // Ours: aggregation and fit, best of five.
    let mut best = f64::INFINITY;
    let mut theta = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let c = Comparisons::from_votes(n, &votes);
        let f = fit(&c, ALPHA, None);
        best = best.min(t.elapsed().as_secs_f64());
        theta = f.theta;
    }
    eprintln!(
        "ranking-bench: our fit took {:.3} s; running choix (minutes)",
        best
    );
    let out = dir.join("choix.json");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/choix_fit.py");
    let status = Command::new(python)
        .args([
            script,
            &csv.display().to_string(),
            &n.to_string(),
            &ALPHA.to_string(),
            &out.display().to_string(),
        ])
        .status()
        .with_context(|| {
            format!("running {python} (see bench/README.md for the virtual environment)")
        })?;
    if !status.success() {
        bail!("choix_fit.py failed: {status}");
    }
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out)?)?;
    let ilsr_s = r["ilsr_seconds"].as_f64().context("ilsr_seconds")?;
    let opt: Vec<f64> = r["opt"]
        .as_array()
        .context("opt")?
        .iter()
        .filter_map(|x| x.as_f64())
        .collect();
    let diff = theta
        .iter()
        .zip(&opt)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let speedup = ilsr_s / best;
    rows.push(Row {
        name: "fit 1,000 ideas × 1,000,000 votes".into(),
        value: format!(
            "{:.3} s (choix ilsr {:.1} s, ×{:.0})",
            best, ilsr_s, speedup
        ),
        limit: "≥ 20× faster".into(),
        ratio: 20.0 / speedup,
    });
    rows.push(Row {
        name: "largest difference from opt_pairwise".into(),
        value: format!(
            "{diff:.2e} (choix opt {:.1} s)",
            r["opt_seconds"].as_f64().unwrap_or(0.0)
        ),
        limit: "≤ 1e-4".into(),
        ratio: diff / 1e-4,
    });
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn selectors(seeds: u64, rows: &mut Vec<Row>) {
    let max = 6000;
    let cps = log_checkpoints(100, max, 24);
    // Spread 2: votes until τ ≥ 0.8.
    let to_target = |sel: Selector| -> Vec<f64> {
        (1..=seeds)
            .map(|seed| {
                simulate(100, 2.0, sel, seed, ALPHA, &cps)
                    .iter()
                    .find(|p| p.tau >= 0.8)
                    .map_or(max as f64, |p| p.votes as f64)
            })
            .collect()
    };
    let (u, a) = (to_target(Selector::Uniform), to_target(Selector::Adaptive));
    let ((um, uci), (am, aci)) = (mean_ci(&u), mean_ci(&a));
    let ratios: Vec<f64> = u.iter().zip(&a).map(|(x, y)| x / y).collect();
    let (rm, rci) = mean_ci(&ratios);
    rows.push(Row {
        name: format!("spread 2: votes to τ 0.8 ({seeds} seeds)"),
        value: format!(
            "uniform {um:.0} ± {uci:.0}, adaptive {am:.0} ± {aci:.0}: {:.2}× (per seed {rm:.2} ± {rci:.2})",
            um / am
        ),
        limit: "≥ 1.5×".into(),
        ratio: 1.5 / (um / am),
    });
    // Spread 0.5: τ along the way, adaptive against uniform.
    let curve = |sel: Selector| -> Vec<Vec<f64>> {
        (1..=seeds)
            .map(|seed| {
                simulate(100, 0.5, sel, seed, ALPHA, &cps)
                    .iter()
                    .map(|p| p.tau)
                    .collect()
            })
            .collect()
    };
    let (cu, ca) = (curve(Selector::Uniform), curve(Selector::Adaptive));
    let mut worst = f64::INFINITY;
    let mut worst_at = 0;
    for (k, votes) in cps.iter().enumerate() {
        let mu = cu.iter().map(|c| c[k]).sum::<f64>() / seeds as f64;
        let ma = ca.iter().map(|c| c[k]).sum::<f64>() / seeds as f64;
        if mu > 0.05 && ma / mu < worst {
            worst = ma / mu;
            worst_at = *votes;
        }
    }
    rows.push(Row {
        name: format!("spread 0.5: adaptive τ ÷ uniform τ, worst point ({seeds} seeds)"),
        value: format!("{worst:.3} at {worst_at} votes"),
        limit: "≥ 0.95".into(),
        ratio: 0.95 / worst,
    });
}

fn main() -> Result<()> {
    let mut python = std::env::var("CHOIX_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut seeds = 100u64;
    let mut skip_choix = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--python" => python = args.next().context("--python needs a value")?,
            "--seeds" => seeds = args.next().context("--seeds needs a value")?.parse()?,
            "--skip-choix" => skip_choix = true,
            other => bail!("unknown argument {other}"),
        }
    }
    let mut rows = Vec::new();
    if !skip_choix {
        speed_and_agreement(&python, &mut rows)?;
    }
    eprintln!("ranking-bench: simulating pair choice over {seeds} seeds");
    selectors(seeds, &mut rows);
    println!("ranking-bench (prior alpha = {ALPHA}):");
    println!(
        "{:<58} {:<72} {:<14} {:>6}",
        "figure", "value", "limit", "ratio"
    );
    let mut broken = 0;
    for r in &rows {
        let flag = if r.ratio <= 1.0 {
            ""
        } else {
            "  over the limit"
        };
        if r.ratio > 1.0 {
            broken += 1;
        }
        println!(
            "{:<58} {:<72} {:<14} {:>6.2}{flag}",
            r.name, r.value, r.limit, r.ratio
        );
    }
    if broken > 0 {
        bail!("{broken} figure(s) over their limit");
    }
    Ok(())
}
