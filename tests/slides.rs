//! The slides' worked example (`examples/slides.rs`): every number it prints.

use std::process::Command;

#[path = "support/bin.rs"]
mod bin;

#[test]
fn the_worked_example_prints_the_slides_numbers() {
    let o = Command::new(bin::example("slides"))
        .output()
        .expect("run the slides example");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // z = W x + b with x = [1, 2]: [0.2 - 1.0 + 0.1, 0.3 + 1.6 - 0.2].
    // p_2 = 1 / (1 + e^-2.4); L = -ln p_2; the gradient (p - y) xᵀ.
    // The update: 0.2 - 0.1 * (-0.01) = 0.201, -0.5 - 0.1 * 0.02 = -0.502, ...
    // The sigmoid: σ(-0.7) = 0.331812, σ(1.7) = 0.845535; δ = (a - y) a (1 - a).
    for want in [
        "z = W x + b = [-0.7000, 1.7000]",
        "p = softmax(z) = [0.0832, 0.9168]",
        "= -ln p_2 = 0.0868",
        "dL/dz = p - y = [0.0832, -0.0832]",
        "∇W = (p - y) xᵀ = [[0.0832, 0.1663], [-0.0832, -0.1663]]",
        "W - η∇W = [[0.2010, -0.5020], [0.2970, 0.8010]]",
        "the slide prints [[0.198, -0.498], [0.303, 0.801]], which does not follow",
        "y_pred = σ(z) = [0.3318, 0.8455]",
        "L = ½ Σ (y_pred - y)² = 0.0670",
        "y_pred - y = [0.3318, -0.1545]",
        "δᴸ = (y_pred - y) ⊙ σ′(z) = [0.0736, -0.0202]",
        "∇W = δᴸ xᵀ = [[0.0736, 0.1471], [-0.0202, -0.0403]]",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
}
