//! The fit and what is read from it: MAP strengths by Newton's method (`fit`), the
//! standings shown (scores 0–100 with intervals, and records), and Kendall's τ between orders.

use super::math::sigmoid;
use super::model::Comparisons;

/// The result of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Strengths, in the model's log scale (mean zero when α > 0).
    pub theta: Vec<f64>,
    /// The Hessian's diagonal at the estimate (the posterior precision of each strength).
    pub precision: Vec<f64>,
    pub newton_steps: usize,
    /// The largest component of the gradient at the end.
    pub gradient_norm: f64,
}

/// Fits strengths by Newton's method with a Jacobi-preconditioned conjugate gradient,
/// starting from `init` (a warm start) or from zero. `alpha` must be > 0 unless every item
/// both won and lost against the rest (the ML estimate then exists); a tiny alpha works.
pub fn fit(c: &Comparisons, alpha: f64, init: Option<&[f64]>) -> Fit {
    let n = c.n_items;
    let alpha = alpha.max(1e-12);
    let mut theta: Vec<f64> = match init {
        Some(t) if t.len() == n => t.to_vec(),
        _ => vec![0.0; n],
    };
    let total: f64 = c.pairs.iter().map(|p| p.2).sum::<f64>().max(1.0);
    let tolerance = 1e-10 * total.sqrt().max(1.0);
    let mut steps = 0;
    let (mut g, mut h, mut diag) = c.derivatives(&theta, alpha);
    let mut f = c.objective(&theta, alpha);
    let mut x = vec![0.0; n];
    let (mut r, mut z, mut p, mut q) = (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for _ in 0..100 {
        let gnorm = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if gnorm <= tolerance {
            break;
        }
        steps += 1;
        // Solve H·x = −g by preconditioned conjugate gradients.
        x.iter_mut().for_each(|v| *v = 0.0);
        for k in 0..n {
            r[k] = -g[k];
            z[k] = r[k] / diag[k];
            p[k] = z[k];
        }
        let mut rz: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
        let r0: f64 = r.iter().map(|v| v * v).sum::<f64>().sqrt();
        for _ in 0..(4 * n).clamp(50, 500) {
            c.hess_times(&h, alpha, &p, &mut q);
            let pq: f64 = p.iter().zip(&q).map(|(a, b)| a * b).sum();
            if pq <= 0.0 {
                break;
            }
            let a = rz / pq;
            for k in 0..n {
                x[k] += a * p[k];
                r[k] -= a * q[k];
            }
            let rn: f64 = r.iter().map(|v| v * v).sum::<f64>().sqrt();
            if rn <= 1e-12 * r0.max(1e-300) || rn <= 1e-14 {
                break;
            }
            for k in 0..n {
                z[k] = r[k] / diag[k];
            }
            let rz_next: f64 = r.iter().zip(&z).map(|(a, b)| a * b).sum();
            let beta = rz_next / rz;
            rz = rz_next;
            for k in 0..n {
                p[k] = z[k] + beta * p[k];
            }
        }
        // Backtracking line search on the objective (Armijo).
        let slope: f64 = g.iter().zip(&x).map(|(a, b)| a * b).sum();
        let mut t = 1.0;
        let mut next: Vec<f64>;
        loop {
            next = theta.iter().zip(&x).map(|(a, b)| a + t * b).collect();
            let fnext = c.objective(&next, alpha);
            if fnext <= f + 1e-4 * t * slope || t < 1e-10 {
                f = fnext;
                break;
            }
            t *= 0.5;
        }
        theta = next;
        (g, h, diag) = c.derivatives(&theta, alpha);
        // Converged when the step no longer moves any strength measurably.
        let moved = x.iter().fold(0.0f64, |m, v| m.max((t * v).abs()));
        if moved < 1e-9 {
            break;
        }
    }
    let gradient_norm = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    Fit {
        theta,
        precision: diag,
        newton_steps: steps,
        gradient_norm,
    }
}

/// An idea's standing: score 0–100 with its interval, and its record.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub item: usize,
    pub score: f64,
    pub low: f64,
    pub high: f64,
    pub wins: u64,
    pub losses: u64,
}

/// The chance (0–100) that an idea of strength `t` beats one drawn at random from the others.
fn chance(theta: &[f64], i: usize, t: f64) -> f64 {
    let n = theta.len();
    if n < 2 {
        return 50.0;
    }
    let s: f64 = theta
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, tj)| sigmoid(t - tj))
        .sum();
    100.0 * s / (n - 1) as f64
}

/// Scores with 95 % intervals, best first (ties by item number).
pub fn standings(c: &Comparisons, f: &Fit) -> Vec<Standing> {
    let mut wins = vec![0u64; c.n_items];
    let mut losses = vec![0u64; c.n_items];
    for &(i, j, n, w) in &c.pairs {
        wins[i as usize] += w as u64;
        losses[i as usize] += (n - w) as u64;
        wins[j as usize] += (n - w) as u64;
        losses[j as usize] += w as u64;
    }
    let mut out: Vec<Standing> = (0..c.n_items)
        .map(|i| {
            let sd = 1.0 / f.precision[i].max(1e-12).sqrt();
            let t = f.theta[i];
            let (score, low, high) = if wins[i] + losses[i] == 0 {
                let half = chance(&f.theta, i, t + 1.96 * sd) - chance(&f.theta, i, t);
                (50.0, (50.0 - half).max(0.0), (50.0 + half).min(100.0))
            } else {
                (
                    chance(&f.theta, i, t),
                    chance(&f.theta, i, t - 1.96 * sd),
                    chance(&f.theta, i, t + 1.96 * sd),
                )
            };
            Standing {
                item: i,
                score,
                low,
                high,
                wins: wins[i],
                losses: losses[i],
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.item.cmp(&b.item)));
    out
}

/// Kendall's τ-a between two score vectors (1 = same order, −1 = reversed).
pub fn kendall_tau(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 1.0;
    }
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            let x = (a[i] - a[j]).signum() * (b[i] - b[j]).signum();
            s += x as i64;
        }
    }
    s as f64 / (n * (n - 1) / 2) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ranking::math::Rng;
    use crate::ranking::model::covariance;
    use crate::ranking::test_support::{PAIRWISE_DATA, PAIRWISE_ESTIMATE, centred, close};

    #[test]
    fn choix_8_random_case() {
        let c = Comparisons::from_votes(8, &PAIRWISE_DATA);
        let f = fit(&c, 0.5, None);
        assert!(close(&f.theta, &PAIRWISE_ESTIMATE, 1e-4), "{:?}", f.theta);
        // From a random start too (choix tests both).
        let mut rng = Rng::new(42);
        let init: Vec<f64> = (0..8).map(|_| rng.normal()).collect();
        let f = fit(&c, 0.5, Some(&init));
        assert!(close(&f.theta, &PAIRWISE_ESTIMATE, 1e-4), "{:?}", f.theta);
    }

    /// choix's `tests/data/testcase-pairwise-{1,2}.json`: ML estimates (exp scale, mean 1).
    #[test]
    fn choix_json_cases() {
        type Case<'a> = (&'a [(usize, usize)], [f64; 3]);
        let cases: [Case; 2] = [
            (&[(0, 1), (1, 2), (2, 0)], [1.0, 1.0, 1.0]),
            (
                &[(0, 1), (0, 1), (1, 2), (2, 0)],
                [1.43586088, 0.62035049, 0.94378863],
            ),
        ];
        for (data, ml) in cases {
            let c = Comparisons::from_votes(3, data);
            let f = fit(&c, 1e-10, None);
            let expected = centred(&ml.map(f64::ln));
            assert!(close(&centred(&f.theta), &expected, 1e-4), "{:?}", f.theta);
            // On choix's own scale: exp, normalised to mean 1.
            let e: Vec<f64> = f.theta.iter().map(|t| t.exp()).collect();
            let m = e.iter().sum::<f64>() / 3.0;
            let scaled: Vec<f64> = e.iter().map(|x| x / m).collect();
            assert!(close(&scaled, &ml, 1e-4), "{scaled:?}");
        }
    }

    /// choix's "extreme" case: a near-divergent MAP keeps the order.
    #[test]
    fn choix_extreme_case() {
        let c = Comparisons::from_votes(3, &[(0, 1), (1, 2)]);
        let f = fit(&c, 0.00001, None);
        assert!(f.theta[0] > f.theta[1] && f.theta[1] > f.theta[2]);
    }

    /// Symmetry: renaming the ideas renames the estimates; swapping every vote mirrors them.
    #[test]
    fn property_symmetry() {
        for seed in 0..30 {
            let mut rng = Rng::new(seed);
            let n = 2 + rng.below(12);
            let votes: Vec<(usize, usize)> = (0..rng.below(80))
                .map(|_| (rng.below(n), rng.below(n)))
                .filter(|(a, b)| a != b)
                .collect();
            let alpha = 0.05 + rng.unit();
            let base = fit(&Comparisons::from_votes(n, &votes), alpha, None);
            let perm: Vec<usize> = {
                let mut p: Vec<usize> = (0..n).collect();
                for i in (1..n).rev() {
                    p.swap(i, rng.below(i + 1));
                }
                p
            };
            let renamed: Vec<(usize, usize)> =
                votes.iter().map(|&(a, b)| (perm[a], perm[b])).collect();
            let f = fit(&Comparisons::from_votes(n, &renamed), alpha, None);
            for (i, &p) in perm.iter().enumerate() {
                assert!((f.theta[p] - base.theta[i]).abs() < 1e-6);
            }
            let swapped: Vec<(usize, usize)> = votes.iter().map(|&(a, b)| (b, a)).collect();
            let m = fit(&Comparisons::from_votes(n, &swapped), alpha, None);
            for i in 0..n {
                assert!((m.theta[i] + base.theta[i]).abs() < 1e-6);
            }
            // Scores of a pair of ideas: the better estimate has the better score.
            let c = Comparisons::from_votes(n, &votes);
            let s = standings(&c, &base);
            for w in s.windows(2) {
                assert!(w[0].score >= w[1].score);
                assert!(w[0].low <= w[0].score && w[0].score <= w[0].high);
            }
        }
    }

    /// A stronger prior pulls every score toward 50; with no votes all are 50.
    #[test]
    fn property_prior_pulls_toward_50() {
        for seed in 0..20 {
            let mut rng = Rng::new(100 + seed);
            let n = 3 + rng.below(10);
            let votes: Vec<(usize, usize)> = (0..1 + rng.below(60))
                .map(|_| (rng.below(n), rng.below(n)))
                .filter(|(a, b)| a != b)
                .collect();
            let c = Comparisons::from_votes(n, &votes);
            let spread = |alpha: f64| {
                let f = fit(&c, alpha, None);
                standings(&c, &f)
                    .iter()
                    .map(|s| (s.score - 50.0).abs())
                    .fold(0.0, f64::max)
            };
            let (weak, strong) = (spread(0.01), spread(10.0));
            assert!(strong <= weak + 1e-9, "{strong} > {weak}");
            assert!(strong < 15.0);
        }
        let c = Comparisons::from_votes(5, &[]);
        let f = fit(&c, 0.3, None);
        assert!(standings(&c, &f).iter().all(|s| s.score == 50.0));
    }

    #[test]
    #[ignore]
    fn fit_cost() {
        let mut rng = Rng::new(1);
        let n = 100;
        let votes: Vec<(usize, usize)> = (0..3000)
            .map(|_| (rng.below(n), rng.below(n)))
            .filter(|(a, b)| a != b)
            .collect();
        let c = Comparisons::from_votes(n, &votes);
        let t = std::time::Instant::now();
        let f = fit(&c, 0.1, None);
        println!(
            "steps {} grad {:e} in {:?}",
            f.newton_steps,
            f.gradient_norm,
            t.elapsed()
        );
        for n in [100, 200] {
            let votes: Vec<(usize, usize)> = (0..30 * n)
                .map(|_| (rng.below(n), rng.below(n)))
                .filter(|(a, b)| a != b)
                .collect();
            let c = Comparisons::from_votes(n, &votes);
            let f = fit(&c, 0.1, None);
            let t = std::time::Instant::now();
            let cov = covariance(&c, &f.theta, 0.1);
            println!(
                "covariance of {n} ideas ({} numbers) in {:?}",
                cov.len(),
                t.elapsed()
            );
        }
    }

    #[test]
    fn kendall_tau_extremes() {
        assert_eq!(kendall_tau(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), 1.0);
        assert_eq!(kendall_tau(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), -1.0);
    }
}
