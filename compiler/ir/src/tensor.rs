//! Dense constant tensors and shape helpers.

use crate::IrError;

/// A tensor shape: one extent per axis, row-major.
pub type Shape = Vec<usize>;

/// Largest number of elements zkc accepts in one tensor (2^26 = 64 Mi).
///
/// Shapes claiming more are refused before anything is allocated, so a
/// hostile file cannot make zkc allocate unbounded memory.
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 26;

/// Number of elements of `shape`, refusing shapes larger than
/// [`MAX_TENSOR_ELEMENTS`] (overflow included).
pub fn checked_numel(shape: &[usize]) -> Result<usize, IrError> {
    let mut n: usize = 1;
    for &d in shape {
        n = n
            .checked_mul(d)
            .filter(|&n| n <= MAX_TENSOR_ELEMENTS)
            .ok_or_else(|| IrError::TooLarge(format!("tensor of shape {shape:?}")))?;
    }
    Ok(n)
}

/// Number of elements of a shape already known to be valid.
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major strides of `shape` (in elements).
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// The element data of a constant tensor.
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    /// IEEE single precision values (float graphs).
    F32(Vec<f32>),
    /// Exact integers (quantized graphs).
    I64(Vec<i64>),
}

/// A dense, row-major constant tensor. Guarantees `data.len() == numel(shape)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    shape: Shape,
    data: TensorData,
}

impl Tensor {
    /// A float tensor; fails if `data` does not have `numel(shape)` elements.
    pub fn f32(shape: Shape, data: Vec<f32>) -> Result<Self, IrError> {
        Self::new(shape, TensorData::F32(data))
    }

    /// An integer tensor; fails if `data` does not have `numel(shape)` elements.
    pub fn i64(shape: Shape, data: Vec<i64>) -> Result<Self, IrError> {
        Self::new(shape, TensorData::I64(data))
    }

    /// A tensor from shape and data; fails if their sizes disagree.
    pub fn new(shape: Shape, data: TensorData) -> Result<Self, IrError> {
        let n = checked_numel(&shape)?;
        let len = match &data {
            TensorData::F32(v) => v.len(),
            TensorData::I64(v) => v.len(),
        };
        if n != len {
            return Err(IrError::Invalid(format!(
                "tensor of shape {shape:?} needs {n} elements, got {len}"
            )));
        }
        Ok(Tensor { shape, data })
    }

    /// A float scalar of shape `[]`.
    pub fn scalar(v: f32) -> Self {
        Tensor {
            shape: vec![],
            data: TensorData::F32(vec![v]),
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The element data.
    pub fn data(&self) -> &TensorData {
        &self.data
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        numel(&self.shape)
    }

    /// True for a tensor with no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the data is floating point.
    pub fn is_float(&self) -> bool {
        matches!(self.data, TensorData::F32(_))
    }

    /// The values as `f32` (integers converted).
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.data {
            TensorData::F32(v) => v.clone(),
            TensorData::I64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    /// The float data, if this is a float tensor.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            TensorData::F32(v) => Some(v),
            TensorData::I64(_) => None,
        }
    }

    /// The integer data, if this is an integer tensor.
    pub fn as_i64(&self) -> Option<&[i64]> {
        match &self.data {
            TensorData::I64(v) => Some(v),
            TensorData::F32(_) => None,
        }
    }

    /// The same data under another shape with the same element count.
    pub fn reshaped(mut self, shape: Shape) -> Result<Self, IrError> {
        if checked_numel(&shape)? != self.len() {
            return Err(IrError::Invalid(format!(
                "cannot reshape {:?} to {shape:?}",
                self.shape
            )));
        }
        self.shape = shape;
        Ok(self)
    }

    /// A stable 64-bit FNV-1a digest of shape and data (bit patterns for floats).
    pub fn digest(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for d in &self.shape {
            eat(&(*d as u64).to_le_bytes());
        }
        match &self.data {
            TensorData::F32(v) => v.iter().for_each(|x| eat(&x.to_bits().to_le_bytes())),
            TensorData::I64(v) => v.iter().for_each(|x| eat(&x.to_le_bytes())),
        }
        h
    }
}

/// The numpy broadcast of two shapes, or `None` when they are incompatible.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Shape> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// For each element of `out_shape` (row-major), the flat index of the element
/// of a tensor of shape `in_shape` that numpy broadcasting reads.
///
/// Precondition: `in_shape` broadcasts to `out_shape`.
pub fn broadcast_index_map(in_shape: &[usize], out_shape: &[usize]) -> Vec<usize> {
    let n = numel(out_shape);
    let rank = out_shape.len();
    let off = rank - in_shape.len();
    let in_strides = strides(in_shape);
    let mut eff = vec![0usize; rank];
    for i in 0..in_shape.len() {
        if in_shape[i] != 1 {
            eff[off + i] = in_strides[i];
        }
    }
    let mut map = Vec::with_capacity(n);
    let mut idx = vec![0usize; rank];
    for _ in 0..n {
        map.push(idx.iter().zip(&eff).map(|(i, s)| i * s).sum());
        for ax in (0..rank).rev() {
            idx[ax] += 1;
            if idx[ax] < out_shape[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_rules() {
        assert_eq!(broadcast_shapes(&[1, 3], &[2, 1]), Some(vec![2, 3]));
        assert_eq!(broadcast_shapes(&[3], &[2, 3]), Some(vec![2, 3]));
        assert_eq!(broadcast_shapes(&[2], &[3]), None);
        assert_eq!(broadcast_index_map(&[3], &[2, 3]), vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(
            broadcast_index_map(&[2, 1], &[2, 3]),
            vec![0, 0, 0, 1, 1, 1]
        );
    }

    #[test]
    fn refuses_huge_shapes_before_allocating() {
        assert!(checked_numel(&[1 << 20, 1 << 20]).is_err());
        assert!(checked_numel(&[usize::MAX, 2]).is_err());
        assert!(Tensor::f32(vec![2, 2], vec![0.0; 3]).is_err());
    }
}
