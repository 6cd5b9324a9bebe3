//! The engine's numeric helpers: the seeded generator (so a seed pins every random choice),
//! the model's logistic function, and the normal distribution with the expected fall in
//! misordering (`order_gain`) that the adaptive pair choice weighs candidates by.

/// A small, fast, seedable generator (SplitMix64); deterministic across platforms.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The standard normal distribution function (Abramowitz–Stegun 7.1.26, error < 1.5e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-z * z).exp();
    if x >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// Gauss–Hermite nodes and weights (probabilists', normalised to sum 1) for E f(Z), Z ~ N(0,1).
const HERMITE: [(f64, f64); 10] = [
    (-4.859_462_828_332_312, 4.310_652_630_718_3e-6),
    (-3.581_823_483_551_927, 7.580_709_343_122_2e-4),
    (-2.484_325_841_638_955, 1.911_158_050_077_0e-2),
    (-1.465_989_094_391_158, 1.354_837_029_802_7e-1),
    (-0.484_935_707_515_498, 3.446_423_349_320_2e-1),
    (0.484_935_707_515_498, 3.446_423_349_320_2e-1),
    (1.465_989_094_391_158, 1.354_837_029_802_7e-1),
    (2.484_325_841_638_955, 1.911_158_050_077_0e-2),
    (3.581_823_483_551_927, 7.580_709_343_122_2e-4),
    (4.859_462_828_332_312, 4.310_652_630_718_3e-6),
];

/// Expected fall in the chance that two ideas are in the wrong order, when the variance of
/// their difference (now `var`, mean `d`) falls by `r`: the chance now, less its expectation
/// over where the estimate may move.
pub(super) fn order_gain(d: f64, var: f64, r: f64) -> f64 {
    let now = normal_cdf(-d.abs() / var.sqrt());
    let after_sd = (var - r).max(1e-12).sqrt();
    let step = r.max(0.0).sqrt();
    let after: f64 = HERMITE
        .iter()
        .map(|&(z, w)| w * normal_cdf(-(d + step * z).abs() / after_sd))
        .sum();
    now - after
}
