//! The model's data and curvature: votes aggregated per pair ([`Comparisons`]), the
//! penalised objective with its derivatives, and the posterior covariance at an estimate.

use super::math::sigmoid;

/// log(1 + eˣ), without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// Votes aggregated per unordered pair: `(i, j, n, w)` with i < j, n comparisons of which
/// `i` won `w`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparisons {
    pub n_items: usize,
    pub pairs: Vec<(u32, u32, f64, f64)>,
}

impl Comparisons {
    /// Aggregates `(winner, loser)` votes. Votes naming an item ≥ `n_items`, or an item
    /// against itself, are ignored (callers validate their input first).
    pub fn from_votes(n_items: usize, votes: &[(usize, usize)]) -> Self {
        let dense = n_items.saturating_mul(n_items) <= 1 << 22;
        let mut pairs = Vec::new();
        if dense {
            // Wins of a over b at a*n + b: one pass, no hashing.
            let mut wins = vec![0u32; n_items * n_items];
            for &(w, l) in votes {
                if w < n_items && l < n_items && w != l {
                    wins[w * n_items + l] += 1;
                }
            }
            for i in 0..n_items {
                for j in i + 1..n_items {
                    let (a, b) = (wins[i * n_items + j], wins[j * n_items + i]);
                    if a + b > 0 {
                        pairs.push((i as u32, j as u32, f64::from(a + b), f64::from(a)));
                    }
                }
            }
        } else {
            let mut map: std::collections::HashMap<(u32, u32), (u32, u32)> =
                std::collections::HashMap::new();
            for &(w, l) in votes {
                if w < n_items && l < n_items && w != l {
                    let (i, j) = (w.min(l) as u32, w.max(l) as u32);
                    let e = map.entry((i, j)).or_default();
                    e.0 += 1;
                    if w < l {
                        e.1 += 1;
                    }
                }
            }
            pairs = map
                .into_iter()
                .map(|((i, j), (n, w))| (i, j, f64::from(n), f64::from(w)))
                .collect();
            pairs.sort_by_key(|p| (p.0, p.1));
        }
        Self { n_items, pairs }
    }

    /// These comparisons with more votes added, over `n_items` items (at least as many as
    /// before: items added since keep their place at the end). The same as aggregating
    /// every vote anew, at the cost of the new votes and one pass over the pairs.
    pub fn with_votes(&self, n_items: usize, votes: &[(usize, usize)]) -> Self {
        let n_items = n_items.max(self.n_items);
        let added = Self::from_votes(n_items, votes);
        let (old, new) = (&self.pairs, &added.pairs);
        let mut pairs = Vec::with_capacity(old.len() + new.len());
        let (mut a, mut b) = (0, 0);
        while a < old.len() || b < new.len() {
            let next = match (old.get(a), new.get(b)) {
                (Some(x), Some(y)) if (x.0, x.1) == (y.0, y.1) => {
                    a += 1;
                    b += 1;
                    (x.0, x.1, x.2 + y.2, x.3 + y.3)
                }
                (Some(x), Some(y)) if (x.0, x.1) < (y.0, y.1) => {
                    a += 1;
                    *x
                }
                (Some(x), None) => {
                    a += 1;
                    *x
                }
                (_, Some(y)) => {
                    b += 1;
                    *y
                }
                (None, None) => break,
            };
            pairs.push(next);
        }
        Self { n_items, pairs }
    }

    /// Comparisons each item took part in.
    pub fn counts(&self) -> Vec<f64> {
        let mut c = vec![0.0; self.n_items];
        for &(i, j, n, _) in &self.pairs {
            c[i as usize] += n;
            c[j as usize] += n;
        }
        c
    }

    /// The penalised negative log-likelihood at `theta`.
    pub fn objective(&self, theta: &[f64], alpha: f64) -> f64 {
        let mut v = alpha * theta.iter().map(|t| t * t).sum::<f64>();
        for &(i, j, n, w) in &self.pairs {
            let d = theta[i as usize] - theta[j as usize];
            v += w * softplus(-d) + (n - w) * softplus(d);
        }
        v
    }

    /// Gradient of [`objective`](Self::objective), and the per-pair curvature weights and
    /// the Hessian's diagonal, all at `theta`.
    pub(super) fn derivatives(&self, theta: &[f64], alpha: f64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut g: Vec<f64> = theta.iter().map(|t| 2.0 * alpha * t).collect();
        let mut diag = vec![2.0 * alpha; theta.len()];
        let mut h = Vec::with_capacity(self.pairs.len());
        for &(i, j, n, w) in &self.pairs {
            let (i, j) = (i as usize, j as usize);
            let p = sigmoid(theta[i] - theta[j]);
            let gi = n * p - w;
            g[i] += gi;
            g[j] -= gi;
            let hp = n * p * (1.0 - p);
            h.push(hp);
            diag[i] += hp;
            diag[j] += hp;
        }
        (g, h, diag)
    }

    /// y = H·x for the Hessian given by pair weights `h` and prior `alpha`.
    pub(super) fn hess_times(&self, h: &[f64], alpha: f64, x: &[f64], y: &mut [f64]) {
        for (yi, xi) in y.iter_mut().zip(x) {
            *yi = 2.0 * alpha * xi;
        }
        for (&(i, j, _, _), &hp) in self.pairs.iter().zip(h) {
            let (i, j) = (i as usize, j as usize);
            let t = hp * (x[i] - x[j]);
            y[i] += t;
            y[j] -= t;
        }
    }
}

/// Ideas up to which the adaptive choice keeps the full posterior covariance (n² numbers,
/// an n³ inversion per refit); above it, only the per-idea variances.
pub const COVARIANCE_LIMIT: usize = 200;

/// The posterior covariance (the inverse of the objective's Hessian) at `theta`, row-major
/// n × n, by Cholesky factorisation. Empty when the Hessian is not positive definite.
pub fn covariance(c: &Comparisons, theta: &[f64], alpha: f64) -> Vec<f64> {
    let n = theta.len();
    let mut h = vec![0.0; n * n];
    for i in 0..n {
        h[i * n + i] = 2.0 * alpha.max(1e-12);
    }
    for &(i, j, m, _) in &c.pairs {
        let (i, j) = (i as usize, j as usize);
        if i >= n || j >= n {
            continue;
        }
        let p = sigmoid(theta[i] - theta[j]);
        let w = m * p * (1.0 - p);
        h[i * n + i] += w;
        h[j * n + j] += w;
        h[i * n + j] -= w;
        h[j * n + i] -= w;
    }
    // H = L·Lᵀ, L stored in the lower triangle of h.
    for j in 0..n {
        let mut d = h[j * n + j];
        for k in 0..j {
            d -= h[j * n + k] * h[j * n + k];
        }
        if d <= 0.0 {
            return Vec::new();
        }
        let d = d.sqrt();
        h[j * n + j] = d;
        for i in j + 1..n {
            let mut v = h[i * n + j];
            for k in 0..j {
                v -= h[i * n + k] * h[j * n + k];
            }
            h[i * n + j] = v / d;
        }
    }
    // L⁻¹ (lower triangular), then Σ = L⁻ᵀ·L⁻¹.
    let mut inv = vec![0.0; n * n];
    for i in 0..n {
        inv[i * n + i] = 1.0 / h[i * n + i];
        for j in 0..i {
            let mut v = 0.0;
            for k in j..i {
                v -= h[i * n + k] * inv[k * n + j];
            }
            inv[i * n + j] = v / h[i * n + i];
        }
    }
    let mut cov = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut v = 0.0;
            for k in i..n {
                v += inv[k * n + i] * inv[k * n + j];
            }
            cov[i * n + j] = v;
            cov[j * n + i] = v;
        }
    }
    cov
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ranking::fit::fit;
    use crate::ranking::math::Rng;
    use crate::ranking::test_support::PAIRWISE_DATA;

    /// Votes added to aggregated comparisons give what aggregating all of them gives,
    /// dense and sparse, with items added in between.
    #[test]
    fn comparisons_take_more_votes_as_if_counted_anew() {
        let mut state = 7u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        for (before, after) in [(12, 12), (12, 15), (3000, 3000), (2100, 2300)] {
            let first: Vec<(usize, usize)> =
                (0..5000).map(|_| (next(before), next(before))).collect();
            let second: Vec<(usize, usize)> =
                (0..700).map(|_| (next(after), next(after))).collect();
            let all: Vec<(usize, usize)> = first.iter().chain(&second).copied().collect();
            let merged = Comparisons::from_votes(before, &first).with_votes(after, &second);
            let anew = Comparisons::from_votes(after, &all);
            assert_eq!(merged.n_items, anew.n_items);
            assert_eq!(merged.pairs, anew.pairs, "{before} then {after} items");
        }
        let none = Comparisons::from_votes(4, &[]).with_votes(4, &[(0, 1), (1, 0), (3, 2)]);
        assert_eq!(none.pairs, vec![(0, 1, 2.0, 1.0), (2, 3, 1.0, 0.0)]);
    }

    /// The gradient agrees with finite differences of the objective (choix checks the same).
    #[test]
    fn gradient_matches_finite_differences() {
        let c = Comparisons::from_votes(8, &PAIRWISE_DATA);
        let mut rng = Rng::new(7);
        for sigma in [1.0, 5.0, 20.0] {
            let x: Vec<f64> = (0..8).map(|_| sigma * rng.normal()).collect();
            let (g, _, _) = c.derivatives(&x, 0.2);
            for k in 0..8 {
                let eps = 1e-6;
                let mut a = x.clone();
                let mut b = x.clone();
                a[k] += eps;
                b[k] -= eps;
                let num = (c.objective(&a, 0.2) - c.objective(&b, 0.2)) / (2.0 * eps);
                assert!(
                    (num - g[k]).abs() <= 1e-4 * (1.0 + num.abs()),
                    "{num} {}",
                    g[k]
                );
            }
        }
    }

    #[test]
    fn aggregation_is_the_same_dense_and_sparse() {
        let mut rng = Rng::new(3);
        let votes: Vec<(usize, usize)> =
            (0..5000).map(|_| (rng.below(50), rng.below(50))).collect();
        let dense = Comparisons::from_votes(50, &votes);
        let sparse = Comparisons::from_votes(3000, &votes);
        assert_eq!(dense.pairs, sparse.pairs);
        let counted: f64 = dense.pairs.iter().map(|p| p.2).sum();
        assert_eq!(
            counted as usize,
            votes.iter().filter(|(a, b)| a != b).count()
        );
    }

    #[test]
    fn covariance_inverts_the_hessian() {
        let mut rng = Rng::new(7);
        let n = 30;
        let votes: Vec<(usize, usize)> = (0..400)
            .map(|_| (rng.below(n), rng.below(n)))
            .filter(|(a, b)| a != b)
            .collect();
        let c = Comparisons::from_votes(n, &votes);
        let f = fit(&c, 0.1, None);
        let cov = covariance(&c, &f.theta, 0.1);
        assert_eq!(cov.len(), n * n);
        let (_, h, diag) = c.derivatives(&f.theta, 0.1);
        let mut y = vec![0.0; n];
        for j in 0..n {
            let col: Vec<f64> = (0..n).map(|i| cov[i * n + j]).collect();
            c.hess_times(&h, 0.1, &col, &mut y);
            for (i, v) in y.iter().enumerate() {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((v - want).abs() < 1e-9, "H·Σ at ({i}, {j}) is {v}");
            }
            // The marginal variance is never below the inverse of the diagonal precision.
            assert!(cov[j * n + j] >= 1.0 / diag[j] - 1e-12);
        }
    }
}
