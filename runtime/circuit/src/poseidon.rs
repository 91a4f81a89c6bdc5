//! Poseidon over Pasta's `Fp` (the `P128Pow5T3` instance: width 3, rate 2,
//! x^5 S-box, 8 full and 56 partial rounds) as zkc's commitment hash, out of
//! circuit, with the same sponge the in-circuit chip
//! ([`crate::chips::sponge`]) computes.
//!
//! The sponge starts from the state `[0, 0, CAPACITY]`, absorbs the message
//! two words at a time (adding them to the rate words, then permuting),
//! pads an odd message with one zero word and squeezes the first state
//! word. Every commitment of one circuit has a length the circuit fixes
//! (the verifying key), so the capacity word is a constant domain tag
//! rather than the length.

use halo2_gadgets::poseidon::primitives::{Mds, P128Pow5T3, Spec};
use halo2_proofs::pasta::group::ff::PrimeField;
use halo2_proofs::pasta::Fp;

type S = P128Pow5T3;

/// The capacity word zkc's commitments start from: `"zkc-commit" * 2^64`,
/// so the hash cannot be confused with Poseidon's `ConstantLength` domain
/// (whose capacity word is `length * 2^64` for short lengths).
pub fn capacity() -> Fp {
    Fp::from_u128(u128::from_be_bytes(*b"\0\0\0\0\0\0zkc-commit") << 24)
}

fn permute(state: &mut [Fp; 3], mds: &Mds<Fp, 3>, rc: &[[Fp; 3]]) {
    let full = <S as Spec<Fp, 3, 2>>::full_rounds() / 2;
    let partial = <S as Spec<Fp, 3, 2>>::partial_rounds();
    for (r, rcs) in rc.iter().enumerate().take(2 * full + partial) {
        for (w, c) in state.iter_mut().zip(rcs) {
            *w += c;
        }
        if r < full || r >= full + partial {
            for w in state.iter_mut() {
                *w = <S as Spec<Fp, 3, 2>>::sbox(*w);
            }
        } else {
            state[0] = <S as Spec<Fp, 3, 2>>::sbox(state[0]);
        }
        let mut next = [Fp::zero(); 3];
        for (i, n) in next.iter_mut().enumerate() {
            for (j, s) in state.iter().enumerate() {
                *n += mds[i][j] * s;
            }
        }
        *state = next;
    }
}

/// The sponge hash of `message` from capacity word `cap` (zero-padded to
/// an even length; an empty message is one permutation of `[0, 0, cap]`).
pub fn sponge_hash(cap: Fp, message: &[Fp]) -> Fp {
    let (rc, mds, _) = <S as Spec<Fp, 3, 2>>::constants();
    let mut state = [Fp::zero(), Fp::zero(), cap];
    let mut words: Vec<Fp> = message.to_vec();
    if words.len() % 2 == 1 || words.is_empty() {
        words.push(Fp::zero());
    }
    if words.len() % 2 == 1 {
        words.push(Fp::zero());
    }
    for pair in words.chunks(2) {
        state[0] += pair[0];
        state[1] += pair[1];
        permute(&mut state, &mds, &rc);
    }
    state[0]
}

/// The hash of `message` in zkc's commitment domain.
pub fn hash(message: &[Fp]) -> Fp {
    sponge_hash(capacity(), message)
}

/// Permutations [`hash`] runs on a message of `len` words.
pub fn permutations(len: usize) -> usize {
    len.div_ceil(2).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_gadgets::poseidon::primitives::{ConstantLength, Hash};

    #[test]
    fn matches_the_reference_sponge() {
        // With ConstantLength's capacity word, our sponge is halo2_poseidon's.
        let m = [Fp::from(1), Fp::from(2), Fp::from(3)];
        let want = Hash::<Fp, P128Pow5T3, ConstantLength<3>, 3, 2>::init().hash(m);
        assert_eq!(sponge_hash(Fp::from_u128(3u128 << 64), &m), want);
        let m2 = [Fp::from(7), -Fp::from(9)];
        let want = Hash::<Fp, P128Pow5T3, ConstantLength<2>, 3, 2>::init().hash(m2);
        assert_eq!(sponge_hash(Fp::from_u128(2u128 << 64), &m2), want);
    }

    #[test]
    fn every_word_matters() {
        let m: Vec<Fp> = (0..5).map(|i| Fp::from(i as u64)).collect();
        let h = hash(&m);
        for i in 0..5 {
            let mut n = m.clone();
            n[i] += Fp::one();
            assert_ne!(hash(&n), h, "word {i}");
        }
        assert_ne!(hash(&m[..4]), hash(&m[..5]));
    }
}
