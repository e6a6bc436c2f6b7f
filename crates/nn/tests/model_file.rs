//! Model files: round trip, and every kind of damage refused with a reason.

use std::collections::BTreeMap;
use std::path::PathBuf;

use matrix::Matrix;
use nn::model_file::{
    load_model, parse_tensors, read_tensors, save_model, write_tensors, ModelError, Tensor,
};
use nn::{Activation, Init, Loss, Network};
use rand::{rngs::StdRng, SeedableRng};

/// A path in a directory of its own per file name (tests run in parallel).
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("matnet-model-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn small_net() -> Network<f32> {
    let mut rng = StdRng::seed_from_u64(3);
    Network::mlp(
        6,
        &[5, 4],
        Activation::Tanh,
        3,
        Loss::SoftmaxCrossEntropy,
        Init::Auto,
        &mut rng,
    )
    .unwrap()
}

#[test]
fn saved_models_load_with_identical_parameters_and_predictions() {
    let mut net = small_net();
    let path = temp("roundtrip.safetensors");
    save_model(&net, &path).unwrap();
    let mut back = load_model(&path).unwrap();
    assert_eq!(back.params(), net.params());
    assert_eq!(back.layers(), net.layers());
    let x = Matrix::from_fn(7, 6, |i, j| (i as f32 - j as f32) * 0.3);
    assert_eq!(
        back.predict(x.view(), 4).unwrap(),
        net.predict(x.view(), 4).unwrap()
    );
    // No temporary file is left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
}

/// Builds a file from a header string and a data section.
fn file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut v = (header.len() as u64).to_le_bytes().to_vec();
    v.extend_from_slice(header.as_bytes());
    v.extend_from_slice(data);
    v
}

#[test]
fn malformed_files_are_refused_with_a_reason() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "too short"),
        (vec![1, 2, 3], "too short"),
        ((1u64 << 40).to_le_bytes().to_vec(), "exceeds"),
        (file("{not json", &[]), "JSON"),
        (file("[1, 2]", &[]), "not a JSON object"),
        (
            file(
                r#"{"w": {"dtype": "I8", "shape": [1], "data_offsets": [0, 1]}}"#,
                &[0],
            ),
            "unsupported dtype",
        ),
        (
            file(
                r#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#,
                &[0; 4],
            ),
            "needs 8 bytes",
        ),
        (
            file(
                r#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}}"#,
                &[0; 4],
            ),
            "outside",
        ),
        (
            file(
                r#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#,
                &[0; 4],
            ),
            "outside",
        ),
        (
            file(
                r#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                &[0; 8],
            ),
            "overlaps",
        ),
        (
            file(
                r#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                &[0; 8],
            ),
            "gap",
        ),
        (
            file(
                r#"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
                &[0; 8],
            ),
            "cover",
        ),
        (
            file(
                r#"{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#,
                &[0; 4],
            ),
            "non-integer",
        ),
        (
            file(
                r#"{"w": {"dtype": "F32", "data_offsets": [0, 4]}}"#,
                &[0; 4],
            ),
            "no 'shape'",
        ),
        (file(r#"{"__metadata__": {"x": 1}}"#, &[]), "not a string"),
    ];
    for (bytes, needle) in cases {
        let err = parse_tensors(&bytes).unwrap_err();
        assert!(err.contains(needle), "expected {needle:?}, got {err:?}");
    }
}

#[test]
fn architecture_mismatches_are_refused() {
    let net = small_net();
    let path = temp("arch.safetensors");
    save_model(&net, &path).unwrap();
    let good = read_tensors(&path).unwrap();

    let write = |tensors: &[Tensor], meta: &BTreeMap<String, String>| {
        let p = temp("bad.safetensors");
        write_tensors(&p, tensors, meta).unwrap();
        load_model(&p)
            .err()
            .expect("bad model accepted")
            .to_string()
    };
    // A tensor missing.
    assert!(write(&good.tensors[1..], &good.metadata).contains("missing"));
    // A wrong shape.
    let mut wrong = good.tensors.clone();
    wrong[0].shape = vec![wrong[0].shape[1], wrong[0].shape[0]];
    assert!(write(&wrong, &good.metadata).contains("shape"));
    // An extra tensor.
    let mut extra = good.tensors.clone();
    extra.push(Tensor {
        name: "layers.9.weight".into(),
        shape: vec![1],
        data: vec![0.0],
    });
    assert!(write(&extra, &good.metadata).contains("not part of the architecture"));
    // No architecture.
    assert!(write(&good.tensors, &BTreeMap::new()).contains("architecture"));
    // A NaN weight.
    let mut nan = good.tensors.clone();
    nan[0].data[0] = f32::NAN;
    assert!(write(&nan, &good.metadata).contains("non-finite"));
    // An unknown layer.
    let mut meta = good.metadata.clone();
    meta.insert(
        "architecture".into(),
        "dense:6:5,gelu,dense:5:3,softmax".into(),
    );
    assert!(write(&good.tensors, &meta).contains("gelu"));
    // An architecture far larger than the tensors: refused before anything
    // of that size is allocated (this would ask for 160 GB).
    let mut huge = good.metadata.clone();
    huge.insert("architecture".into(), "dense:200000:200000,softmax".into());
    assert!(write(&good.tensors, &huge).contains("architecture needs"));
    // A missing file is an I/O error naming it.
    let err = load_model(&temp("does-not-exist.safetensors"))
        .err()
        .unwrap();
    assert!(matches!(err, ModelError::Io { .. }) && err.to_string().contains("does-not-exist"));
}
