//! Correlation matrices of the factors' daily Gaussian shocks: checks, nearest-correlation repair
//! and a Cholesky factor that also works for positive *semi*-definite matrices.
//!
//! Pure linear algebra on square `nalgebra::DMatrix<f64>` of any size. Owns the PSD tolerance
//! ([`PSD_TOLERANCE`]) and the Higham (2002) repair. Must not: know TOML, key paths or the factor
//! order (that is `scenario`), or draw random numbers (that is `engine`).

use nalgebra::{Cholesky, DMatrix, SymmetricEigen, QR};
use thiserror::Error;

/// A matrix whose smallest eigenvalue is at least `-PSD_TOLERANCE` counts as positive
/// semi-definite (round-off in a hand-written matrix is tolerated, nothing more).
pub const PSD_TOLERANCE: f64 = 1e-12;

/// Largest absolute asymmetry |a_ij − a_ji| accepted as round-off.
pub const SYMMETRY_TOLERANCE: f64 = 1e-12;

/// Why a matrix is not a valid correlation matrix. Indices are 0-based (row, column).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CorrelationError {
    #[error("must be a square matrix, got {rows} rows and {cols} columns")]
    NotSquare { rows: usize, cols: usize },
    #[error("entry [{row}][{col}] is not a finite number")]
    NotFinite { row: usize, col: usize },
    #[error("not symmetric: [{row}][{col}] = {upper} but [{col}][{row}] = {lower}")]
    NotSymmetric {
        row: usize,
        col: usize,
        upper: f64,
        lower: f64,
    },
    #[error("diagonal entry [{index}][{index}] must be 1, got {value}")]
    DiagonalNotOne { index: usize, value: f64 },
    #[error("entry [{row}][{col}] must be in [-1, 1], got {value}")]
    OutOfRange { row: usize, col: usize, value: f64 },
    #[error("not positive semi-definite (smallest eigenvalue {min_eigenvalue:.3})")]
    NotPsd { min_eigenvalue: f64 },
    #[error("nearest-correlation repair did not converge in {iterations} iterations")]
    NoConvergence { iterations: usize },
}

/// Every structural problem of `m` as a correlation matrix (shape, finiteness, symmetry, unit
/// diagonal, range), without the eigenvalue test. Empty when the structure is valid.
pub fn structural_problems(m: &DMatrix<f64>) -> Vec<CorrelationError> {
    let (rows, cols) = m.shape();
    if rows != cols {
        return vec![CorrelationError::NotSquare { rows, cols }];
    }
    let mut problems = Vec::new();
    for row in 0..rows {
        for col in 0..cols {
            let value = m[(row, col)];
            if !value.is_finite() {
                problems.push(CorrelationError::NotFinite { row, col });
            } else if row == col {
                if (value - 1.0).abs() > SYMMETRY_TOLERANCE {
                    problems.push(CorrelationError::DiagonalNotOne { index: row, value });
                }
            } else if !(-1.0..=1.0).contains(&value) {
                problems.push(CorrelationError::OutOfRange { row, col, value });
            }
        }
    }
    for row in 0..rows {
        for col in row + 1..cols {
            let (upper, lower) = (m[(row, col)], m[(col, row)]);
            if upper.is_finite() && lower.is_finite() && (upper - lower).abs() > SYMMETRY_TOLERANCE
            {
                problems.push(CorrelationError::NotSymmetric {
                    row,
                    col,
                    upper,
                    lower,
                });
            }
        }
    }
    problems
}

/// Smallest eigenvalue of the symmetric part of `m` (square, finite).
pub fn smallest_eigenvalue(m: &DMatrix<f64>) -> f64 {
    let sym = symmetric_part(m);
    SymmetricEigen::new(sym).eigenvalues.min()
}

/// Checks that `m` is a valid correlation matrix, PSD within [`PSD_TOLERANCE`]; returns all
/// structural problems, or the PSD failure alone when the structure is valid.
pub fn check_correlation(m: &DMatrix<f64>) -> Result<(), Vec<CorrelationError>> {
    let problems = structural_problems(m);
    if !problems.is_empty() {
        return Err(problems);
    }
    let min_eigenvalue = smallest_eigenvalue(m);
    if min_eigenvalue < -PSD_TOLERANCE {
        return Err(vec![CorrelationError::NotPsd { min_eigenvalue }]);
    }
    Ok(())
}

/// Settings of the Higham alternating-projections repair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HighamSettings {
    /// Stop when the relative Frobenius change of both iterates falls below this.
    pub tolerance: f64,
    /// Give up after this many iterations.
    pub max_iterations: usize,
}

impl Default for HighamSettings {
    fn default() -> Self {
        Self {
            tolerance: 1e-12,
            max_iterations: 10_000,
        }
    }
}

/// Nearest correlation matrix to the symmetric matrix `a` in the Frobenius norm (Higham 2002,
/// "Computing the nearest correlation matrix", alternating projections onto the PSD cone and
/// the unit-diagonal subspace with Dykstra's correction, unit weights).
///
/// The last iterate is projected once more onto the PSD cone and rescaled to a unit diagonal
/// (a congruence, so the result is exactly PSD up to round-off and has diagonal 1); this moves
/// it by the order of the tolerance. A valid correlation matrix is returned unchanged (up to
/// round-off). `a` must be square with finite entries (see [`structural_problems`]).
pub fn nearest_correlation(
    a: &DMatrix<f64>,
    settings: HighamSettings,
) -> Result<DMatrix<f64>, CorrelationError> {
    let (rows, cols) = a.shape();
    if rows != cols {
        return Err(CorrelationError::NotSquare { rows, cols });
    }
    let a = symmetric_part(a);
    let mut correction = DMatrix::<f64>::zeros(rows, rows);
    let mut y = a.clone();
    let mut x = a.clone();
    let mut converged = false;
    for _ in 0..settings.max_iterations {
        let r = &y - &correction;
        let x_next = project_psd(&r);
        correction = &x_next - &r;
        let mut y_next = x_next.clone();
        for i in 0..rows {
            y_next[(i, i)] = 1.0;
        }
        let scale = y_next.norm().max(f64::MIN_POSITIVE);
        let dx = (&x_next - &x).norm() / scale;
        let dy = (&y_next - &y).norm() / scale;
        let gap = (&y_next - &x_next).norm() / scale;
        x = x_next;
        y = y_next;
        if dx.max(dy).max(gap) < settings.tolerance {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(CorrelationError::NoConvergence {
            iterations: settings.max_iterations,
        });
    }
    Ok(unit_diagonal(&project_psd(&y)))
}

/// Lower-triangular L with L·Lᵀ = `m` for a symmetric PSD `m`.
///
/// Positive definite: the ordinary Cholesky factor. Semi-definite (singular): eigenvalues
/// below zero (round-off, at most [`PSD_TOLERANCE`]) are clamped to 0, B = V·√Λ, and L = Rᵀ
/// from the QR factorization Bᵀ = Q·R (then L·Lᵀ = Rᵀ·R = B·Bᵀ), with the signs of R's rows
/// chosen so that L has a non-negative diagonal.
pub fn psd_cholesky(m: &DMatrix<f64>) -> DMatrix<f64> {
    let sym = symmetric_part(m);
    if let Some(chol) = Cholesky::new(sym.clone()) {
        let l = chol.l();
        if l.iter().all(|v| v.is_finite()) {
            return l;
        }
    }
    let eigen = SymmetricEigen::new(sym);
    let n = eigen.eigenvalues.len();
    let mut b = eigen.eigenvectors.clone();
    for j in 0..n {
        let root = eigen.eigenvalues[j].max(0.0).sqrt();
        for i in 0..n {
            b[(i, j)] *= root;
        }
    }
    let mut r = QR::new(b.transpose()).r();
    for i in 0..r.nrows() {
        if r[(i, i)] < 0.0 {
            for j in 0..r.ncols() {
                r[(i, j)] = -r[(i, j)];
            }
        }
    }
    r.transpose()
}

/// Frobenius norm of `a − b`.
pub fn frobenius_distance(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).norm()
}

/// (m + mᵀ) / 2.
fn symmetric_part(m: &DMatrix<f64>) -> DMatrix<f64> {
    (m + m.transpose()) * 0.5
}

/// Projection onto the PSD cone in the Frobenius norm: V·max(Λ, 0)·Vᵀ.
fn project_psd(m: &DMatrix<f64>) -> DMatrix<f64> {
    let eigen = SymmetricEigen::new(symmetric_part(m));
    let clipped = eigen.eigenvalues.map(|v| v.max(0.0));
    let v = &eigen.eigenvectors;
    let projected = v * DMatrix::from_diagonal(&clipped) * v.transpose();
    symmetric_part(&projected)
}

/// D^(−1/2)·m·D^(−1/2) with D = diag(m): a unit diagonal by congruence (keeps PSD). A zero
/// diagonal entry (a degenerate factor) becomes an uncorrelated unit variance.
fn unit_diagonal(m: &DMatrix<f64>) -> DMatrix<f64> {
    let n = m.nrows();
    let scale: Vec<f64> = (0..n)
        .map(|i| {
            if m[(i, i)] > 0.0 {
                1.0 / m[(i, i)].sqrt()
            } else {
                0.0
            }
        })
        .collect();
    let mut out = DMatrix::<f64>::zeros(n, n);
    for i in 0..n {
        for j in 0..n {
            out[(i, j)] = if i == j {
                1.0
            } else {
                m[(i, j)] * scale[i] * scale[j]
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mat(rows: &[&[f64]]) -> DMatrix<f64> {
        DMatrix::from_fn(rows.len(), rows.len(), |i, j| rows[i][j])
    }

    fn assert_lower_triangular(l: &DMatrix<f64>) {
        for i in 0..l.nrows() {
            for j in i + 1..l.ncols() {
                assert_eq!(l[(i, j)], 0.0, "L[{i}][{j}] must be 0");
            }
        }
    }

    fn max_abs_diff(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
        (a - b).abs().max()
    }

    #[test]
    fn cholesky_of_a_2x2_matches_the_closed_form() {
        // [[1, ρ], [ρ, 1]] = L·Lᵀ with L = [[1, 0], [ρ, √(1 − ρ²)]].
        let rho = 0.5;
        let l = psd_cholesky(&mat(&[&[1.0, rho], &[rho, 1.0]]));
        assert!((l[(0, 0)] - 1.0).abs() < 1e-15);
        assert!((l[(1, 0)] - rho).abs() < 1e-15);
        assert!((l[(1, 1)] - (1.0 - rho * rho).sqrt()).abs() < 1e-15);
        assert_eq!(l[(0, 1)], 0.0);
    }

    #[test]
    fn cholesky_reproduces_definite_and_singular_matrices() {
        let cases = [
            mat(&[
                &[1.0, 0.5, 0.0, 0.0],
                &[0.5, 1.0, 0.0, 0.0],
                &[0.0, 0.0, 1.0, 0.0],
                &[0.0, 0.0, 0.0, 1.0],
            ]),
            mat(&[&[1.0, 0.3, -0.2], &[0.3, 1.0, 0.4], &[-0.2, 0.4, 1.0]]),
            // Rank 1: every factor is the same shock.
            mat(&[&[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0]]),
            // Rank 2: the third factor is the negative of the first.
            mat(&[&[1.0, 0.2, -1.0], &[0.2, 1.0, -0.2], &[-1.0, -0.2, 1.0]]),
        ];
        for m in &cases {
            let l = psd_cholesky(m);
            assert_lower_triangular(&l);
            let err = max_abs_diff(&(&l * l.transpose()), m);
            assert!(err < 1e-12, "L·Lᵀ differs from the matrix by {err:e}\n{m}");
        }
    }

    #[test]
    fn smallest_eigenvalue_of_the_classic_non_psd_example() {
        // [[1,1,0],[1,1,1],[0,1,1]] has eigenvalues 1 − √2, 1, 1 + √2.
        let a = mat(&[&[1.0, 1.0, 0.0], &[1.0, 1.0, 1.0], &[0.0, 1.0, 1.0]]);
        assert!((smallest_eigenvalue(&a) - (1.0 - 2f64.sqrt())).abs() < 1e-12);
        assert_eq!(
            check_correlation(&a),
            Err(vec![CorrelationError::NotPsd {
                min_eigenvalue: smallest_eigenvalue(&a)
            }])
        );
        let msg = CorrelationError::NotPsd {
            min_eigenvalue: -0.1234,
        }
        .to_string();
        assert_eq!(
            msg,
            "not positive semi-definite (smallest eigenvalue -0.123)"
        );
    }

    #[test]
    fn structural_problems_are_all_reported() {
        let a = mat(&[&[0.9, 1.5, 0.0], &[1.5, 1.0, 0.2], &[0.0, 0.1, 1.0]]);
        let problems = structural_problems(&a);
        assert!(problems.contains(&CorrelationError::DiagonalNotOne {
            index: 0,
            value: 0.9
        }));
        assert!(problems.contains(&CorrelationError::OutOfRange {
            row: 0,
            col: 1,
            value: 1.5
        }));
        assert!(problems.contains(&CorrelationError::NotSymmetric {
            row: 1,
            col: 2,
            upper: 0.2,
            lower: 0.1
        }));
    }

    /// Naive repair: clip negative eigenvalues to 0, then rescale to a unit diagonal.
    fn naive_clip(a: &DMatrix<f64>) -> DMatrix<f64> {
        unit_diagonal(&project_psd(a))
    }

    fn assert_valid_correlation(x: &DMatrix<f64>) {
        assert!(structural_problems(x).is_empty(), "{x}");
        assert!(smallest_eigenvalue(x) >= -PSD_TOLERANCE, "{x}");
    }

    #[test]
    fn higham_matches_the_published_3x3_example() {
        // Higham (2002), section 4: the nearest correlation matrix to A = [[1,1,0],[1,1,1],[0,1,1]]
        // is [[1, .7607, .1573], [.7607, 1, .7607], [.1573, .7607, 1]] (4 decimals).
        let a = mat(&[&[1.0, 1.0, 0.0], &[1.0, 1.0, 1.0], &[0.0, 1.0, 1.0]]);
        let x = nearest_correlation(&a, HighamSettings::default()).expect("converges");
        assert_valid_correlation(&x);
        let expected = mat(&[
            &[1.0, 0.7607, 0.1573],
            &[0.7607, 1.0, 0.7607],
            &[0.1573, 0.7607, 1.0],
        ]);
        assert!(max_abs_diff(&x, &expected) < 1e-4, "{x}");
        let clip = naive_clip(&a);
        assert!(frobenius_distance(&x, &a) < frobenius_distance(&clip, &a));
        let l = psd_cholesky(&x);
        assert!(max_abs_diff(&(&l * l.transpose()), &x) < 1e-12);
    }

    #[test]
    fn higham_repairs_a_4x4_and_beats_the_naive_clip() {
        // Pairwise-plausible but jointly impossible: 0 and 1 strongly positive with 2, and
        // strongly negative with each other.
        let a = mat(&[
            &[1.0, -0.9, 0.7, 0.0],
            &[-0.9, 1.0, 0.7, 0.1],
            &[0.7, 0.7, 1.0, 0.2],
            &[0.0, 0.1, 0.2, 1.0],
        ]);
        assert!(smallest_eigenvalue(&a) < -0.1);
        let x = nearest_correlation(&a, HighamSettings::default()).expect("converges");
        assert_valid_correlation(&x);
        let clip = naive_clip(&a);
        assert_valid_correlation(&clip);
        assert!(frobenius_distance(&x, &a) < frobenius_distance(&clip, &a));
        // Optimality (Higham 2002, Theorem 2.5 with unit weights): A − X = V·D·Vᵀ + diag(θ)
        // with the PSD part supported on the null space of X, so no small move towards A along
        // a feasible direction helps: check a few feasible perturbations X + t(C − X).
        let others = [clip, DMatrix::identity(4, 4)];
        for c in &others {
            for t in [1e-3, 1e-2, 1e-1] {
                let y = &x + (c - &x) * t;
                assert!(frobenius_distance(&y, &a) >= frobenius_distance(&x, &a) - 1e-9);
            }
        }
    }

    #[test]
    fn nearest_of_a_valid_matrix_is_itself() {
        let a = mat(&[&[1.0, 0.3, -0.2], &[0.3, 1.0, 0.4], &[-0.2, 0.4, 1.0]]);
        let x = nearest_correlation(&a, HighamSettings::default()).expect("converges");
        assert!(max_abs_diff(&x, &a) < 1e-12, "{x}");
        let singular = mat(&[&[1.0, 1.0], &[1.0, 1.0]]);
        let x = nearest_correlation(&singular, HighamSettings::default()).expect("converges");
        assert!(max_abs_diff(&x, &singular) < 1e-12, "{x}");
    }
}
