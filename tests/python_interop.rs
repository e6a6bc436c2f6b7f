//! Model files are readable from Python: a small trained network (an MLP,
//! and a convolutional network) is saved, loaded with
//! `safetensors.numpy.load_file`, run forward in numpy, and its
//! predictions (and softmax outputs) must equal matnet's for 100 images.
//!
//! Needs `python3` (or `$PYTHON`) with `numpy` and `safetensors`
//! (`python3 -m pip install safetensors numpy`). Without them the test
//! prints why and passes, except when `CI` is set: there it fails, since CI
//! installs them.
//!
//! MNIST comes from the tests' shared lookup (`tests/support/mnist.rs`:
//! `MNIST_DIR`, else `data/mnist/`, else a download); without it the test
//! fails, whatever `CI` says.

use std::process::Command;
use std::time::Instant;

use nn::dataset::{load_mnist, Dataset};
use nn::model_file::{load_model, save_model_as, StoredDtype};
use nn::{fit, Activation, Init, Loss, Network, TrainConfig};
use rand::{rngs::StdRng, SeedableRng};

#[path = "support/mnist.rs"]
mod mnist_data;
use mnist_data::mnist_dir;

/// The forward pass a numpy user writes, driven by the architecture in the
/// metadata. Weights are `inputs x outputs`, so a Dense layer is `x @ W + b`.
const SCRIPT: &str = r#"
import json
import sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

model, images, rows, cols = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])


def read(model):
    """Every tensor as float32. numpy has no bfloat16, so a BF16 file is
    read from its header and bytes as the format defines them (the top 16
    bits of a float32); F32 and F16 files through safetensors' numpy API."""
    with open(model, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    entries = {k: v for k, v in header.items() if k != "__metadata__"}
    if all(v["dtype"] != "BF16" for v in entries.values()):
        return {k: v.astype(np.float32) for k, v in load_file(model).items()}
    out = {}
    for k, v in entries.items():
        assert v["dtype"] == "BF16", (k, v["dtype"])
        b, e = v["data_offsets"]
        bits = np.frombuffer(body[b:e], dtype="<u2").astype(np.uint32) << 16
        out[k] = bits.view(np.float32).reshape(v["shape"])
    return out


tensors = read(model)
with safe_open(model, framework="np") as f:
    meta = f.metadata()
assert meta["format"] == "matnet", meta
assert meta["weight_layout"] == "inputs_x_outputs", meta
x = np.fromfile(images, dtype="<f4").reshape(rows, cols)
expected = set()
for i, layer in enumerate(meta["architecture"].split(",")):
    kind = layer.split(":")[0]
    if kind == "dense":
        _, n_in, n_out = layer.split(":")
        w, b = tensors[f"layers.{i}.weight"], tensors[f"layers.{i}.bias"]
        assert w.dtype == np.float32 and w.shape == (int(n_in), int(n_out)), (i, w.shape)
        assert b.dtype == np.float32 and b.shape == (int(n_out),), (i, b.shape)
        expected |= {f"layers.{i}.weight", f"layers.{i}.bias"}
        x = x @ w + b
    elif kind == "relu":
        x = np.maximum(x, 0)
    elif kind == "tanh":
        x = np.tanh(x)
    elif kind == "sigmoid":
        x = 1 / (1 + np.exp(-x))
    elif kind == "conv2d":
        c, h, w_, f, k, s, pad = map(int, layer.split(":")[1:])
        w, b = tensors[f"layers.{i}.weight"], tensors[f"layers.{i}.bias"]
        assert w.dtype == np.float32 and w.shape == (f, c, k, k), (i, w.shape)
        assert b.shape == (f,), (i, b.shape)
        expected |= {f"layers.{i}.weight", f"layers.{i}.bias"}
        maps = np.pad(x.reshape(-1, c, h, w_), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        windows = np.lib.stride_tricks.sliding_window_view(maps, (k, k), axis=(2, 3))
        windows = windows[:, :, ::s, ::s]
        out = np.einsum("nchwij,ocij->nohw", windows, w) + b[None, :, None, None]
        x = out.reshape(out.shape[0], -1).astype(np.float32)
    elif kind == "maxpool2d":
        c, h, w_, k = map(int, layer.split(":")[1:])
        oh, ow = h // k, w_ // k
        maps = x.reshape(-1, c, h, w_)[:, :, : oh * k, : ow * k]
        x = maps.reshape(-1, c, oh, k, ow, k).max(axis=(3, 5)).reshape(maps.shape[0], -1)
    elif kind == "normalize":
        _, _, mean, std = layer.split(":")
        x = ((x - np.float32(mean)) / np.float32(std)).astype(np.float32)
    elif kind == "dropout":
        pass
    elif kind == "softmax":
        e = np.exp(x - x.max(axis=1, keepdims=True))
        x = e / e.sum(axis=1, keepdims=True)
    else:
        raise SystemExit(f"unknown layer {layer}")
assert set(tensors) == expected, (sorted(tensors), sorted(expected))
print("predictions:", " ".join(str(p) for p in x.argmax(axis=1)))
print("outputs:", " ".join(repr(float(v)) for v in x.ravel()))
"#;

/// Whether Python with numpy and safetensors is here; without it, says why
/// and returns `false` (the test passes), except under `CI`, where it fails.
fn python_or_skip() -> bool {
    match python_ready() {
        Ok(()) => true,
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("python_interop: {why} (CI is set, so this is a failure)")
        }
        Err(why) => {
            eprintln!("python_interop: SKIPPED: {why}");
            false
        }
    }
}

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// `Err(why)` if Python or its packages are missing.
fn python_ready() -> Result<(), String> {
    let py = python();
    match Command::new(&py)
        .args(["-c", "import numpy, safetensors.numpy"])
        .output()
    {
        Err(e) => Err(format!("cannot run {py}: {e}")),
        Ok(o) if !o.status.success() => Err(format!(
            "{py} lacks numpy or safetensors ({}); install them with \
             `{py} -m pip install safetensors numpy`",
            String::from_utf8_lossy(&o.stderr)
                .trim()
                .lines()
                .last()
                .unwrap_or("")
        )),
        Ok(_) => Ok(()),
    }
}

/// MNIST (train, test), found or downloaded by the tests' shared lookup.
fn data() -> (Dataset, Dataset) {
    let dir = mnist_dir();
    let m = load_mnist(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    (m.train, m.test)
}

#[test]
fn numpy_reads_the_model_and_predicts_the_same() {
    let started = Instant::now();
    if !python_or_skip() {
        return;
    }
    let (train, test) = data();
    let mut net = Network::mlp(
        784,
        &[32],
        Activation::Relu,
        10,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut StdRng::seed_from_u64(7),
    )
    .unwrap();
    let config = TrainConfig {
        epochs: 1,
        seed: 7,
        ..TrainConfig::default()
    };
    fit(&mut net, &train, None, &config, &mut ()).unwrap();

    let summary = agrees_with_numpy(&net, &test, StoredDtype::F32);
    eprintln!(
        "python_interop: 784-32-10 trained 1 epoch on MNIST; {summary}, in {:.1?}",
        started.elapsed()
    );
    // The same network stored in half precision (`--save-dtype`): F16
    // through safetensors' numpy API, BF16 from its bytes.
    for dtype in [StoredDtype::Bf16, StoredDtype::F16] {
        let summary = agrees_with_numpy(&net, &test, dtype);
        eprintln!("python_interop: the same stored as {dtype:?}; {summary}");
    }
}

/// A convolutional network (standardised input, a padded convolution,
/// pooling, dropout, a strided convolution) trained 1 epoch on 5,000
/// images, through numpy's forward pass of its saved weights in PyTorch's
/// layout.
#[test]
fn numpy_reads_a_convolutional_model_and_predicts_the_same() {
    let started = Instant::now();
    if !python_or_skip() {
        return;
    }
    let (train, test) = data();
    let spec = "normalize:0.1307:0.3081,conv:6:5:p2,relu,maxpool:2,dropout:0.25,conv:8:3:s2,relu,\
                dense:10";
    let layers = nn::network::layers_from_spec(spec, (1, 28, 28)).unwrap();
    let mut rng = StdRng::seed_from_u64(8);
    let mut net = Network::new(layers, Loss::SoftmaxCrossEntropy, Init::Auto, &mut rng).unwrap();
    let config = TrainConfig {
        epochs: 1,
        seed: 8,
        learning_rate: 0.02,
        ..TrainConfig::default()
    };
    fit(&mut net, &train.take(..5000), None, &config, &mut ()).unwrap();
    let summary = agrees_with_numpy(&net, &test, StoredDtype::F32);
    eprintln!(
        "python_interop: {} trained 1 epoch on 5,000 images; {summary}, in {:.1?}",
        net.describe(),
        started.elapsed()
    );
}

/// Saves `net` as `dtype`, runs the numpy forward pass on the first 100
/// test images, and asserts the same predictions and outputs within 1e-5
/// as the network the file loads back to (`net` itself for f32, its
/// weights rounded otherwise); the summary.
fn agrees_with_numpy(net: &Network<f32>, test: &Dataset, dtype: StoredDtype) -> String {
    let dir = tempfile::Builder::new()
        .prefix("matnet-python-")
        .tempdir()
        .unwrap();
    let model = dir.path().join("model.safetensors");
    save_model_as(net, &model, dtype).unwrap();
    let mut net = load_model(&model).unwrap();
    let n = 100;
    let x = test.images.rows_view(0, n);
    let images = dir.path().join("images.f32");
    let raw: Vec<u8> = x
        .to_matrix()
        .as_slice()
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    std::fs::write(&images, raw).unwrap();
    let script = dir.path().join("forward.py");
    std::fs::write(&script, SCRIPT).unwrap();

    let want = net.predict(x, n).unwrap();
    let probs = net.forward(x).unwrap().to_matrix();
    let accuracy = want
        .iter()
        .zip(&test.labels)
        .filter(|(p, l)| **p == **l as usize)
        .count();

    let o = Command::new(python())
        .arg(&script)
        .arg(&model)
        .arg(&images)
        .args([n.to_string(), "784".to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "the Python forward pass failed:\n{}{stdout}",
        String::from_utf8_lossy(&o.stderr)
    );
    let field = |name: &str| -> Vec<&str> {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name:?} line in {stdout}"))
            .split_whitespace()
            .collect()
    };
    let got: Vec<usize> = field("predictions:")
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    let outputs: Vec<f64> = field("outputs:")
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(got.len(), n);
    assert_eq!(outputs.len(), n * 10);
    let mismatches: Vec<usize> = (0..n).filter(|&i| got[i] != want[i]).collect();
    assert!(
        mismatches.is_empty(),
        "numpy and matnet disagree on images {mismatches:?}: numpy {got:?}, matnet {want:?}"
    );
    let max_diff = outputs
        .iter()
        .zip(probs.as_slice())
        .map(|(p, q)| (p - *q as f64).abs())
        .fold(0.0, f64::max);
    assert!(
        max_diff < 1e-5,
        "softmax outputs differ by up to {max_diff}"
    );
    format!(
        "numpy and matnet agree on all {n} predictions ({accuracy}/{n} correct), outputs \
         within {max_diff:.1e}"
    )
}
