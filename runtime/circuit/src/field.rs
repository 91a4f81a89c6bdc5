//! Integers as elements of the circuit's field (`pallas::Base`): negative
//! values are `p - |x|`. Bound analysis guarantees every value used is far
//! below `p / 2`, so this map is injective on everything the circuit sees.

use halo2_proofs::arithmetic::Field;
use halo2_proofs::pasta::group::ff::PrimeField;
use halo2_proofs::pasta::Fp;

/// The field element of a signed 128-bit integer.
pub fn fp(v: i128) -> Fp {
    let m = Fp::from_u128(v.unsigned_abs());
    if v < 0 {
        -m
    } else {
        m
    }
}

/// The field element of a signed 64-bit integer.
pub fn fp64(v: i64) -> Fp {
    fp(i128::from(v))
}

/// `2^e` in the field (`e < 255`).
pub fn pow2(e: u32) -> Fp {
    Fp::from(2).pow_vartime([u64::from(e)])
}

/// The signed integer a field element stands for, if it is within `i128`
/// (an element above `p/2` is negative).
pub fn to_i128(x: Fp) -> Option<i128> {
    let neg = -x;
    let small = |f: Fp| -> Option<i128> {
        let r = f.to_repr();
        let b = r.as_ref();
        if b[16..].iter().any(|&v| v != 0) {
            return None;
        }
        let mut le = [0u8; 16];
        le.copy_from_slice(&b[..16]);
        i128::try_from(u128::from_le_bytes(le)).ok()
    };
    small(x).or_else(|| small(neg).map(|v| -v))
}

/// The canonical little-endian bytes of a field element, as lowercase hex.
pub fn to_hex(x: Fp) -> String {
    x.to_repr()
        .as_ref()
        .iter()
        .rev()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Parses [`to_hex`] output back (refusing non-canonical encodings).
pub fn from_hex(s: &str) -> Option<Fp> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut repr = <Fp as PrimeField>::Repr::default();
    let bytes = repr.as_mut();
    for i in 0..32 {
        let byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        bytes[31 - i] = byte;
    }
    Option::from(Fp::from_repr(repr))
}

/// `v` as a field element (exact: `v < 2^128 < p`).
pub fn fp_u128(v: u128) -> Fp {
    Fp::from_u128(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_roundtrip() {
        for v in [0i128, 1, -1, 255, -256, i64::MAX as i128, -(1 << 100)] {
            assert_eq!(to_i128(fp(v)), Some(v));
            assert_eq!(from_hex(&to_hex(fp(v))), Some(fp(v)));
        }
        assert_eq!(pow2(10), fp(1024));
        assert!(from_hex("zz").is_none());
        assert!(from_hex(&"f".repeat(64)).is_none(), "non-canonical");
    }
}
