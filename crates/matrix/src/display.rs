//! Readable printing: aligned columns, large matrices elided in the middle.

use std::fmt;

use crate::{MatrixView, Scalar};

/// Rows and columns shown at each end before the middle is elided.
const EDGE: usize = 4;

fn shown(n: usize) -> Vec<Option<usize>> {
    if n <= 2 * EDGE + 1 {
        (0..n).map(Some).collect()
    } else {
        (0..EDGE)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE..n).map(Some))
            .collect()
    }
}

/// Writes `name RxC [ ... ]` with aligned columns. Precision follows the
/// formatter (`{:.2}`), default 4 digits.
pub(crate) fn write_matrix<T: Scalar>(
    f: &mut fmt::Formatter<'_>,
    m: MatrixView<'_, T>,
    name: &str,
) -> fmt::Result {
    let prec = f.precision().unwrap_or(4);
    let (rows, cols) = (shown(m.rows()), shown(m.cols()));
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| match (r, c) {
                    (Some(i), Some(j)) => format!("{:.*}", prec, m[(*i, *j)]),
                    (None, _) => "⋮".to_string(),
                    (_, None) => "…".to_string(),
                })
                .collect()
        })
        .collect();
    let width = cells
        .iter()
        .flatten()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);
    if !name.is_empty() {
        write!(f, "{name} ")?;
    }
    writeln!(f, "{}x{} [", m.rows(), m.cols())?;
    for row in &cells {
        write!(f, " ")?;
        for cell in row {
            write!(f, " {cell:>width$}")?;
        }
        writeln!(f)?;
    }
    write!(f, "]")
}

#[cfg(test)]
mod tests {
    use crate::Matrix;

    #[test]
    fn small_matrices_print_every_element_aligned() {
        let m = Matrix::from_vec(2, 2, vec![1.0f32, -2.5, 10.0, 0.0]);
        assert_eq!(format!("{m:.1}"), "2x2 [\n   1.0 -2.5\n  10.0  0.0\n]");
    }

    #[test]
    fn large_matrices_are_elided() {
        let m = Matrix::<f64>::zeros(100, 100);
        let s = format!("{m:?}");
        assert!(s.starts_with("Matrix 100x100 ["));
        assert!(s.contains('⋮') && s.contains('…'));
        assert_eq!(s.lines().count(), 2 + 2 * 4 + 1);
    }
}
