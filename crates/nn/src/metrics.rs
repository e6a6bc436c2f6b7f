//! Classification metrics: accuracy, confusion matrix, per-class accuracy.

use std::fmt;

/// Fraction of `predicted[i] == labels[i]` (0 for empty input).
pub fn accuracy(predicted: &[usize], labels: &[u8]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let right = predicted
        .iter()
        .zip(labels)
        .filter(|(&p, &l)| p == l as usize)
        .count();
    right as f64 / labels.len() as f64
}

/// Counts of (true class, predicted class) pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    /// `counts[truth * classes + predicted]`.
    counts: Vec<usize>,
}

impl ConfusionMatrix {
    /// Tallies predictions against labels; pairs outside `0..classes` are ignored.
    pub fn new(classes: usize, predicted: &[usize], labels: &[u8]) -> Self {
        let mut counts = vec![0; classes * classes];
        for (&p, &l) in predicted.iter().zip(labels) {
            let t = l as usize;
            if t < classes && p < classes {
                counts[t * classes + p] += 1;
            }
        }
        ConfusionMatrix { classes, counts }
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Samples of class `truth` predicted as `predicted`.
    pub fn count(&self, truth: usize, predicted: usize) -> usize {
        self.counts[truth * self.classes + predicted]
    }

    /// Total samples.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Overall accuracy (trace / total).
    pub fn accuracy(&self) -> f64 {
        let right: usize = (0..self.classes).map(|c| self.count(c, c)).sum();
        right as f64 / self.total().max(1) as f64
    }

    /// Accuracy (recall) of each true class; `None` for a class with no samples.
    pub fn per_class_accuracy(&self) -> Vec<Option<f64>> {
        (0..self.classes)
            .map(|t| {
                let n: usize = (0..self.classes).map(|p| self.count(t, p)).sum();
                (n > 0).then(|| self.count(t, t) as f64 / n as f64)
            })
            .collect()
    }
}

impl fmt::Display for ConfusionMatrix {
    /// Rows are true classes, columns predicted classes, then per-class accuracy.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .counts
            .iter()
            .max()
            .map_or(1, |m| m.to_string().len())
            .max(3);
        write!(f, "true\\pred")?;
        for p in 0..self.classes {
            write!(f, " {p:>width$}")?;
        }
        writeln!(f, "  accuracy")?;
        let per_class = self.per_class_accuracy();
        for (t, acc) in per_class.iter().enumerate() {
            write!(f, "{t:>9}")?;
            for p in 0..self.classes {
                write!(f, " {:>width$}", self.count(t, p))?;
            }
            match acc {
                Some(a) => writeln!(f, "  {:>7.2}%", 100.0 * a)?,
                None => writeln!(f, "        -")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_matrix_counts_and_accuracies() {
        let pred = [0, 1, 1, 2, 2, 2];
        let labels = [0u8, 1, 2, 2, 2, 1];
        let cm = ConfusionMatrix::new(3, &pred, &labels);
        assert_eq!(cm.count(2, 1), 1);
        assert_eq!(cm.count(1, 2), 1);
        assert_eq!(cm.total(), 6);
        assert!((cm.accuracy() - accuracy(&pred, &labels)).abs() < 1e-12);
        assert_eq!(
            cm.per_class_accuracy(),
            vec![Some(1.0), Some(0.5), Some(2.0 / 3.0)]
        );
        let text = cm.to_string();
        assert_eq!(text.lines().count(), 4);
        assert!(text.contains("100.00%"));
    }
}
