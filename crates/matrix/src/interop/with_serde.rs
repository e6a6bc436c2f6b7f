//! `Serialize`/`Deserialize` for [`Matrix`] as `{ rows, cols, data }`, the
//! data row-major; deserializing checks `data.len() == rows * cols`.
//!
//! ```
//! use matrix::Matrix;
//! let m = Matrix::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
//! let json = serde_json::to_string(&m).unwrap();
//! assert_eq!(json, r#"{"rows":2,"cols":3,"data":[1.0,2.0,3.0,4.0,5.0,6.0]}"#);
//! assert_eq!(serde_json::from_str::<Matrix<f32>>(&json).unwrap(), m);
//! let bad = r#"{"rows":2,"cols":3,"data":[1.0,2.0]}"#;
//! let e = serde_json::from_str::<Matrix<f32>>(bad).unwrap_err();
//! assert!(e.to_string().starts_with("a 2x3 matrix needs 6 elements but the buffer has 2"), "{e}");
//! ```

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Matrix, Scalar};

#[derive(Serialize)]
#[serde(rename = "Matrix")]
struct Borrowed<'a, T> {
    rows: usize,
    cols: usize,
    data: &'a [T],
}

#[derive(Deserialize)]
#[serde(rename = "Matrix")]
struct Owned<T> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

/// `{ rows, cols, data }`, `data` row-major (needs the `serde` feature).
impl<T: Scalar + Serialize> Serialize for Matrix<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Borrowed {
            rows: self.rows(),
            cols: self.cols(),
            data: self.as_slice(),
        }
        .serialize(serializer)
    }
}

/// `{ rows, cols, data }`; an error naming both the shape and the length
/// when `data.len() != rows * cols` (needs the `serde` feature).
impl<'de, T: Scalar + Deserialize<'de>> Deserialize<'de> for Matrix<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Owned { rows, cols, data } = Owned::deserialize(deserializer)?;
        Matrix::try_from_vec(rows, cols, data).map_err(D::Error::custom)
    }
}
