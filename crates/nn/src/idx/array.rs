//! The in-memory form of an IDX file: its dimensions and typed elements.

use super::{type_name, TYPE_F32, TYPE_F64, TYPE_I16, TYPE_I32, TYPE_I8, TYPE_U8};

/// The elements of an IDX array, in row-major order, by element type.
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    /// Type code `0x08`.
    U8(Vec<u8>),
    /// Type code `0x09`.
    I8(Vec<i8>),
    /// Type code `0x0B`.
    I16(Vec<i16>),
    /// Type code `0x0C`.
    I32(Vec<i32>),
    /// Type code `0x0D`.
    F32(Vec<f32>),
    /// Type code `0x0E`.
    F64(Vec<f64>),
}

impl IdxData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    /// `true` if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The IDX type code of the elements (`0x08` for `U8`, ...).
    pub fn type_code(&self) -> u8 {
        match self {
            IdxData::U8(_) => TYPE_U8,
            IdxData::I8(_) => TYPE_I8,
            IdxData::I16(_) => TYPE_I16,
            IdxData::I32(_) => TYPE_I32,
            IdxData::F32(_) => TYPE_F32,
            IdxData::F64(_) => TYPE_F64,
        }
    }

    /// Name of the element type (`"u8"`, `"f32"`, ...).
    pub fn type_name(&self) -> &'static str {
        type_name(self.type_code())
    }

    /// Size in bytes of one element.
    pub fn element_size(&self) -> usize {
        match self {
            IdxData::U8(_) | IdxData::I8(_) => 1,
            IdxData::I16(_) => 2,
            IdxData::I32(_) | IdxData::F32(_) => 4,
            IdxData::F64(_) => 8,
        }
    }
}

impl From<Vec<u8>> for IdxData {
    fn from(v: Vec<u8>) -> Self {
        IdxData::U8(v)
    }
}
impl From<Vec<i8>> for IdxData {
    fn from(v: Vec<i8>) -> Self {
        IdxData::I8(v)
    }
}
impl From<Vec<i16>> for IdxData {
    fn from(v: Vec<i16>) -> Self {
        IdxData::I16(v)
    }
}
impl From<Vec<i32>> for IdxData {
    fn from(v: Vec<i32>) -> Self {
        IdxData::I32(v)
    }
}
impl From<Vec<f32>> for IdxData {
    fn from(v: Vec<f32>) -> Self {
        IdxData::F32(v)
    }
}
impl From<Vec<f64>> for IdxData {
    fn from(v: Vec<f64>) -> Self {
        IdxData::F64(v)
    }
}

/// An n-dimensional array read from or written to an IDX file.
///
/// `data` holds `dims.iter().product()` elements in row-major order. The
/// fields are public; [`write_idx`](super::write_idx) checks that they agree before writing.
///
/// ```
/// use nn::idx::{IdxArray, IdxData};
/// let a = IdxArray::new(vec![2, 3], IdxData::U8(vec![0, 1, 2, 3, 4, 5])).unwrap();
/// assert_eq!((a.len(), a.type_code()), (6, 0x08));
/// assert_eq!(a.into_u8(), Some(vec![0, 1, 2, 3, 4, 5]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    /// Size of each dimension, outermost first.
    pub dims: Vec<usize>,
    /// The elements, row-major.
    pub data: IdxData,
}

impl IdxArray {
    /// An array of shape `dims`, or `None` if the data does not hold exactly
    /// `dims.iter().product()` elements (or that product overflows).
    pub fn new(dims: Vec<usize>, data: impl Into<IdxData>) -> Option<Self> {
        let data = data.into();
        let n = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))?;
        (n == data.len()).then_some(IdxArray { dims, data })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// `true` if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Number of dimensions.
    pub fn ndims(&self) -> usize {
        self.dims.len()
    }

    /// The IDX type code of the elements.
    pub fn type_code(&self) -> u8 {
        self.data.type_code()
    }

    /// Name of the element type (`"u8"`, `"f32"`, ...).
    pub fn type_name(&self) -> &'static str {
        self.data.type_name()
    }

    /// The elements if they are `u8`.
    pub fn as_u8(&self) -> Option<&[u8]> {
        match &self.data {
            IdxData::U8(v) => Some(v),
            _ => None,
        }
    }

    /// Takes the elements if they are `u8`.
    pub fn into_u8(self) -> Option<Vec<u8>> {
        match self.data {
            IdxData::U8(v) => Some(v),
            _ => None,
        }
    }

    /// Takes the elements if they are `f32`.
    pub fn into_f32(self) -> Option<Vec<f32>> {
        match self.data {
            IdxData::F32(v) => Some(v),
            _ => None,
        }
    }

    /// Takes the elements if they are `f64`.
    pub fn into_f64(self) -> Option<Vec<f64>> {
        match self.data {
            IdxData::F64(v) => Some(v),
            _ => None,
        }
    }

    /// Size of the header in bytes: `4 + 4 * ndims`.
    pub fn header_len(&self) -> usize {
        4 + 4 * self.dims.len()
    }
}
