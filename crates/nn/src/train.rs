//! Mini-batch gradient descent: shuffling, batching without copying the data
//! set, per-epoch reports, and a stop on a NaN or infinite loss.

use std::time::Instant;

use matrix::{Matrix, SparseRows};
use rand::{rngs::StdRng, seq::SliceRandom, SeedableRng};

use crate::dataset::Dataset;
use crate::error::NnError;
use crate::input::{InputSparsity, PreparedBatch, SparseBatch};
use crate::network::Network;
use crate::optim::{Optimizer, OptimizerKind, Schedule};

/// How to train.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per step; `0` or anything `>=` the set size means full batch.
    pub batch_size: usize,
    /// Base learning rate.
    pub learning_rate: f64,
    /// Update rule.
    pub optimizer: OptimizerKind,
    /// L2 penalty on weights (not biases).
    pub weight_decay: f64,
    /// Learning rate per epoch.
    pub schedule: Schedule,
    /// Seed of the shuffling RNG.
    pub seed: u64,
    /// Measure validation accuracy every this many epochs (and after the
    /// last); the other epochs' reports have none. 1 (the default) is
    /// every epoch; a long full-batch run (1000 short epochs) sets more.
    pub validate_every: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 128,
            learning_rate: 0.05,
            optimizer: OptimizerKind::Momentum { mu: 0.9 },
            weight_decay: 0.0,
            schedule: Schedule::Constant,
            seed: 0,
            validate_every: 1,
        }
    }
}

impl TrainConfig {
    /// Checks the options, with a message naming the bad one.
    pub fn validate(&self, train_len: usize) -> Result<(), NnError> {
        let bad = |m: String| Err(NnError::Config(m));
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning rate must be a positive number, got {}",
                self.learning_rate
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!(
                "weight decay must be >= 0, got {}",
                self.weight_decay
            ));
        }
        if train_len == 0 {
            return bad("the training set is empty".into());
        }
        self.schedule.validate().map_err(NnError::Config)?;
        self.optimizer.validate().map_err(NnError::Config)
    }
}

/// What one epoch did.
#[derive(Clone, Debug)]
pub struct EpochReport {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Total epochs planned.
    pub epochs: usize,
    /// Mean training loss over the epoch's batches.
    pub loss: f64,
    /// Fraction of training samples predicted right while training (the
    /// running accuracy over the epoch's batches).
    pub train_accuracy: f64,
    /// Accuracy on the validation set, if one was given.
    pub validation_accuracy: Option<f64>,
    /// Seconds spent training this epoch (validation excluded).
    pub seconds: f64,
    /// Training samples processed per second of training.
    pub samples_per_second: f64,
    /// Learning rate used.
    pub learning_rate: f64,
}

/// Hooks for progress display; every method has a no-op default.
pub trait Observer {
    /// Called after each optimizer step (`step` is 1-based).
    fn on_step(&mut self, _epoch: usize, _step: usize, _steps: usize) {}
    /// Called after each epoch (outside the timed training), with read
    /// access to the network, e.g. to draw what it has learned so far.
    fn on_epoch(&mut self, _report: &EpochReport, _net: &Network<f32>) {}
}

impl Observer for () {}

/// The whole run.
#[derive(Clone, Debug)]
pub struct TrainSummary {
    /// One report per epoch.
    pub epochs: Vec<EpochReport>,
    /// Seconds spent training (validation excluded).
    pub train_seconds: f64,
    /// Training samples processed.
    pub samples: usize,
}

impl TrainSummary {
    /// Training samples per second of training.
    pub fn samples_per_second(&self) -> f64 {
        self.samples as f64 / self.train_seconds.max(1e-12)
    }
}

/// Trains `net` on `train`, reporting each epoch to `observer`.
///
/// Mini-batches are drawn from a seeded permutation and gathered into one
/// reused buffer; a full batch trains on the whole data set. With a sparse
/// first layer (the default [`InputSparsity`]) the training set's nonzeros
/// are listed once ([`matrix::SparseRows`]: 43 MB and about a tenth of a
/// second for MNIST's 60,000 images, before the first epoch) and each
/// mini-batch is built from them into a reused [`SparseBatch`] (a batch too
/// dense for it is gathered densely instead); and each batch's rows are put
/// in order of label, then of nonzero count, so that the sparse product's
/// groups of rows share more columns (a full batch in a copy of the data
/// set, made once); that changes only the order of the gradient's sums.
/// Stops with
/// [`NnError::NonFiniteLoss`] (epoch and step named) before applying an
/// update whose loss is NaN or infinite.
pub fn fit(
    net: &mut Network<f32>,
    train: &Dataset,
    validation: Option<&Dataset>,
    config: &TrainConfig,
    observer: &mut (dyn Observer + Send),
) -> Result<TrainSummary, NnError> {
    if rayon::current_thread_index().is_some() || rayon::current_num_threads() == 1 {
        return fit_on_this_thread(net, train, validation, config, observer);
    }
    // Train on a worker of the pool: each parallel gemm then runs one part on
    // the training thread itself and hands only the other part over, instead
    // of waking every worker and putting this thread to sleep at each step.
    let mut result = None;
    rayon::scope(|s| {
        s.spawn(|_| result = Some(fit_on_this_thread(net, train, validation, config, observer)));
    });
    result.expect("the training job ran")
}

fn fit_on_this_thread(
    net: &mut Network<f32>,
    train: &Dataset,
    validation: Option<&Dataset>,
    config: &TrainConfig,
    observer: &mut (dyn Observer + Send),
) -> Result<TrainSummary, NnError> {
    config.validate(train.len())?;
    if train.features() != net.input_width() {
        return Err(NnError::Shape(format!(
            "the network takes {} inputs but the data has {} features",
            net.input_width(),
            train.features()
        )));
    }
    let n = train.len();
    let full_batch = config.batch_size == 0 || config.batch_size >= n;
    let batch = if full_batch { n } else { config.batch_size };
    let steps = n.div_ceil(batch);
    let mut optimizer = Optimizer::try_new(
        config.optimizer,
        net.params().len(),
        config.weight_decay,
        net.weight_ranges(),
    )?;
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut x_buf = Matrix::<f32>::try_zeros(if full_batch { 0 } else { batch }, train.features())
        .map_err(|e| NnError::from_matrix(e, "the input batch"))?;
    let mut y_buf = vec![0u8; if full_batch { 0 } else { batch }];
    net.reserve_batch(batch)?;
    // Rows of every batch in the order of their keys (see `row_order_keys`):
    // a mini-batch's as it is gathered, the full batch's once, in a copy,
    // then regrouped by the columns they share (`group_by_overlap`).
    let sparse_input = net.input_sparsity() != InputSparsity::Dense;
    // Mini-batches for a sparse first layer: made from the data set's
    // nonzeros, without a dense copy (unless one is too dense for it).
    let sparse_rows = (sparse_input && !full_batch).then(|| SparseRows::from_dense(&train.images));
    let keys = if sparse_input {
        row_order_keys(train, sparse_rows.as_ref())
    } else {
        Vec::new()
    };
    let mut batch_idx = Vec::with_capacity(if full_batch { 0 } else { batch });
    let sorted_set;
    let full_set = if full_batch && !keys.is_empty() {
        let mut rows: Vec<usize> = (0..n).collect();
        rows.sort_by_key(|&i| keys[i]);
        sorted_set = train.select(&group_by_overlap(&rows, train));
        &sorted_set
    } else {
        train
    };

    // Full batch: the same input every step, so the form the first layer
    // reads (its nonzeros, or its dense transpose) is made once.
    let prepared =
        full_batch.then(|| PreparedBatch::new(full_set.images.view(), net.input_sparsity()));
    let mut sparse_batch = SparseBatch::new();
    let mut reports = Vec::with_capacity(config.epochs);
    let mut train_seconds = 0.0;
    for epoch in 0..config.epochs {
        let lr = config.schedule.rate(config.learning_rate, epoch);
        let started = Instant::now();
        let (mut loss_sum, mut correct) = (0.0, 0usize);
        if !full_batch {
            order.shuffle(&mut rng);
        }
        for step in 0..steps {
            let m = if full_batch {
                n
            } else {
                batch_idx.clear();
                batch_idx.extend_from_slice(&order[step * batch..((step + 1) * batch).min(n)]);
                if !keys.is_empty() {
                    batch_idx.sort_unstable_by_key(|&i| keys[i]);
                }
                batch_idx.len()
            };
            let sparse = sparse_rows.as_ref().is_some_and(|rows| {
                // The next batch's rows load while this one trains.
                let next = ((step + 1) * batch).min(n)..((step + 2) * batch).min(n);
                let built = sparse_batch.assign_rows(rows, &batch_idx, net.input_sparsity());
                rows.prefetch(&order[next]);
                built
            });
            if sparse {
                for (label, &i) in y_buf.iter_mut().zip(&batch_idx) {
                    *label = train.labels[i];
                }
            } else if !full_batch {
                let x = &mut x_buf.as_mut_slice()[..m * train.features()];
                train.gather(&batch_idx, x, &mut y_buf[..m]);
            }
            let labels = if full_batch {
                &full_set.labels[..]
            } else {
                &y_buf[..m]
            };
            // The step updates the parameters too, unless its loss is not
            // finite.
            let (loss, right) = if let Some(batch) = &prepared {
                net.train_step_prepared_and_update(batch, labels, &mut optimizer, lr)?
            } else if sparse {
                net.train_step_sparse_and_update(&sparse_batch, labels, &mut optimizer, lr)?
            } else {
                let x = x_buf.rows_view(0, m);
                net.train_step_and_update(x, labels, &mut optimizer, lr)?
            };
            if !loss.is_finite() {
                return Err(NnError::NonFiniteLoss {
                    epoch: epoch + 1,
                    step: step + 1,
                    loss,
                });
            }
            loss_sum += loss * labels.len() as f64;
            correct += right;
            observer.on_step(epoch + 1, step + 1, steps);
        }
        let seconds = started.elapsed().as_secs_f64();
        train_seconds += seconds;
        let validation_accuracy = match validation {
            Some(v)
                if !v.is_empty()
                    && ((epoch + 1) % config.validate_every.max(1) == 0
                        || epoch + 1 == config.epochs) =>
            {
                Some(accuracy(net, v)?)
            }
            _ => None,
        };
        let report = EpochReport {
            epoch: epoch + 1,
            epochs: config.epochs,
            loss: loss_sum / n as f64,
            train_accuracy: correct as f64 / n as f64,
            validation_accuracy,
            seconds,
            samples_per_second: n as f64 / seconds.max(1e-12),
            learning_rate: lr,
        };
        observer.on_epoch(&report, net);
        reports.push(report);
    }
    Ok(TrainSummary {
        epochs: reports,
        train_seconds,
        samples: n * config.epochs,
    })
}

/// A key per sample that orders a mini-batch's rows for the sparse first
/// layer: its label, then its count of nonzero features. The sparse
/// product takes rows in groups of [`matrix::sparse::GROUP`] and multiplies
/// every column any row of a group has; neighbours of one class with
/// similar ink share more of their columns, so fewer zeros are multiplied
/// (on MNIST, 14% fewer stored columns). The order of rows within a batch
/// changes only the order of the gradient's sums, never which samples
/// form a batch. The counts come from `rows`, the set's nonzeros, when
/// they were listed already, else from a pass over the pixels.
fn row_order_keys(train: &Dataset, rows: Option<&SparseRows<f32>>) -> Vec<u64> {
    use rayon::prelude::*;
    let key = |label: u8, nonzeros: u32| (u64::from(label) << 32) | u64::from(nonzeros);
    if let Some(rows) = rows {
        return (train.labels.iter().enumerate())
            .map(|(i, &label)| {
                let nonzeros = rows.row_nnz(i).unwrap_or(0);
                key(label, u32::try_from(nonzeros).unwrap_or(u32::MAX))
            })
            .collect();
    }
    let features = train.features().max(1);
    train
        .images
        .as_slice()
        .par_chunks(features)
        .zip(&train.labels)
        .map(|(row, &label)| {
            // A sum of u32 0/1 values, which LLVM vectorizes 16 lanes wide.
            key(label, row.iter().map(|&v| u32::from(v != 0.0)).sum())
        })
        .collect()
}

/// Candidates [`group_by_overlap`] weighs for each row it adds to a group.
const OVERLAP_WINDOW: usize = 64;

/// `rows` (in [`row_order_keys`] order) reordered so that each group of
/// [`matrix::sparse::GROUP`] consecutive rows shares more of its nonzero
/// columns: the first row not yet taken starts a group, which then takes,
/// one at a time, the row among the next [`OVERLAP_WINDOW`] that adds the
/// fewest columns to the group's union (the first on ties). Made once for
/// a full batch, where it cuts the columns the sparse forward multiplies
/// (on MNIST's first 33,600 images, 2.17 million stored columns down to
/// 1.79 million); a mini-batch has too few rows to choose from to gain
/// this way. Deterministic: the order depends on the data alone.
fn group_by_overlap(rows: &[usize], data: &Dataset) -> Vec<usize> {
    use rayon::prelude::*;
    let group = matrix::sparse::GROUP;
    let words = data.features().div_ceil(64);
    // Bit j of row t's words: feature j of rows[t] is nonzero.
    let mut bits = vec![0u64; rows.len() * words];
    bits.par_chunks_mut(words.max(1))
        .zip(rows)
        .for_each(|(row_bits, &i)| {
            for (j, &v) in data.images.row(i).iter().enumerate() {
                row_bits[j / 64] |= u64::from(v != 0.0) << (j % 64);
            }
        });
    let bits_of = |t: usize| &bits[t * words..(t + 1) * words];
    let mut out = Vec::with_capacity(rows.len());
    let mut window: Vec<usize> = Vec::with_capacity(OVERLAP_WINDOW + 1);
    let mut next = 0;
    let mut union = vec![0u64; words];
    loop {
        while window.len() <= OVERLAP_WINDOW && next < rows.len() {
            window.push(next);
            next += 1;
        }
        if window.is_empty() {
            return out;
        }
        let first = window.remove(0);
        union.copy_from_slice(bits_of(first));
        out.push(rows[first]);
        for _ in 1..group {
            let added = |&c: &usize| -> u32 {
                union
                    .iter()
                    .zip(bits_of(window[c]))
                    .map(|(u, b)| (b & !u).count_ones())
                    .sum()
            };
            let Some(best) = (0..window.len()).min_by_key(added) else {
                break;
            };
            let t = window.remove(best);
            union.iter_mut().zip(bits_of(t)).for_each(|(u, b)| *u |= b);
            out.push(rows[t]);
        }
    }
}

/// Rows evaluated per forward pass: bounds activation memory.
pub const EVAL_CHUNK: usize = 2048;

/// Predicted class of every sample.
pub fn predict(net: &mut Network<f32>, data: &Dataset) -> Result<Vec<usize>, NnError> {
    net.predict(data.images.view(), EVAL_CHUNK)
}

/// Fraction of samples whose predicted class equals the label.
pub fn accuracy(net: &mut Network<f32>, data: &Dataset) -> Result<f64, NnError> {
    let pred = predict(net, data)?;
    Ok(crate::metrics::accuracy(&pred, &data.labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use matrix::SparseMatrix;

    /// Rows of two disjoint patterns, interleaved A B A B ...: in that order
    /// every group of 4 stores both patterns' columns; regrouped, each
    /// group is one pattern.
    #[test]
    fn grouping_by_overlap_is_a_permutation_that_stores_fewer_columns() {
        let (n, features) = (40, 130);
        let images = Matrix::from_fn(n, features, |i, j| {
            let in_pattern = if i % 2 == 0 { j % 3 == 0 } else { j % 3 == 1 };
            // A few columns that differ row by row, so that ties are rare.
            if in_pattern || j == 100 + i % 30 {
                0.5
            } else {
                0.0
            }
        });
        let data = Dataset {
            images,
            labels: vec![0; n],
            classes: 2,
            image_shape: (10, 13),
        };
        let rows: Vec<usize> = (0..n).collect();
        let grouped = group_by_overlap(&rows, &data);
        let mut sorted = grouped.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, rows, "a permutation of the rows");
        let stored =
            |order: &[usize]| SparseMatrix::from_dense(&data.select(order).images).stored_columns();
        let (before, after) = (stored(&rows), stored(&grouped));
        // Interleaved: 10 groups x (2 x 44 pattern columns + up to 4 odd ones);
        // regrouped: about half of that.
        assert!(
            after * 10 < before * 6,
            "{before} -> {after} stored columns"
        );
        // Each group of 4 holds rows of one pattern.
        for g in grouped.chunks(4) {
            assert!(g.iter().all(|&i| i % 2 == g[0] % 2), "{grouped:?}");
        }
    }
}
