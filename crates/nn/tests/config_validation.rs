//! Every number a training configuration carries is checked by its rule
//! before training starts (`TrainConfig::validate`, which `fit` calls): a
//! NaN, infinite, zero or out-of-range schedule or optimizer parameter is
//! an `NnError::Config` naming it, instead of rates that turn into NaN
//! epochs later (reported then only as a non-finite loss) or a state that
//! grows without bound.

use nn::{NnError, OptimizerKind, Schedule, TrainConfig};

fn config_error(config: &TrainConfig) -> Option<String> {
    match config.validate(100) {
        Ok(()) => None,
        Err(NnError::Config(m)) => Some(m),
        Err(other) => panic!("expected a configuration error, got {other:?}"),
    }
}

const BAD_NUMBERS: [f64; 6] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, -0.0, 0.0];

#[test]
fn schedule_parameters_out_of_range_are_refused_naming_them() {
    for gamma in BAD_NUMBERS {
        let c = TrainConfig {
            schedule: Schedule::Step { every: 3, gamma },
            ..TrainConfig::default()
        };
        let m = config_error(&c).unwrap_or_else(|| panic!("gamma {gamma} accepted"));
        assert!(m.contains("gamma"), "{m}");
    }
    for min_factor in [f64::NAN, f64::INFINITY, -0.5, 1.5] {
        let c = TrainConfig {
            schedule: Schedule::Cosine {
                epochs: 10,
                min_factor,
            },
            ..TrainConfig::default()
        };
        let m = config_error(&c).unwrap_or_else(|| panic!("min_factor {min_factor} accepted"));
        assert!(m.contains("min_factor"), "{m}");
    }
    for schedule in [
        Schedule::Step {
            every: 0,
            gamma: 0.1,
        },
        Schedule::Cosine {
            epochs: 0,
            min_factor: 0.0,
        },
    ] {
        let c = TrainConfig {
            schedule,
            ..TrainConfig::default()
        };
        assert!(config_error(&c).is_some(), "{schedule:?} accepted");
    }
    // What the mnist example builds is accepted.
    for schedule in [
        Schedule::Constant,
        Schedule::Step {
            every: 1,
            gamma: 0.1,
        },
        Schedule::Cosine {
            epochs: 1,
            min_factor: 0.0,
        },
        Schedule::Cosine {
            epochs: 10,
            min_factor: 1.0,
        },
    ] {
        let c = TrainConfig {
            schedule,
            ..TrainConfig::default()
        };
        assert_eq!(config_error(&c), None, "{schedule:?}");
    }
}

#[test]
fn optimizer_coefficients_out_of_range_are_refused_naming_them() {
    for x in [f64::NAN, f64::INFINITY, -0.1, 1.0, 1.5] {
        for optimizer in [
            OptimizerKind::Momentum { mu: x },
            OptimizerKind::Nesterov { mu: x },
            OptimizerKind::Adam {
                beta1: x,
                beta2: 0.999,
                eps: 1e-8,
            },
            OptimizerKind::Adam {
                beta1: 0.9,
                beta2: x,
                eps: 1e-8,
            },
        ] {
            let c = TrainConfig {
                optimizer,
                ..TrainConfig::default()
            };
            assert!(config_error(&c).is_some(), "{optimizer:?} accepted");
        }
    }
    for eps in BAD_NUMBERS {
        let c = TrainConfig {
            optimizer: OptimizerKind::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps,
            },
            ..TrainConfig::default()
        };
        let m = config_error(&c).unwrap_or_else(|| panic!("eps {eps} accepted"));
        assert!(m.contains("eps"), "{m}");
    }
    for name in ["sgd", "momentum", "nesterov", "adam"] {
        let c = TrainConfig {
            optimizer: OptimizerKind::from_name(name).unwrap(),
            ..TrainConfig::default()
        };
        assert_eq!(config_error(&c), None, "{name}");
    }
}

#[test]
fn rates_epochs_and_decay_out_of_range_are_refused() {
    for learning_rate in BAD_NUMBERS {
        let c = TrainConfig {
            learning_rate,
            ..TrainConfig::default()
        };
        assert!(
            config_error(&c).is_some(),
            "learning rate {learning_rate} accepted"
        );
    }
    for weight_decay in [f64::NAN, f64::INFINITY, -1.0] {
        let c = TrainConfig {
            weight_decay,
            ..TrainConfig::default()
        };
        assert!(
            config_error(&c).is_some(),
            "weight decay {weight_decay} accepted"
        );
    }
    let c = TrainConfig {
        epochs: 0,
        ..TrainConfig::default()
    };
    assert!(config_error(&c).is_some());
    // Batch 0 means the full batch (documented), any size is accepted.
    for batch_size in [0, 1, usize::MAX] {
        let c = TrainConfig {
            batch_size,
            ..TrainConfig::default()
        };
        assert_eq!(config_error(&c), None);
    }
}
