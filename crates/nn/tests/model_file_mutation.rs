//! Mutation test of the model-file reader: a real model file written by
//! `save_model`, then 12,000 deterministic mutants of it (bytes flipped
//! anywhere, most in the JSON header; truncations; the header length field
//! changed; header fields rewritten: dtypes, shapes, data offsets, duplicate,
//! missing, extra and renamed tensors, metadata removed or garbled; bytes
//! appended). Each must load as a valid network or give a typed
//! `ModelError` whose message is one line naming the file; a panic fails the
//! test with the mutant's number and what was done to it.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use nn::model_file::{load_model, parse_model, save_model, ModelError, MAX_HEADER_BYTES};
use nn::{Activation, Init, Loss, Network};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Map, Value};

const MUTANTS: usize = 12_000;
const NAME: &str = "mutant.safetensors";

fn original() -> Vec<u8> {
    let net = Network::mlp(
        12,
        &[8, 6],
        Activation::Relu,
        4,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut StdRng::seed_from_u64(11),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("original.safetensors");
    save_model(&net, &path).unwrap();
    std::fs::read(&path).unwrap()
}

/// The parts of a model file: header JSON text and data bytes.
fn split(bytes: &[u8]) -> (String, Vec<u8>) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (
        String::from_utf8(bytes[8..8 + n].to_vec()).unwrap(),
        bytes[8 + n..].to_vec(),
    )
}

fn join(header: &str, data: &[u8]) -> Vec<u8> {
    let mut v = (header.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(header.as_bytes());
    v.extend_from_slice(data);
    v
}

/// A value that a header field could be given instead of its own.
fn odd_number(rng: &mut StdRng) -> Value {
    match rng.random_range(0..12) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(u64::MAX),
        3 => json!(1u64 << 40),
        4 => json!(usize::MAX / 2 + 1),
        5 => json!(1.5),
        6 => json!("3"),
        7 => json!(null),
        8 => json!(i64::MIN),
        9 => json!(1e300),
        10 => json!(rng.random_range(0..4096)),
        _ => json!(rng.random_range(0..64)),
    }
}

fn garbled_architecture(rng: &mut StdRng) -> String {
    let options = [
        "",
        ",",
        "softmax",
        "dense:12:8",
        "dense:12:8,relu,dense:8:6,relu,dense:6:4",
        "dense:12:8,relu,dense:8:6,relu,dense:6:4,softmax,softmax",
        "dense:8:12,relu,dense:12:6,relu,dense:6:4,softmax",
        "dense:12:8,gelu,dense:8:6,relu,dense:6:4,softmax",
        "dense:12:8:1,relu,dense:8:6,relu,dense:6:4,softmax",
        "dense:-12:8,relu,dense:8:6,relu,dense:6:4,softmax",
        "dense:0:0,softmax",
        "dense:99999999999:99999999999,softmax",
        "dense:1048577:1,softmax",
        "dense:18446744073709551615:2,softmax",
        "relu,relu,relu",
        "dense:12:8,relu,dense:8:6,relu,dense:6:4,softmax,dense:4:4",
    ];
    match rng.random_range(0..(options.len() + 2)) {
        i if i < options.len() => options[i].to_string(),
        i if i == options.len() => "relu,".repeat(rng.random_range(1..200_000)) + "softmax",
        _ => "dense:1:1,".repeat(rng.random_range(1..100_000)) + "softmax",
    }
}

/// One random edit of the header object; says what it did.
fn edit_header(h: &mut Map<String, Value>, data: &mut Vec<u8>, rng: &mut StdRng) -> String {
    let names: Vec<String> = h.keys().filter(|k| *k != "__metadata__").cloned().collect();
    if names.is_empty() {
        h.insert(
            "w".into(),
            json!({"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}),
        );
        return "tensor w added to an empty header".into();
    }
    let pick = |rng: &mut StdRng| names[rng.random_range(0..names.len())].clone();
    // An earlier edit may have replaced an entry by a scalar: such edits
    // then do nothing.
    fn field<'a>(h: &'a mut Map<String, Value>, n: &str, f: &str) -> Option<&'a mut Value> {
        h.get_mut(n)?.as_object_mut()?.get_mut(f)
    }
    fn list<'a>(h: &'a mut Map<String, Value>, n: &str, f: &str) -> Option<&'a mut Vec<Value>> {
        field(h, n, f)?.as_array_mut()
    }
    fn meta(h: &mut Map<String, Value>) -> &mut Map<String, Value> {
        if !h.get("__metadata__").is_some_and(Value::is_object) {
            h.insert("__metadata__".into(), json!({}));
        }
        h.get_mut("__metadata__")
            .and_then(Value::as_object_mut)
            .unwrap()
    }
    match rng.random_range(0..14) {
        0 => {
            let n = pick(rng);
            let dtypes = [
                json!("F64"),
                json!("F16"),
                json!("BF16"),
                json!("I8"),
                json!("U8"),
                json!("I64"),
                json!("I32"),
                json!("U32"),
                json!("F4"),
                json!("BOOL"),
                json!("f32"),
                json!("XYZ"),
                json!(""),
                json!(4),
                json!(null),
            ];
            if let Some(d) = field(h, &n, "dtype") {
                *d = dtypes[rng.random_range(0..dtypes.len())].clone();
            }
            format!("dtype of {n}")
        }
        1 => {
            let n = pick(rng);
            let v = odd_number(rng);
            let i = rng.random_range(0..4);
            if let Some(shape) = list(h, &n, "shape") {
                if shape.is_empty() {
                    shape.push(v);
                } else {
                    let at = i % shape.len();
                    shape[at] = v;
                }
            }
            format!("shape value of {n}")
        }
        2 => {
            let n = pick(rng);
            let how = rng.random_range(0..4);
            if let Some(shape) = list(h, &n, "shape") {
                match how {
                    0 => shape.clear(),
                    1 => shape.push(json!(1)),
                    2 => {
                        shape.pop();
                    }
                    _ => shape.reverse(),
                }
            }
            format!("shape length of {n}")
        }
        3 => {
            let n = pick(rng);
            if let Some(o) = list(h, &n, "data_offsets").filter(|o| o.len() == 2) {
                o.swap(0, 1);
            }
            format!("data_offsets of {n} swapped")
        }
        4 => {
            // Overlap, gap or out of range by a few bytes.
            let n = pick(rng);
            let i = rng.random_range(0..2);
            let d: i64 = [-8, -4, -1, 1, 4, 8, 4096][rng.random_range(0..7)];
            if let Some(o) = list(h, &n, "data_offsets").filter(|o| o.len() == 2) {
                if let Some(x) = o[i].as_i64() {
                    o[i] = json!(x + d);
                }
            }
            format!("data_offsets[{i}] of {n} moved by {d}")
        }
        5 => {
            let n = pick(rng);
            let i = rng.random_range(0..2);
            let v = odd_number(rng);
            if let Some(o) = list(h, &n, "data_offsets").filter(|o| o.len() == 2) {
                o[i] = v;
            }
            format!("data_offsets[{i}] of {n} replaced")
        }
        6 => {
            let n = pick(rng);
            let how = rng.random_range(0..3);
            if let Some(o) = list(h, &n, "data_offsets") {
                match how {
                    0 => o.push(json!(0)),
                    1 => {
                        o.pop();
                    }
                    _ => o.clear(),
                }
            }
            format!("data_offsets of {n} resized")
        }
        7 => {
            // Two tensors share a range.
            let (a, b) = (pick(rng), pick(rng));
            if let Some(o) = field(h, &a, "data_offsets").cloned() {
                if let Some(to) = field(h, &b, "data_offsets") {
                    *to = o;
                }
            }
            format!("{b} given the range of {a}")
        }
        8 => {
            let n = pick(rng);
            h.remove(&n);
            format!("tensor {n} removed")
        }
        9 => {
            // An extra tensor after the data, with its bytes.
            let len = data.len() as u64;
            let k = rng.random_range(0..5u64);
            let name = ["layers.9.weight", "layers.0.extra", "x", "layers.1.bias2"]
                [rng.random_range(0..4)];
            h.insert(
                name.into(),
                json!({"dtype": "F32", "shape": [k], "data_offsets": [len, len + 4 * k]}),
            );
            data.extend(std::iter::repeat_n(0x3f, 4 * k as usize));
            format!("extra tensor {name} of {k}")
        }
        10 => {
            let n = pick(rng);
            let v = h.remove(&n).unwrap();
            let new = [
                "layers.0.weight",
                "layers.2.bias",
                "layers.7.weight",
                "",
                "__metadata__",
            ][rng.random_range(0..5)];
            h.insert(new.into(), v);
            format!("{n} renamed {new:?}")
        }
        11 => {
            match rng.random_range(0..4) {
                0 => {
                    h.remove("__metadata__");
                }
                1 => {
                    h.insert("__metadata__".into(), json!(["matnet"]));
                }
                2 => {
                    let loss = ["mse", "hinge", "", "binary_cross_entropy"][rng.random_range(0..4)];
                    meta(h).insert("loss".into(), json!(loss));
                }
                _ => {
                    let v = odd_number(rng);
                    meta(h).insert("format".into(), v);
                }
            }
            "metadata removed or garbled".into()
        }
        12 => {
            let a = garbled_architecture(rng);
            meta(h).insert("architecture".into(), json!(a));
            "architecture garbled".into()
        }
        _ => {
            let n = pick(rng);
            let v = odd_number(rng);
            h.insert(n.clone(), v);
            format!("entry {n} replaced by a scalar")
        }
    }
}

/// Mutant number `i`: its bytes and a description.
fn mutant(orig: &[u8], i: usize, rng: &mut StdRng) -> (Vec<u8>, String) {
    let header_len = u64::from_le_bytes(orig[..8].try_into().unwrap()) as usize;
    let mut b = orig.to_vec();
    match i % 20 {
        // Bytes flipped in the header (heavily), anywhere, in the length field.
        0..=5 => {
            let flips = rng.random_range(1..=4);
            for _ in 0..flips {
                let at = rng.random_range(8..8 + header_len);
                b[at] ^= rng.random_range(1..=255u8);
            }
            (b, format!("{flips} header bytes flipped"))
        }
        6 | 7 => {
            let at = rng.random_range(0..b.len());
            b[at] ^= 1 << rng.random_range(0..8);
            (b, format!("bit flipped at {at}"))
        }
        8 => {
            let at = rng.random_range(0..8);
            b[at] ^= rng.random_range(1..=255u8);
            (b, format!("length byte {at} flipped"))
        }
        // Truncated.
        9 | 10 => {
            let len = rng.random_range(0..b.len());
            b.truncate(len);
            (b, format!("truncated to {len}"))
        }
        // Header length field set to odd values.
        11 => {
            let values = [
                0,
                1,
                7,
                u64::MAX,
                1 << 40,
                MAX_HEADER_BYTES,
                MAX_HEADER_BYTES + 1,
                b.len() as u64,
                b.len() as u64 - 8,
                b.len() as u64 - 7,
            ];
            let v = if rng.random_bool(0.5) {
                values[rng.random_range(0..values.len())]
            } else {
                (header_len as i64 + rng.random_range(-16..=16)) as u64
            };
            b[..8].copy_from_slice(&v.to_le_bytes());
            (b, format!("header length set to {v}"))
        }
        // Bytes appended.
        12 => {
            let k = rng.random_range(1..100);
            b.extend((0..k).map(|_| rng.random::<u8>()));
            (b, format!("{k} bytes appended"))
        }
        // Header fields rewritten (one to three edits), sometimes then a byte
        // flipped or duplicate names spliced into the text.
        _ => {
            let (text, mut data) = split(orig);
            let Value::Object(mut h) = serde_json::from_str(&text).unwrap() else {
                unreachable!()
            };
            let edits = rng.random_range(1..=3);
            let mut what = Vec::new();
            for _ in 0..edits {
                what.push(edit_header(&mut h, &mut data, rng));
            }
            let mut text = Value::Object(h).to_string();
            if rng.random_bool(0.1) {
                // A duplicate name: the same key twice in the text.
                let dup = format!(
                    r#""layers.0.bias":{{"dtype":"F32","shape":[8],"data_offsets":[{},{}]}},"#,
                    rng.random_range(0..4) * 4,
                    rng.random_range(8..12) * 4
                );
                text.insert_str(1, &dup);
                what.push("duplicate layers.0.bias".into());
            }
            if rng.random_bool(0.5) {
                while !text.len().is_multiple_of(8) {
                    text.push(' ');
                }
            }
            let mut b = join(&text, &data);
            if rng.random_bool(0.1) {
                let at = rng.random_range(0..b.len());
                b[at] ^= rng.random_range(1..=255u8);
                what.push(format!("byte {at} flipped"));
            }
            (b, what.join("; "))
        }
    }
}

fn kind(e: &ModelError) -> &'static str {
    match e {
        ModelError::Io { .. } => "Io",
        ModelError::NotRegularFile { .. } => "NotRegularFile",
        ModelError::TooLarge { .. } => "TooLarge",
        ModelError::HeaderTooLarge { .. } => "HeaderTooLarge",
        ModelError::TooManyTensors { .. } => "TooManyTensors",
        ModelError::Format { .. } => "Format",
        ModelError::UnsupportedDtype { .. } => "UnsupportedDtype",
        ModelError::OutOfMemory { .. } => "OutOfMemory",
        ModelError::Invalid { .. } => "Invalid",
    }
}

/// Loads `bytes` (from memory, or through a file when `dir` is given) and
/// classifies the outcome; `Err` describes a panic or a bad message.
fn outcome(bytes: &[u8], dir: Option<&Path>) -> Result<&'static str, String> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        let loaded = match dir {
            Some(d) => {
                let path = d.join(NAME);
                std::fs::write(&path, bytes).unwrap();
                load_model(&path)
            }
            None => parse_model(bytes, Path::new(NAME)),
        };
        match loaded {
            Ok(mut net) => {
                // A loaded network is usable.
                let x = matrix::Matrix::from_fn(1, net.input_width(), |_, j| j as f32 * 0.1);
                net.predict(x.view(), 1).unwrap();
                Ok("Ok")
            }
            Err(e) => {
                let msg = e.to_string();
                if msg.contains('\n') || !msg.contains(NAME) {
                    Err(format!("message is not one line naming the file: {msg:?}"))
                } else {
                    Ok(kind(&e))
                }
            }
        }
    }));
    match result {
        Ok(r) => r,
        Err(p) => Err(format!(
            "panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
    }
}

#[test]
fn every_mutant_of_a_model_file_loads_or_is_refused_with_a_typed_error() {
    let orig = original();
    assert_eq!(outcome(&orig, None), Ok("Ok"));
    let dir = tempfile::tempdir().unwrap();
    let mut rng = StdRng::seed_from_u64(0x6d75_7461);
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for i in 0..MUTANTS {
        let (bytes, what) = mutant(&orig, i, &mut rng);
        // Every 50th mutant goes through a file on disk, the rest stay in memory.
        let through_file = i % 50 == 0;
        match outcome(&bytes, through_file.then_some(dir.path())) {
            Ok(k) => *counts.entry(k).or_default() += 1,
            Err(e) => failures.push(format!("mutant {i} ({what}): {e}")),
        }
    }
    eprintln!("{MUTANTS} mutants: {counts:?}");
    assert!(
        failures.is_empty(),
        "{} of {MUTANTS} mutants failed; first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
    // The mutants reach every check: valid files, the crate's layout checks,
    // the limits, dtypes and the architecture checks.
    for k in [
        "Ok",
        "Format",
        "HeaderTooLarge",
        "UnsupportedDtype",
        "Invalid",
    ] {
        assert!(
            counts.get(k).copied().unwrap_or(0) > 0,
            "no mutant gave {k}: {counts:?}"
        );
    }
}
