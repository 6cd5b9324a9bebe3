//! `sluss ranking fit` and `sluss ranking simulate`: the engine of pairwise voting on files,
//! for checking results outside the application and for studying pair choice.

use anyhow::{Context, Result, bail};
use domain::ranking::{
    Comparisons, Selector, fit, log_checkpoints, parse_vote_csv, simulate as run_simulation,
    standings,
};

/// The prior used unless told otherwise: strengths have prior variance 1/(2·0.1) = 5, wide
/// enough not to flatten real differences, firm enough to keep unbeaten ideas finite.
pub const DEFAULT_ALPHA: f64 = 0.1;

fn check_alpha(alpha: f64) -> Result<()> {
    if !(alpha.is_finite() && alpha > 0.0) {
        bail!("--alpha must be a number above 0, got {alpha}");
    }
    Ok(())
}

/// Reads the votes file and returns the CSV of standings, best first.
pub fn fit_file(path: &std::path::Path, alpha: f64) -> Result<String> {
    check_alpha(alpha)?;
    let shown = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("{shown}: cannot read"))?;
    let file =
        parse_vote_csv(&text).map_err(|e| anyhow::anyhow!("{shown}:{}: {}", e.line, e.message))?;
    let c = Comparisons::from_votes(file.ideas.len(), &file.votes);
    let f = fit(&c, alpha, None);
    let mut out = String::from("idea,score,low,high,wins,losses\n");
    for s in standings(&c, &f) {
        // Printed, not a file of its own: no byte-order mark, but no formula either.
        let id = domain::export::cell(&file.ideas[s.item]);
        out.push_str(&format!(
            "{id},{:.2},{:.2},{:.2},{},{}\n",
            s.score, s.low, s.high, s.wins, s.losses
        ));
    }
    Ok(out)
}

pub fn simulate(
    ideas: usize,
    votes: usize,
    spread: f64,
    selector: &str,
    seed: u64,
    alpha: f64,
    points: u32,
) -> Result<String> {
    check_alpha(alpha)?;
    let Some(selector) = Selector::parse(selector) else {
        bail!("--selector must be uniform or adaptive, got {selector}");
    };
    if !(2..=100_000).contains(&ideas) {
        bail!("--ideas must be between 2 and 100000");
    }
    if !(1..=100_000_000).contains(&votes) {
        bail!("--votes must be between 1 and 100000000");
    }
    if !(spread.is_finite() && spread >= 0.0) {
        bail!("--spread must be a number of at least 0");
    }
    let cps = log_checkpoints(ideas.min(votes), votes, points);
    let mut out = String::from("votes,tau\n");
    for p in run_simulation(ideas, spread, selector, seed, alpha, &cps) {
        out.push_str(&format!("{},{:.4}\n", p.votes, p.tau));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_prints_best_first_and_names_a_bad_line() {
        let dir = std::env::temp_dir().join(format!("sluss-rank-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("votes.csv");
        std::fs::write(&good, "winner,loser\nb,a\nb,c\nc,a\nb,a\n").unwrap();
        let out = fit_file(&good, 0.1).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "idea,score,low,high,wins,losses");
        assert!(
            lines[1].starts_with("b,") && lines[1].ends_with(",3,0"),
            "{out}"
        );
        assert!(
            lines[3].starts_with("a,") && lines[3].ends_with(",0,3"),
            "{out}"
        );
        let bad = dir.join("bad.csv");
        std::fs::write(&bad, "winner,loser\nb,a\nb\n").unwrap();
        let err = fit_file(&bad, 0.1).unwrap_err().to_string();
        assert!(
            err.ends_with("bad.csv:3: expected 2 fields, found 1"),
            "{err}"
        );
        assert!(fit_file(&good, 0.0).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn simulate_prints_tau_at_log_spaced_counts() {
        let out = simulate(20, 400, 1.0, "adaptive", 3, 0.1, 2).unwrap();
        let rows: Vec<(usize, f64)> = out
            .lines()
            .skip(1)
            .map(|l| {
                let (v, t) = l.split_once(',').unwrap();
                (v.parse().unwrap(), t.parse().unwrap())
            })
            .collect();
        assert_eq!(rows.first().unwrap().0, 20);
        assert_eq!(rows.last().unwrap().0, 400);
        assert!(rows.windows(2).all(|w| w[1].0 > w[0].0));
        assert!(rows.last().unwrap().1 > 0.5, "{out}");
        assert_eq!(out, simulate(20, 400, 1.0, "adaptive", 3, 0.1, 2).unwrap());
        assert!(simulate(20, 400, 1.0, "clever", 3, 0.1, 2).is_err());
    }
}
