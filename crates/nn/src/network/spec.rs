//! A network written as a line a person can read: comma-separated items
//! from the input to the output, each layer's sizes given only where they
//! are its own choice; the maps' shapes flow from the input's.
//!
//! | item | layer |
//! |---|---|
//! | `normalize:<mean>:<std>` | [`Layer::Normalize`] |
//! | `conv:<filters>:<kernel>[:s<stride>][:p<padding>]` | [`Layer::Conv2d`] (stride 1, padding 0 unless given) |
//! | `maxpool:<size>` | [`Layer::MaxPool2d`] |
//! | `dropout:<p>` | [`Layer::Dropout`] |
//! | `flatten` | nothing: a Dense layer reads the maps flattened anyway |
//! | `dense:<width>` | [`Layer::Dense`] |
//! | `relu`, `tanh`, `sigmoid` | [`Layer::Act`] |
//! | `softmax` | [`Layer::Softmax`], added at the end if not written |
//!
//! PyTorch's MNIST example network, on `1x28x28` images:
//!
//! ```
//! let spec = "normalize:0.1307:0.3081, conv:32:3, relu, conv:64:3, relu, maxpool:2, \
//!             dropout:0.25, flatten, dense:128, relu, dropout:0.5, dense:10";
//! let layers = nn::network::layers_from_spec(spec, (1, 28, 28)).unwrap();
//! assert_eq!(layers.len(), 12); // with the Softmax added, without `flatten`
//! let err = nn::network::layers_from_spec("conv:6:5, relu, conv:16:30", (1, 28, 28));
//! assert!(err.unwrap_err().starts_with("item 3 'conv:16:30':"));
//! ```

use super::Layer;

/// LeNet-5's shape for 1x28x28 images: conv 1->6 5x5 padding 2, ReLU,
/// max-pool 2, conv 6->16 5x5, ReLU, max-pool 2, dense 400-120-84-10 with
/// ReLU (`mnist --preset lenet`).
pub const LENET5: &str =
    "conv:6:5:p2,relu,maxpool:2,conv:16:5,relu,maxpool:2,dense:120,relu,dense:84,relu,dense:10";

/// PyTorch's MNIST example network (pytorch/examples, `mnist/main.py`) for
/// 1x28x28 images, with its input normalisation (`mnist --preset cnn`).
pub const PYTORCH_MNIST_EXAMPLE: &str = "normalize:0.1307:0.3081,conv:32:3,relu,conv:64:3,relu,\
     maxpool:2,dropout:0.25,dense:128,relu,dropout:0.5,dense:10";
use crate::activation::Activation;
use crate::layers::conv::Conv;
use crate::layers::dropout::Dropout;
use crate::layers::normalize::Normalize;

/// Where the data is between two layers: feature maps, or a flat row.
#[derive(Clone, Copy)]
enum Shape {
    Maps(usize, usize, usize),
    Flat(usize),
}

impl Shape {
    fn width(self) -> usize {
        match self {
            Shape::Maps(c, h, w) => c.saturating_mul(h).saturating_mul(w),
            Shape::Flat(n) => n,
        }
    }
}

/// The layers `spec` describes, for inputs of `(channels, height, width)`
/// (an image's maps; `(1, 1, n)` for plain vectors of `n`), each checked
/// against the shape before it.
///
/// # Errors
/// One line naming the first bad item (`item 3 'conv:16:30': ...`): an
/// unknown or malformed item, sizes that do not fit the shape reaching it,
/// or a convolution or pooling after the maps were flattened.
pub fn layers_from_spec(spec: &str, input: (usize, usize, usize)) -> Result<Vec<Layer>, String> {
    let mut shape = Shape::Maps(input.0, input.1, input.2);
    let mut layers = Vec::new();
    let items: Vec<&str> = spec.split(',').map(str::trim).collect();
    for (i, &item) in items.iter().enumerate() {
        let fail = |why: String| format!("item {} '{item}': {why}", i + 1);
        let lower = item.to_ascii_lowercase();
        let fields: Vec<&str> = lower.split(':').collect();
        let number = |f: &str| {
            f.parse::<f64>()
                .map_err(|_| format!("'{f}' is not a number"))
        };
        // A size: a whole number of at least 1.
        let whole = |f: &str, what: &str| -> Result<usize, String> {
            let x = number(f)?;
            if x.fract() == 0.0 && x >= 1.0 && x <= u32::MAX as f64 {
                Ok(x as usize)
            } else {
                Err(format!(
                    "{what} must be a whole number of at least 1, got {x}"
                ))
            }
        };
        let maps = |what: &str| match shape {
            Shape::Maps(c, h, w) => Ok((c, h, w)),
            Shape::Flat(_) => Err(format!(
                "a {what} needs feature maps, but they were flattened"
            )),
        };
        let layer = match fields[..] {
            [""] => return Err(fail("empty item".into())),
            ["flatten"] => {
                shape = Shape::Flat(shape.width());
                continue;
            }
            ["softmax"] if i + 1 == items.len() => Layer::Softmax,
            ["softmax"] => return Err(fail("softmax can only be the last item".into())),
            [name] => match Activation::from_name(name) {
                Some(a) => Layer::Act(a),
                None => return Err(fail("unknown layer".into())),
            },
            ["dense", n] => {
                let outputs = whole(n, "a dense width").map_err(&fail)?;
                Layer::Dense {
                    inputs: shape.width(),
                    outputs,
                }
            }
            ["dropout", p] => {
                let p = number(p).map_err(&fail)?;
                Layer::Dropout(Dropout::new(p).map_err(&fail)?)
            }
            ["normalize", mean, std] => {
                let (mean, std) = (number(mean).map_err(&fail)?, number(std).map_err(&fail)?);
                Layer::Normalize(Normalize::new(shape.width(), mean, std).map_err(&fail)?)
            }
            ["maxpool" | "pool", n] => {
                let size = whole(n, "a pooling size").map_err(&fail)?;
                let (channels, height, width) = maps("pooling layer").map_err(&fail)?;
                Layer::MaxPool2d {
                    channels,
                    height,
                    width,
                    size,
                }
            }
            ["conv", f, k, ..] => {
                let filters = whole(f, "filters").map_err(&fail)?;
                let kernel = whole(k, "a kernel side").map_err(&fail)?;
                let (mut stride, mut padding) = (1, 0);
                for option in &fields[3..] {
                    let bad = || fail(format!("bad option '{option}' (s<stride> or p<padding>)"));
                    let value = |rest: &str| rest.parse::<usize>().map_err(|_| bad());
                    match option.split_at(1.min(option.len())) {
                        ("s", rest) => stride = value(rest)?,
                        ("p", rest) => padding = value(rest)?,
                        _ => return Err(bad()),
                    }
                }
                let (channels, height, width) = maps("convolution").map_err(&fail)?;
                Conv {
                    channels,
                    height,
                    width,
                    filters,
                    kernel,
                    stride,
                    padding,
                }
                .layer()
            }
            _ => return Err(fail("unknown layer or wrong number of sizes".into())),
        };
        let width = layer
            .output_width(layers.len(), shape.width())
            .map_err(|e| fail(e.to_string()))?;
        shape = match layer {
            Layer::Conv2d(c) => {
                let (oh, ow) = c.out();
                Shape::Maps(c.filters, oh, ow)
            }
            Layer::MaxPool2d {
                channels,
                height,
                width,
                size,
            } => Shape::Maps(channels, height / size, width / size),
            Layer::Dense { .. } => Shape::Flat(width),
            _ => shape,
        };
        layers.push(layer);
    }
    if layers.last() != Some(&Layer::Softmax) {
        layers.push(Layer::Softmax);
    }
    Ok(layers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_networks_build() {
        let lenet = layers_from_spec(LENET5, (1, 28, 28)).unwrap();
        assert_eq!(lenet.iter().map(Layer::param_count).sum::<usize>(), 61_706);
        let example = layers_from_spec(PYTORCH_MNIST_EXAMPLE, (1, 28, 28)).unwrap();
        assert_eq!(
            example.iter().map(Layer::param_count).sum::<usize>(),
            1_199_882
        );
    }

    #[test]
    fn lenet_reads_as_written() {
        let spec = "conv:6:5:p2, relu, maxpool:2, conv:16:5, relu, maxpool:2, \
                    flatten, dense:120, relu, dense:84, relu, dense:10";
        let layers = layers_from_spec(spec, (1, 28, 28)).unwrap();
        assert_eq!(layers.len(), 12);
        assert_eq!(layers[0].token(), "conv2d:1:28:28:6:5:1:2");
        assert_eq!(layers[3].token(), "conv2d:6:14:14:16:5:1:0");
        assert_eq!(layers[5].token(), "maxpool2d:16:10:10:2");
        assert_eq!(layers[6].token(), "dense:400:120");
        assert_eq!(layers[11], Layer::Softmax);
    }

    #[test]
    fn each_bad_item_is_named() {
        for (spec, want) in [
            ("conv:6:5, gelu", "item 2 'gelu': unknown layer"),
            (
                "dense:10, conv:6:3",
                "item 2 'conv:6:3': a convolution needs feature maps",
            ),
            ("conv:6:x", "item 1 'conv:6:x': 'x' is not a number"),
            ("conv:6:3:q1", "item 1 'conv:6:3:q1': bad option 'q1'"),
            (
                "conv:6:29",
                "item 1 'conv:6:29': invalid network: layer 0: Conv2d 1x28x28",
            ),
            ("maxpool:0", "item 1 'maxpool:0': a pooling size must be"),
            ("dense:0", "item 1 'dense:0': a dense width must be"),
            ("dense:1.5", "item 1 'dense:1.5': a dense width must be"),
            ("dropout:1", "item 1 'dropout:1': dropout probability"),
            (
                "softmax, dense:10",
                "item 1 'softmax': softmax can only be the last",
            ),
            ("dense:10,,relu", "item 2 '': empty item"),
            (
                "dense:10:20",
                "item 1 'dense:10:20': unknown layer or wrong number",
            ),
            ("conv:4000000:3", "item 1 'conv:4000000:3': too large"),
        ] {
            let err = layers_from_spec(spec, (1, 28, 28)).unwrap_err();
            assert!(err.starts_with(want), "{spec}: {err}");
        }
    }
}
