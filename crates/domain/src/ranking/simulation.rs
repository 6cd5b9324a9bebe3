//! Simulated voters from a known truth, to measure how fast a way of choosing pairs learns
//! the order: Kendall's τ against the truth at vote counts spaced on a log scale.

use super::choice::{Choice, Ranker, Selector};
use super::fit::kendall_tau;
use super::math::{Rng, sigmoid};

/// One point of a simulation: after `votes` votes, Kendall's τ against the truth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimPoint {
    pub votes: usize,
    pub tau: f64,
}

/// Vote counts spaced evenly on a log scale (`per_doubling` points per doubling) up to `max`.
pub fn log_checkpoints(start: usize, max: usize, per_doubling: u32) -> Vec<usize> {
    let mut out = Vec::new();
    let factor = 2f64.powf(1.0 / f64::from(per_doubling.max(1)));
    let mut x = start.max(1) as f64;
    while (x.round() as usize) < max {
        let v = x.round() as usize;
        if out.last() != Some(&v) {
            out.push(v);
        }
        x *= factor;
    }
    out.push(max);
    out
}

/// Simulates voters from a known truth: `n` ideas with strengths drawn N(0, spread²), each
/// vote between the chosen pair won with the model's probability. Returns τ at each of
/// `checkpoints` (which must be increasing).
pub fn simulate(
    n: usize,
    spread: f64,
    selector: Selector,
    seed: u64,
    alpha: f64,
    checkpoints: &[usize],
) -> Vec<SimPoint> {
    simulate_with(
        n,
        spread,
        selector,
        seed,
        alpha,
        checkpoints,
        &Choice::default(),
    )
}

/// [`simulate`] with explicit settings of the adaptive choice.
pub fn simulate_with(
    n: usize,
    spread: f64,
    selector: Selector,
    seed: u64,
    alpha: f64,
    checkpoints: &[usize],
    choice: &Choice,
) -> Vec<SimPoint> {
    let mut rng = Rng::new(seed);
    let truth: Vec<f64> = (0..n).map(|_| spread * rng.normal()).collect();
    let mut ranker = Ranker::new(n, alpha);
    let never = |_: usize, _: usize| false;
    let mut out = Vec::with_capacity(checkpoints.len());
    let mut next_refit = 2 * n;
    let mut done = 0;
    for &target in checkpoints {
        while done < target {
            let Some((a, b)) = ranker.next_pair(&mut rng, selector, choice, &never) else {
                break;
            };
            let a_wins = rng.unit() < sigmoid(truth[a] - truth[b]);
            if a_wins {
                ranker.record(a, b);
            } else {
                ranker.record(b, a);
            }
            done += 1;
            if selector == Selector::Adaptive && done >= next_refit {
                ranker.refit();
                next_refit = done
                    + if choice.refit_every > 0 {
                        choice.refit_every
                    } else {
                        (done / 4).max(n)
                    };
            }
        }
        ranker.refit();
        out.push(SimPoint {
            votes: done,
            tau: kendall_tau(&ranker.theta, &truth),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulation_is_deterministic_and_learns() {
        let cps = log_checkpoints(50, 2000, 2);
        let a = simulate(30, 1.0, Selector::Adaptive, 4, 0.2, &cps);
        assert_eq!(a, simulate(30, 1.0, Selector::Adaptive, 4, 0.2, &cps));
        assert!(a.last().unwrap().tau > a[0].tau);
        assert!(a.last().unwrap().tau > 0.7, "{a:?}");
        assert_eq!(a.last().unwrap().votes, 2000);
    }

    /// Tuning study (run by hand): cargo test --release -p domain tune -- --ignored --nocapture
    #[test]
    #[ignore]
    fn tune() {
        let target = |sp: f64| if sp > 1.0 { 0.8 } else { 0.5 };
        let cps = log_checkpoints(100, 4000, 24);
        let votes_to = |sp: f64, sel: Selector, ch: &Choice| {
            let mut total = 0.0;
            let seeds = std::env::var("S")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(20u64);
            let first = std::env::var("K")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1u64);
            for seed in first..first + seeds {
                let pts = simulate_with(100, sp, sel, seed, 0.1, &cps, ch);
                total += pts
                    .iter()
                    .find(|p| p.tau >= target(sp))
                    .map(|p| p.votes)
                    .unwrap_or(20000) as f64;
            }
            total
                / std::env::var("S")
                    .ok()
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(20.0)
        };
        let env = |k: &str, d: f64| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(d)
        };
        let d = Choice::default();
        let ch = Choice {
            uniform_share: env("U", d.uniform_share),
            min_comparisons: env("M", d.min_comparisons),
            candidates: env("C", d.candidates as f64) as usize,
            neighbourhood: env("N", d.neighbourhood as f64) as usize,
            refit_every: env("R", d.refit_every as f64) as usize,
            order_uncertainty: env("O", f64::from(u8::from(d.order_uncertainty))) > 0.0,
            share_power: env("P", d.share_power),
            first_of: env("F", d.first_of as f64) as usize,
            gain_window: env("G", d.gain_window as f64) as usize,
        };
        let u = votes_to(2.0, Selector::Uniform, &ch);
        let a = votes_to(2.0, Selector::Adaptive, &ch);
        println!(
            "spread 2: uniform {u:.0} adaptive {a:.0} ratio {:.3}",
            u / a
        );
        // Spread 0.5: the worst ratio of mean τ along the way, as the benchmark measures it.
        let seeds = env("S", 20.0) as u64;
        let cps = log_checkpoints(100, 6000, 24);
        let mean_curve = |sel: Selector| -> Vec<f64> {
            let mut m = vec![0.0; cps.len()];
            let first = env("K", 1.0) as u64;
            for seed in first..first + seeds {
                for (k, p) in simulate_with(100, 0.5, sel, seed, 0.1, &cps, &ch)
                    .iter()
                    .enumerate()
                {
                    m[k] += p.tau / seeds as f64;
                }
            }
            m
        };
        let (cu, ca) = (
            mean_curve(Selector::Uniform),
            mean_curve(Selector::Adaptive),
        );
        let worst = cu
            .iter()
            .zip(&ca)
            .filter(|(u, _)| **u > 0.05)
            .map(|(u, a)| a / u)
            .fold(f64::INFINITY, f64::min);
        println!("spread 0.5: worst adaptive/uniform tau {worst:.3}");
    }
}
