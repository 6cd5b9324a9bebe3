//! The ranking engine of pairwise voting: Bradley–Terry strengths estimated as the maximum
//! a posteriori under an isotropic Gaussian prior, and the choice of the next pair to show.
//! Pure code: no I/O, no clock, and every random choice comes from a seeded generator, so
//! a seed pins every result.
//!
//! Model: idea `i` beats idea `j` with probability σ(θᵢ − θⱼ). The fit minimises
//! `α·Σθ² + Σ_votes log(1 + e^−(θ_winner − θ_loser))` (the objective of choix's
//! `opt_pairwise` with `alpha = α`), by Newton's method with a preconditioned conjugate
//! gradient for each step, over votes aggregated per pair, so one step costs a few passes
//! over the distinct pairs, not over the votes.
//!
//! The score shown for an idea is the estimated chance, 0–100, that it beats an idea drawn
//! at random among the others; an idea nobody has voted on yet shows 50. Its interval comes
//! from the curvature of the posterior at the estimate (a Laplace approximation per idea).

mod choice;
mod fit;
mod math;
mod model;
mod simulation;
#[cfg(test)]
mod test_support;

pub use choice::{Choice, Ranker, Selector};
pub use fit::{Fit, Standing, fit, kendall_tau, standings};
pub use math::{Rng, normal_cdf, sigmoid};
pub use model::{COVARIANCE_LIMIT, Comparisons, covariance};
pub use simulation::{SimPoint, log_checkpoints, simulate, simulate_with};
