//! Every layer, every loss and whole networks against central finite
//! differences in f64: relative error below 1e-6.

use matrix::{Matrix, Scalar};
use nn::{Activation, Init, InputSparsity, Layer, Loss, Network, PreparedBatch};
use rand::{rngs::StdRng, Rng, SeedableRng};

/// Step of the central differences: truncation error ~H², round-off ~1e-16/H.
const H: f64 = 1e-5;
const TOL: f64 = 1e-6;

fn random(rows: usize, cols: usize, rng: &mut StdRng) -> Matrix<f64> {
    Matrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
}

/// 85% zeros, as MNIST pixels (81%): inputs the sparse first layer takes.
fn mostly_zero<T: Scalar>(rows: usize, cols: usize, rng: &mut StdRng) -> Matrix<T> {
    Matrix::from_fn(rows, cols, |_, _| {
        if rng.random_bool(0.15) {
            T::from_f64(rng.random_range(0.0..1.0))
        } else {
            T::ZERO
        }
    })
}

/// Relative error, with a floor of 1e-3 on the denominator: below that the
/// finite difference itself carries ~1e-11 of round-off, so tiny gradients
/// are compared absolutely (to 1e-9).
fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-3)
}

/// Checks every parameter's gradient of `loss(net)` by central differences.
fn check_params(
    net: &mut Network<f64>,
    analytic: &[f64],
    mut loss: impl FnMut(&mut Network<f64>) -> f64,
    what: &str,
) {
    for (i, &grad) in analytic.iter().enumerate() {
        let orig = net.params()[i];
        net.params_mut()[i] = orig + H;
        let up = loss(net);
        net.params_mut()[i] = orig - H;
        let down = loss(net);
        net.params_mut()[i] = orig;
        let numeric = (up - down) / (2.0 * H);
        assert!(
            rel_err(numeric, grad) < TOL,
            "{what}: parameter {i}: numeric {numeric} vs analytic {grad}"
        );
    }
}

/// A network with the given activation / output layer, checked through a
/// linear functional `L = sum(R ⊙ output)`, so that the layer's own backward
/// (not a fused loss) is what gets tested.
fn check_layer_backward(hidden_act: Layer, output: Layer) {
    let mut rng = StdRng::seed_from_u64(11);
    let layers = vec![
        Layer::Dense {
            inputs: 5,
            outputs: 7,
        },
        hidden_act,
        Layer::Dense {
            inputs: 7,
            outputs: 4,
        },
        output,
    ];
    // Any loss works for construction; only the functional's gradient is used.
    let loss = if output == Layer::Softmax {
        Loss::SoftmaxCrossEntropy
    } else {
        Loss::BinaryCrossEntropy
    };
    let build = Network::<f64>::new(
        layers.clone(),
        loss,
        Init::Uniform {
            low: -0.8,
            high: 0.8,
        },
        &mut rng,
    );
    let mut net = match build {
        Ok(n) => n,
        // BCE wants one output: use the softmax loss for construction instead.
        Err(_) => Network::<f64>::new(
            layers[..3]
                .iter()
                .copied()
                .chain([Layer::Softmax])
                .collect(),
            Loss::SoftmaxCrossEntropy,
            Init::Uniform {
                low: -0.8,
                high: 0.8,
            },
            &mut rng,
        )
        .unwrap(),
    };
    let x = random(6, 5, &mut rng);
    let r = random(6, 4, &mut rng);
    net.backward_linear_functional(x.view(), r.view()).unwrap();
    let analytic = net.grads().to_vec();
    let what = format!("{hidden_act:?} -> {output:?}");
    check_params(
        &mut net,
        &analytic,
        |n| {
            let out = n.forward(x.view()).unwrap();
            (0..6)
                .flat_map(|i| (0..4).map(move |j| (i, j)))
                .map(|(i, j)| out[(i, j)] * r[(i, j)])
                .sum()
        },
        &what,
    );
}

#[test]
fn dense_relu_backward() {
    check_layer_backward(Layer::Act(Activation::Relu), Layer::Softmax);
}

#[test]
fn dense_tanh_backward() {
    check_layer_backward(Layer::Act(Activation::Tanh), Layer::Softmax);
}

#[test]
fn dense_sigmoid_backward() {
    check_layer_backward(Layer::Act(Activation::Sigmoid), Layer::Softmax);
}

#[test]
fn softmax_layer_backward_through_its_jacobian() {
    check_layer_backward(Layer::Act(Activation::Tanh), Layer::Softmax);
}

/// The fused softmax + cross-entropy gradient, through a whole deep network.
#[test]
fn whole_network_with_cross_entropy() {
    let mut rng = StdRng::seed_from_u64(12);
    for act in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
        let mut net = Network::<f64>::mlp(
            6,
            &[9, 5],
            act,
            4,
            Loss::SoftmaxCrossEntropy,
            Init::Auto,
            &mut rng,
        )
        .unwrap();
        // Non-zero biases so every path is exercised.
        let n = net.params().len();
        for i in 0..n {
            net.params_mut()[i] += rng.random_range(-0.1..0.1);
        }
        let x = random(7, 6, &mut rng);
        let labels: Vec<u8> = (0..7).map(|_| rng.random_range(0..4)).collect();
        net.train_step(x.view(), &labels).unwrap();
        let analytic = net.grads().to_vec();
        check_params(
            &mut net,
            &analytic,
            |n| n.train_step(x.view(), &labels).unwrap().0,
            &format!("mlp {act:?} + CE"),
        );
    }
}

/// Sigmoid + binary cross-entropy (the two-moons network's loss).
#[test]
fn whole_network_with_binary_cross_entropy() {
    let mut rng = StdRng::seed_from_u64(13);
    let mut net = Network::<f64>::mlp(
        2,
        &[10, 2],
        Activation::Tanh,
        1,
        Loss::BinaryCrossEntropy,
        Init::Auto,
        &mut rng,
    )
    .unwrap();
    let x = random(9, 2, &mut rng);
    let labels: Vec<u8> = (0..9).map(|i| (i % 2) as u8).collect();
    net.train_step(x.view(), &labels).unwrap();
    let analytic = net.grads().to_vec();
    check_params(
        &mut net,
        &analytic,
        |n| n.train_step(x.view(), &labels).unwrap().0,
        "moons net + BCE",
    );
}

/// f32 and f64 networks with the same parameters agree (the f32 path is the
/// one that trains; the f64 one is what the checks above validate).
#[test]
fn f32_gradients_agree_with_f64() {
    let mut rng = StdRng::seed_from_u64(14);
    let mut n64 = Network::<f64>::mlp(
        8,
        &[16],
        Activation::Relu,
        3,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng,
    )
    .unwrap();
    let mut rng2 = StdRng::seed_from_u64(14);
    let mut n32 = Network::<f32>::mlp(
        8,
        &[16],
        Activation::Relu,
        3,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng2,
    )
    .unwrap();
    for (a, b) in n32.params_mut().iter_mut().zip(n64.params()) {
        *a = *b as f32;
    }
    let x = random(5, 8, &mut rng);
    let x32 = Matrix::from_fn(5, 8, |i, j| x[(i, j)] as f32);
    let labels = [0u8, 1, 2, 1, 0];
    n64.train_step(x.view(), &labels).unwrap();
    n32.train_step(x32.view(), &labels).unwrap();
    for (g32, g64) in n32.grads().iter().zip(n64.grads()) {
        assert!((*g32 as f64 - g64).abs() < 1e-5, "{g32} vs {g64}");
    }
}

#[test]
fn invalid_architectures_are_typed_errors() {
    let mut rng = StdRng::seed_from_u64(0);
    let bad = [
        vec![
            Layer::Dense {
                inputs: 3,
                outputs: 4,
            },
            Layer::Dense {
                inputs: 5,
                outputs: 2,
            },
            Layer::Softmax,
        ],
        vec![Layer::Softmax],
        vec![
            Layer::Act(Activation::Relu),
            Layer::Dense {
                inputs: 3,
                outputs: 2,
            },
            Layer::Softmax,
        ],
        vec![
            Layer::Dense {
                inputs: 3,
                outputs: 2,
            },
            Layer::Act(Activation::Relu),
        ],
        vec![
            Layer::Dense {
                inputs: 0,
                outputs: 2,
            },
            Layer::Softmax,
        ],
    ];
    for layers in bad {
        let err = Network::<f32>::new(
            layers.clone(),
            Loss::SoftmaxCrossEntropy,
            Init::Auto,
            &mut rng,
        )
        .err();
        assert!(
            matches!(err, Some(nn::NnError::Architecture(_))),
            "{layers:?} accepted"
        );
    }
    let mut net = Network::<f32>::mlp(
        3,
        &[4],
        Activation::Relu,
        2,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng,
    )
    .unwrap();
    let x = Matrix::<f32>::zeros(2, 3);
    assert!(
        net.train_step(x.view(), &[0, 5]).is_err(),
        "label out of range accepted"
    );
    assert!(
        net.train_step(x.view(), &[0]).is_err(),
        "label count mismatch accepted"
    );
    assert!(
        net.forward(Matrix::<f32>::zeros(2, 4).view()).is_err(),
        "wrong width accepted"
    );
}

/// The full-batch path (first-layer weight gradient from a stored transpose
/// of the input) gives the same gradients as the plain step, up to rounding.
/// Every way the first layer can read its input (dense gemm, a prepared
/// dense transpose, the sparse products per step or prepared once) gives
/// the same loss, gradients and outputs, up to rounding, on dense and on
/// mostly-zero inputs. The dense path is the one checked against finite
/// differences above.
#[test]
fn every_first_layer_input_path_matches_the_dense_step() {
    let mut rng = StdRng::seed_from_u64(15);
    let mut net = Network::<f64>::mlp(
        40,
        &[12],
        Activation::Relu,
        10,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng,
    )
    .unwrap();
    let labels: Vec<u8> = (0..300).map(|_| rng.random_range(0..10)).collect();
    let dense_x = random(300, 40, &mut rng);
    let sparse_x = mostly_zero::<f64>(300, 40, &mut rng);
    for (x, sparse) in [(&dense_x, false), (&sparse_x, true)] {
        net.set_input_sparsity(InputSparsity::Dense);
        let (want_loss, _) = net.train_step(x.view(), &labels).unwrap();
        let want_grads = net.grads().to_vec();
        let want_out = net.forward(x.view()).unwrap().to_matrix();

        let close = |a: &[f64], b: &[f64], what: &str| {
            for (x, y) in a.iter().zip(b) {
                assert!(
                    (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
                    "{what}: {x} vs {y}"
                );
            }
        };
        net.set_input_sparsity(InputSparsity::Auto);
        let prepared = PreparedBatch::new(x.view(), InputSparsity::Auto);
        assert_eq!(prepared.is_sparse(), sparse);
        let (loss, _) = net.train_step_prepared(&prepared, &labels).unwrap();
        assert!((loss - want_loss).abs() <= 1e-12, "prepared loss");
        close(net.grads(), &want_grads, "prepared gradients");
        let (loss, _) = net.train_step(x.view(), &labels).unwrap();
        assert!((loss - want_loss).abs() <= 1e-12, "auto loss");
        close(net.grads(), &want_grads, "auto gradients");
        let out = net.forward(x.view()).unwrap().to_matrix();
        close(out.as_slice(), want_out.as_slice(), "auto forward");
    }
}

/// The fused forward pass (bias and ReLU in the gemm epilogue) against the
/// plain one (gemm, then a bias sweep, then a ReLU sweep), on dense and
/// sparse input: the same loss, gradients and outputs, bit for bit (the
/// epilogue does the same additions in the same order).
#[test]
fn fused_epilogues_match_the_unfused_passes() {
    let mut rng = StdRng::seed_from_u64(16);
    let mut net = Network::<f32>::mlp(
        50,
        &[24, 16],
        Activation::Relu,
        10,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng,
    )
    .unwrap();
    let labels: Vec<u8> = (0..200).map(|_| rng.random_range(0..10)).collect();
    let dense_x = Matrix::from_fn(200, 50, |_, _| rng.random_range(-1.0f32..1.0));
    let sparse_x = mostly_zero::<f32>(200, 50, &mut rng);
    for x in [&dense_x, &sparse_x] {
        let mut run = |fused: bool| {
            net.set_fused_epilogues(fused);
            let (loss, correct) = net.train_step(x.view(), &labels).unwrap();
            let out = net.forward(x.view()).unwrap().to_matrix();
            (loss.to_bits(), correct, net.grads().to_vec(), out)
        };
        let (fused, plain) = (run(true), run(false));
        assert_eq!(fused.0, plain.0, "loss");
        assert_eq!(fused.1, plain.1, "correct");
        assert_eq!(fused.2, plain.2, "gradients");
        assert_eq!(fused.3, plain.3, "outputs");
    }
}

/// Squared error (the slides' convention, `½‖y_pred − y‖²` per sample, mean
/// over the batch) on the network's outputs, backpropagated through the
/// output layer's own backward: the slides' `δᴸ = (y_pred − y) ⊙ f′(zᴸ)`
/// with a sigmoid output, and the same through a softmax output's Jacobian.
#[test]
fn squared_error_through_the_output_activation() {
    use nn::loss::squared_error;
    let cases = [
        (1, Layer::Act(Activation::Sigmoid), Loss::BinaryCrossEntropy),
        (4, Layer::Softmax, Loss::SoftmaxCrossEntropy),
    ];
    for (outputs, last, construct) in cases {
        let mut rng = StdRng::seed_from_u64(17);
        let layers = vec![
            Layer::Dense {
                inputs: 5,
                outputs: 7,
            },
            Layer::Act(Activation::Tanh),
            Layer::Dense { inputs: 7, outputs },
            last,
        ];
        // The fused loss only fixes the last layer; training here is by
        // squared error through `backward_linear_functional`.
        let init = Init::Uniform {
            low: -0.8,
            high: 0.8,
        };
        let mut net = Network::<f64>::new(layers, construct, init, &mut rng).unwrap();
        let m = 6;
        let x = random(m, 5, &mut rng);
        let y = Matrix::from_fn(m, outputs, |_, _| rng.random_range(0.0..1.0));
        let mean_loss = |n: &mut Network<f64>, d: &mut Matrix<f64>| {
            let out = n.forward(x.view()).unwrap().to_matrix();
            squared_error(out.view(), y.view(), d.view_mut(), 1.0 / m as f64) / m as f64
        };
        let mut d = Matrix::zeros(m, outputs);
        mean_loss(&mut net, &mut d);
        net.backward_linear_functional(x.view(), d.view()).unwrap();
        let analytic = net.grads().to_vec();
        let mut scratch = Matrix::zeros(m, outputs);
        check_params(
            &mut net,
            &analytic,
            |n| mean_loss(n, &mut scratch),
            &format!("squared error through {last:?}"),
        );
    }
}

/// Max pooling between two Dense layers: its backward pass (routing each
/// gradient to its window's maximum) against central differences, through
/// the fused loss, with a map whose last row and column are dropped.
#[test]
fn max_pooling_backward() {
    let mut rng = StdRng::seed_from_u64(14);
    let (channels, height, width, size) = (2, 5, 5, 2);
    let layers = vec![
        Layer::Dense {
            inputs: 6,
            outputs: channels * height * width,
        },
        Layer::Act(Activation::Tanh),
        Layer::MaxPool2d {
            channels,
            height,
            width,
            size,
        },
        Layer::Dense {
            inputs: channels * 2 * 2,
            outputs: 3,
        },
        Layer::Softmax,
    ];
    let init = Init::Uniform {
        low: -0.8,
        high: 0.8,
    };
    let mut net = Network::<f64>::new(layers, Loss::SoftmaxCrossEntropy, init, &mut rng).unwrap();
    assert_eq!(net.describe(), "6-50(tanh)-maxpool2(2x2x2)-3(softmax)");
    let x = random(4, 6, &mut rng);
    let labels = [0u8, 2, 1, 2];
    net.train_step(x.view(), &labels).unwrap();
    let analytic = net.grads().to_vec();
    check_params(
        &mut net,
        &analytic,
        |n| n.train_step(x.view(), &labels).unwrap().0,
        "dense-tanh-maxpool-dense",
    );
}

/// A small convolutional network against central differences: a padded
/// strided convolution with its fused ReLU, max pooling, dropout (its mask
/// replayed for every evaluation), a second convolution with a tanh after
/// it, then Dense and Softmax through the fused loss. The second
/// convolution's input gradient feeds the first one's parameters, so every
/// product of both passes is checked.
#[test]
fn convolutional_network_backward() {
    use nn::layers::conv::Conv;
    use nn::layers::dropout::Dropout;
    let mut rng = StdRng::seed_from_u64(15);
    let conv1 = Conv {
        channels: 2,
        height: 7,
        width: 6,
        filters: 3,
        kernel: 3,
        stride: 1,
        padding: 1,
    };
    let conv2 = Conv {
        channels: 3,
        height: 3,
        width: 3,
        filters: 4,
        kernel: 2,
        stride: 1,
        padding: 0,
    };
    let layers = vec![
        conv1.layer(),
        Layer::Act(Activation::Relu),
        Layer::MaxPool2d {
            channels: 3,
            height: 7,
            width: 6,
            size: 2,
        },
        Layer::Dropout(Dropout::new(0.3).unwrap()),
        conv2.layer(),
        Layer::Act(Activation::Tanh),
        Layer::Dense {
            inputs: 16,
            outputs: 3,
        },
        Layer::Softmax,
    ];
    let init = Init::Uniform {
        low: -0.8,
        high: 0.8,
    };
    let mut net = Network::<f64>::new(layers, Loss::SoftmaxCrossEntropy, init, &mut rng).unwrap();
    assert_eq!(
        net.describe(),
        "84-conv3x3(3x7x6,relu)-maxpool2(3x3x3)-dropout0.3-conv2x2(4x2x2,tanh)-3(softmax)"
    );
    let x = random(5, 84, &mut rng);
    let labels = [0u8, 2, 1, 2, 0];
    let step = |n: &mut Network<f64>| {
        n.set_training_steps(0);
        n.train_step(x.view(), &labels).unwrap().0
    };
    step(&mut net);
    let analytic = net.grads().to_vec();
    check_params(
        &mut net,
        &analytic,
        step,
        "conv-relu-pool-dropout-conv-tanh-dense",
    );
}
