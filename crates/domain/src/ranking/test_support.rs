//! Helpers and reference data shared by the engine's tests: comparing vectors of strengths,
//! and choix's "8-random" case, used to check both the derivatives and the fit.

pub(super) fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

pub(super) fn centred(v: &[f64]) -> Vec<f64> {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    v.iter().map(|x| x - m).collect()
}

/// choix's `tests/test_opt.py`, "8-random" case, with alpha = 0.5.
pub(super) const PAIRWISE_DATA: [(usize, usize); 20] = [
    (7, 3),
    (2, 0),
    (5, 2),
    (4, 2),
    (2, 1),
    (4, 5),
    (6, 3),
    (5, 4),
    (7, 0),
    (2, 3),
    (4, 0),
    (0, 4),
    (6, 5),
    (3, 2),
    (3, 4),
    (3, 4),
    (5, 2),
    (7, 3),
    (7, 6),
    (6, 5),
];
pub(super) const PAIRWISE_ESTIMATE: [f64; 8] = [
    -0.51974039,
    -0.46280878,
    -0.31376862,
    -0.06854694,
    -0.3185146,
    -0.00346107,
    0.63032783,
    1.05651257,
];
