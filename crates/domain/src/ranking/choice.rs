//! The choice of the next pair: [`Ranker`] keeps strengths updated per vote (refitted warm
//! on demand) and picks pairs uniformly or adaptively ([`Selector`], settings in [`Choice`]),
//! the adaptive way by the expected fall in the number of pairs in the wrong order.

use super::fit::{Fit, fit};
use super::math::{Rng, order_gain, sigmoid};
use super::model::{COVARIANCE_LIMIT, Comparisons, covariance};

/// How the next pair is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Uniform,
    Adaptive,
}

impl Selector {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "uniform" => Some(Selector::Uniform),
            "adaptive" => Some(Selector::Adaptive),
            _ => None,
        }
    }
}

/// Settings of the adaptive choice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    /// Share of pairs drawn uniformly, to keep the comparison graph connected.
    pub uniform_share: f64,
    /// An idea with fewer comparisons than this is shown first (catch-up for new ideas).
    pub min_comparisons: f64,
    /// Candidate pairs weighed for the most informative one.
    pub candidates: usize,
    /// Candidates are drawn among ideas this many places away in the current order (0: any).
    pub neighbourhood: usize,
    /// Votes between warm refits in a simulation.
    pub refit_every: usize,
    /// Weigh candidates by how likely their current order is wrong (true), or by the
    /// outcome's variance times the strengths' variance (false).
    pub order_uncertainty: bool,
    /// When > 0, the uniform share grows with how informative random pairs are now:
    /// max(uniform_share, (4·mean p(1−p))^power) over sampled pairs. When most random pairs
    /// are close calls, uniform pairs are as good as any and cover the graph best.
    pub share_power: f64,
    /// Draw the first idea of each candidate as the least certain of this many random ideas
    /// (1: uniformly).
    pub first_of: usize,
    /// When > 0, candidates are weighed by the expected fall in the number of pairs in the
    /// wrong order (one vote ahead), counted over this many places on each side of both ideas.
    pub gain_window: usize,
}

impl Default for Choice {
    fn default() -> Self {
        Self {
            uniform_share: 0.05,
            min_comparisons: 4.0,
            candidates: 24,
            neighbourhood: 5,
            refit_every: 20,
            order_uncertainty: true,
            share_power: 4.0,
            first_of: 1,
            gain_window: 10,
        }
    }
}

/// An online ranking: strengths updated cheaply per vote and refitted (warm) on demand.
#[derive(Debug, Clone)]
pub struct Ranker {
    pub alpha: f64,
    pub theta: Vec<f64>,
    /// Posterior precision per idea (the Hessian's diagonal).
    pub precision: Vec<f64>,
    /// Comparisons per idea.
    pub counts: Vec<f64>,
    /// Active ideas (withdrawn ones are not shown).
    pub active: Vec<bool>,
    /// The full posterior covariance, row-major (empty when not kept: see
    /// [`COVARIANCE_LIMIT`]). Shared, so handing a cached fit's covariance to a ranker for
    /// one pair choice copies no numbers; a vote copies it only if it is shared.
    pub cov: std::sync::Arc<Vec<f64>>,
    votes: Vec<(usize, usize)>,
}

impl Ranker {
    pub fn new(n_items: usize, alpha: f64) -> Self {
        Self {
            alpha,
            theta: vec![0.0; n_items],
            precision: vec![2.0 * alpha; n_items],
            counts: vec![0.0; n_items],
            active: vec![true; n_items],
            cov: Default::default(),
            votes: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.theta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.theta.is_empty()
    }

    /// A new idea: strength 0 (score 50), shown soon by the catch-up rule.
    pub fn add_item(&mut self) -> usize {
        self.theta.push(0.0);
        self.precision.push(2.0 * self.alpha);
        self.counts.push(0.0);
        self.active.push(true);
        self.cov = Default::default();
        self.theta.len() - 1
    }

    pub fn votes(&self) -> &[(usize, usize)] {
        &self.votes
    }

    /// Records a vote with one cheap Newton step on the two strengths involved.
    pub fn record(&mut self, winner: usize, loser: usize) {
        if winner == loser || winner >= self.len() || loser >= self.len() {
            return;
        }
        let p = sigmoid(self.theta[winner] - self.theta[loser]);
        let h = p * (1.0 - p);
        self.precision[winner] += h;
        self.precision[loser] += h;
        let n = self.len();
        if self.cov.len() == n * n {
            // A rank-one update of the covariance (Sherman–Morrison) and one Newton step
            // along it, so every strength correlated with the two moves too.
            let g: Vec<f64> = (0..n)
                .map(|k| self.cov[k * n + winner] - self.cov[k * n + loser])
                .collect();
            let s2 = g[winner] - g[loser];
            let c = h / (1.0 + h * s2);
            let cov = std::sync::Arc::make_mut(&mut self.cov);
            for i in 0..n {
                let gi = g[i] * c;
                let row = &mut cov[i * n..(i + 1) * n];
                for (v, gj) in row.iter_mut().zip(&g) {
                    *v -= gi * gj;
                }
            }
            let step = (1.0 - p) / (1.0 + h * s2);
            for (t, gk) in self.theta.iter_mut().zip(&g) {
                *t += step * gk;
            }
        } else {
            self.theta[winner] += (1.0 - p) / self.precision[winner];
            self.theta[loser] -= (1.0 - p) / self.precision[loser];
        }
        self.counts[winner] += 1.0;
        self.counts[loser] += 1.0;
        self.votes.push((winner, loser));
    }

    /// The full fit, warm-started from the current strengths.
    pub fn refit(&mut self) -> Fit {
        let c = Comparisons::from_votes(self.len(), &self.votes);
        let f = fit(&c, self.alpha, Some(&self.theta));
        self.theta.clone_from(&f.theta);
        self.precision.clone_from(&f.precision);
        self.cov = std::sync::Arc::new(if self.len() <= COVARIANCE_LIMIT {
            covariance(&c, &self.theta, self.alpha)
        } else {
            Vec::new()
        });
        f
    }

    /// The next pair to show, left/right in random order, among active ideas and not one
    /// for which `seen(a, b)` holds (in either order). None when no unseen pair is found.
    pub fn next_pair(
        &self,
        rng: &mut Rng,
        selector: Selector,
        choice: &Choice,
        seen: &dyn Fn(usize, usize) -> bool,
    ) -> Option<(usize, usize)> {
        let live: Vec<usize> = (0..self.len()).filter(|&i| self.active[i]).collect();
        if live.len() < 2 {
            return None;
        }
        let ok = |a: usize, b: usize| a != b && !seen(a, b) && !seen(b, a);
        let random_pair = |rng: &mut Rng| -> Option<(usize, usize)> {
            for _ in 0..64 {
                let a = live[rng.below(live.len())];
                let b = live[rng.below(live.len())];
                if ok(a, b) {
                    return Some((a, b));
                }
            }
            // Dense exhaustion: scan from a random start so the choice stays fair.
            let start = rng.below(live.len());
            for k in 0..live.len() {
                let a = live[(start + k) % live.len()];
                for &b in &live {
                    if ok(a, b) {
                        return Some((a, b));
                    }
                }
            }
            None
        };
        let pair = match selector {
            Selector::Uniform => random_pair(rng),
            Selector::Adaptive => {
                let share = if choice.share_power > 0.0 {
                    let mut pq = 0.0;
                    let k = 32;
                    for _ in 0..k {
                        let a = live[rng.below(live.len())];
                        let b = live[rng.below(live.len())];
                        let p = sigmoid(self.theta[a] - self.theta[b]);
                        pq += p * (1.0 - p);
                    }
                    (4.0 * pq / f64::from(k))
                        .powf(choice.share_power)
                        .max(choice.uniform_share)
                } else {
                    choice.uniform_share
                };
                if rng.unit() < share {
                    random_pair(rng)
                } else {
                    // Catch-up: the least-compared idea below the threshold, with its most
                    // informative partner.
                    let fewest = live
                        .iter()
                        .copied()
                        .filter(|&i| self.counts[i] < choice.min_comparisons)
                        .min_by(|&a, &b| self.counts[a].total_cmp(&self.counts[b]).then(a.cmp(&b)));
                    let info = |a: usize, b: usize| {
                        let var = 1.0 / self.precision[a] + 1.0 / self.precision[b];
                        let d = self.theta[a] - self.theta[b];
                        if choice.order_uncertainty {
                            // Larger when the order of the two is less certain.
                            -d.abs() / var.sqrt()
                        } else {
                            let p = sigmoid(d);
                            p * (1.0 - p) * var
                        }
                    };
                    // Ideas in the current order, for drawing partners near each other.
                    let order: Vec<usize> = if choice.neighbourhood > 0 {
                        let mut o = live.clone();
                        o.sort_by(|&x, &y| self.theta[x].total_cmp(&self.theta[y]));
                        o
                    } else {
                        Vec::new()
                    };
                    let mut place = vec![0usize; if order.is_empty() { 0 } else { self.len() }];
                    for (k, &i) in order.iter().enumerate() {
                        place[i] = k;
                    }
                    let mut best: Option<((usize, usize), f64)> = None;
                    for _ in 0..choice.candidates.max(1) {
                        let a = match fewest {
                            Some(f) => f,
                            None => {
                                let mut a = live[rng.below(live.len())];
                                for _ in 1..choice.first_of.max(1) {
                                    let c = live[rng.below(live.len())];
                                    if self.precision[c] < self.precision[a] {
                                        a = c;
                                    }
                                }
                                a
                            }
                        };
                        let b = if order.is_empty() {
                            live[rng.below(live.len())]
                        } else {
                            let w = choice.neighbourhood;
                            let lo = place[a].saturating_sub(w);
                            let hi = (place[a] + w).min(order.len() - 1);
                            order[lo + rng.below(hi - lo + 1)]
                        };
                        if !ok(a, b) {
                            continue;
                        }
                        let n = self.len();
                        let v = if choice.gain_window > 0
                            && !order.is_empty()
                            && self.cov.len() == n * n
                        {
                            // With the full covariance: a vote on (a, b) lowers the variance
                            // of every difference x − k by (Σ(eₓ−eₖ)·(eₐ−e_b))²·c.
                            let cov = &self.cov;
                            let g = |k: usize| cov[k * n + a] - cov[k * n + b];
                            let s2 = g(a) - g(b);
                            let p = sigmoid(self.theta[a] - self.theta[b]);
                            let w = p * (1.0 - p);
                            let c = w / (1.0 + w * s2);
                            let mut total = 0.0;
                            let mut seen_pair = std::collections::HashSet::new();
                            for x in [a, b] {
                                let lo = place[x].saturating_sub(choice.gain_window);
                                let hi = (place[x] + choice.gain_window).min(order.len() - 1);
                                for &k in &order[lo..=hi] {
                                    if k == x || !seen_pair.insert((x.min(k), x.max(k))) {
                                        continue;
                                    }
                                    let var =
                                        cov[x * n + x] + cov[k * n + k] - 2.0 * cov[x * n + k];
                                    let u = g(x) - g(k);
                                    total +=
                                        order_gain(self.theta[x] - self.theta[k], var, u * u * c);
                                }
                            }
                            total
                        } else if choice.gain_window > 0 && !order.is_empty() {
                            let va = 1.0 / self.precision[a];
                            let vb = 1.0 / self.precision[b];
                            let s2 = va + vb;
                            let p = sigmoid(self.theta[a] - self.theta[b]);
                            let w = p * (1.0 - p);
                            let c = w / (1.0 + w * s2);
                            let mut g = order_gain(self.theta[a] - self.theta[b], s2, s2 * s2 * c);
                            for (x, vx) in [(a, va), (b, vb)] {
                                let lo = place[x].saturating_sub(choice.gain_window);
                                let hi = (place[x] + choice.gain_window).min(order.len() - 1);
                                for &k in &order[lo..=hi] {
                                    if k == a || k == b {
                                        continue;
                                    }
                                    let var = vx + 1.0 / self.precision[k];
                                    g +=
                                        order_gain(self.theta[x] - self.theta[k], var, vx * vx * c);
                                }
                            }
                            g
                        } else {
                            info(a, b)
                        };
                        if best.is_none_or(|(_, bv)| v > bv) {
                            best = Some(((a, b), v));
                        }
                    }
                    best.map(|(p, _)| p).or_else(|| random_pair(rng))
                }
            }
        }?;
        Some(if rng.unit() < 0.5 {
            pair
        } else {
            (pair.1, pair.0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ranking::fit::{kendall_tau, standings};
    use crate::ranking::test_support::close;

    #[test]
    fn a_new_idea_starts_at_50_and_is_shown_first() {
        let mut r = Ranker::new(6, 0.3);
        let mut rng = Rng::new(9);
        for _ in 0..200 {
            let (a, b) = r
                .next_pair(&mut rng, Selector::Uniform, &Choice::default(), &|_, _| {
                    false
                })
                .unwrap();
            r.record(a.min(b), a.max(b));
        }
        r.refit();
        let new = r.add_item();
        let c = Comparisons::from_votes(r.len(), r.votes());
        let f = fit(&c, 0.3, Some(&r.theta));
        let s = standings(&c, &f);
        assert_eq!(s.iter().find(|s| s.item == new).unwrap().score, 50.0);
        let mut shown = 0;
        for _ in 0..20 {
            let (a, b) = r
                .next_pair(&mut rng, Selector::Adaptive, &Choice::default(), &|_, _| {
                    false
                })
                .unwrap();
            if a == new || b == new {
                shown += 1;
            }
        }
        assert!(
            shown >= 10,
            "catch-up showed the new idea {shown} of 20 times"
        );
    }

    #[test]
    fn pairs_are_never_repeated_for_a_participant_and_are_deterministic() {
        for selector in [Selector::Uniform, Selector::Adaptive] {
            let run = |seed: u64| {
                let mut r = Ranker::new(7, 0.3);
                let mut rng = Rng::new(seed);
                let mut seen: Vec<(usize, usize)> = Vec::new();
                while let Some((a, b)) = {
                    let s = seen.clone();
                    r.next_pair(&mut rng, selector, &Choice::default(), &move |x, y| {
                        s.contains(&(x, y))
                    })
                } {
                    assert!(!seen.contains(&(a, b)) && !seen.contains(&(b, a)));
                    seen.push((a, b));
                    r.record(a, b);
                }
                seen
            };
            let first = run(5);
            assert_eq!(first.len(), 21, "every one of the 21 pairs, once");
            assert_eq!(first, run(5), "the same seed gives the same pairs");
            assert_ne!(first, run(6));
        }
    }

    #[test]
    fn left_and_right_are_random() {
        let r = Ranker::new(2, 0.3);
        let mut rng = Rng::new(1);
        let lefts = (0..1000)
            .filter(|_| {
                r.next_pair(&mut rng, Selector::Uniform, &Choice::default(), &|_, _| {
                    false
                })
                .unwrap()
                .0 == 0
            })
            .count();
        assert!((400..600).contains(&lefts), "{lefts}");
    }

    #[test]
    fn warm_refit_agrees_with_a_cold_fit() {
        let mut rng = Rng::new(11);
        let n = 40;
        let truth: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mut r = Ranker::new(n, 0.2);
        for _ in 0..3000 {
            let (a, b) = (rng.below(n), rng.below(n));
            if a == b {
                continue;
            }
            if rng.unit() < sigmoid(truth[a] - truth[b]) {
                r.record(a, b);
            } else {
                r.record(b, a);
            }
        }
        let cold = fit(&Comparisons::from_votes(n, r.votes()), 0.2, None);
        let warm = r.refit();
        assert!(close(&warm.theta, &cold.theta, 1e-7));
        assert!(warm.newton_steps <= cold.newton_steps);
        assert!(kendall_tau(&warm.theta, &truth) > 0.7);
    }

    #[test]
    fn a_vote_updates_the_covariance_exactly() {
        let mut rng = Rng::new(3);
        let n = 20;
        let mut r = Ranker::new(n, 0.1);
        for _ in 0..200 {
            let (a, b) = (rng.below(n), rng.below(n));
            r.record(a, b);
        }
        r.refit();
        assert_eq!(r.cov.len(), n * n);
        for _ in 0..5 {
            let before = r.theta.clone();
            let (a, b) = (rng.below(n), (rng.below(n - 1) + 1) % n);
            if a == b {
                continue;
            }
            r.record(a, b);
            // The Hessian at the strengths before the vote, with the vote in it.
            let want = covariance(&Comparisons::from_votes(n, r.votes()), &before, 0.1);
            for (x, y) in r.cov.iter().zip(&want) {
                assert!((x - y).abs() < 1e-9, "{x} against {y}");
            }
            // Recomputing from the same strengths again, for the next step's reference.
            r.cov = std::sync::Arc::new(covariance(
                &Comparisons::from_votes(n, r.votes()),
                &r.theta,
                0.1,
            ));
        }
        // An idea added later drops the covariance until the next refit.
        r.add_item();
        assert!(r.cov.is_empty());
        r.refit();
        assert_eq!(r.cov.len(), (n + 1) * (n + 1));
    }
}
