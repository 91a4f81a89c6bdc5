//! This module provides an implementation of a variant of (Turbo)[PLONK][plonk]
//! that is designed specifically for the polynomial commitment scheme described
//! in the [Halo][halo] paper.
//!
//! [halo]: https://eprint.iacr.org/2019/1021
//! [plonk]: https://eprint.iacr.org/2019/953

use blake2b_simd::Params as Blake2bParams;
use group::ff::{Field, FromUniformBytes, PrimeField};

use crate::arithmetic::CurveAffine;
use crate::poly::{
    Coeff, EvaluationDomain, ExtendedLagrangeCoeff, LagrangeCoeff, PinnedEvaluationDomain,
    Polynomial,
};
use crate::transcript::{ChallengeScalar, EncodedChallenge, Transcript};

mod assigned;
mod circuit;
mod error;
mod inspect;
mod keygen;
mod lookup;
pub(crate) mod permutation;
mod vanishing;

mod prover;
mod verifier;

#[cfg(feature = "unstable-verifier-fingerprint")]
#[cfg_attr(docsrs, doc(cfg(feature = "unstable-verifier-fingerprint")))]
pub mod fingerprint;

pub use assigned::*;
pub use circuit::*;
pub use error::*;
pub use inspect::*;
pub use keygen::*;
pub use prover::*;
pub use verifier::*;

use std::io;

/// This is a verifying key which allows for the verification of proofs for a
/// particular circuit.
#[derive(Clone, Debug)]
pub struct VerifyingKey<C: CurveAffine> {
    domain: EvaluationDomain<C::Scalar>,
    fixed_commitments: Vec<C>,
    permutation: permutation::VerifyingKey<C>,
    cs: ConstraintSystem<C::Scalar>,
    /// Cached maximum degree of `cs` (which doesn't change after construction).
    cs_degree: usize,
    /// The representative of this `VerifyingKey` in transcripts.
    transcript_repr: C::Scalar,
    /// zkc patch: the simple selectors' activations (row by row), which
    /// selector compression depends on; stored so the key can be read back.
    selectors: Vec<Vec<bool>>,
}

impl<C: CurveAffine> VerifyingKey<C>
where
    C::Scalar: FromUniformBytes<64>,
{
    fn from_parts(
        domain: EvaluationDomain<C::Scalar>,
        fixed_commitments: Vec<C>,
        permutation: permutation::VerifyingKey<C>,
        cs: ConstraintSystem<C::Scalar>,
        selectors: Vec<Vec<bool>>,
    ) -> Self {
        // Compute cached values.
        let cs_degree = cs.degree();

        let mut vk = Self {
            domain,
            fixed_commitments,
            permutation,
            cs,
            cs_degree,
            // Temporary, this is not pinned.
            transcript_repr: C::Scalar::ZERO,
            selectors,
        };

        let mut hasher = Blake2bParams::new()
            .hash_length(64)
            .personal(b"Halo2-Verify-Key")
            .to_state();

        let s = format!("{:?}", vk.pinned());

        hasher.update(&(s.len() as u64).to_le_bytes());
        hasher.update(s.as_bytes());

        // Hash in final Blake2bState
        vk.transcript_repr = C::Scalar::from_uniform_bytes(hasher.finalize().as_array());

        vk
    }
}

impl<C: CurveAffine> VerifyingKey<C>
where
    C::Scalar: FromUniformBytes<64>,
{
    /// zkc patch: writes the key's commitments (fixed columns, then
    /// permutation columns) so it can be read back with
    /// [`VerifyingKey::read`] without running key generation again.
    pub fn write<W: io::Write>(&self, writer: &mut W) -> io::Result<()> {
        writer.write_all(&(self.fixed_commitments.len() as u32).to_le_bytes())?;
        for c in &self.fixed_commitments {
            writer.write_all(c.to_bytes().as_ref())?;
        }
        writer.write_all(&(self.cs.permutation.get_columns().len() as u32).to_le_bytes())?;
        self.permutation.write(writer)?;
        // selector activations (only for circuits with selectors, so keys
        // of circuits without them are unchanged): count, rows, then one
        // little-endian bitset per selector
        if !self.selectors.is_empty() {
            let n = self.selectors[0].len();
            writer.write_all(&(self.selectors.len() as u32).to_le_bytes())?;
            writer.write_all(&(n as u32).to_le_bytes())?;
            for sel in &self.selectors {
                let mut bytes = vec![0u8; n.div_ceil(8)];
                for (i, &on) in sel.iter().enumerate() {
                    if on {
                        bytes[i / 8] |= 1 << (i % 8);
                    }
                }
                writer.write_all(&bytes)?;
            }
        }
        Ok(())
    }

    /// zkc patch: reads a key written by [`VerifyingKey::write`] for
    /// `ConcreteCircuit` (configured in the calling thread). A circuit with
    /// `Selector`s has their activations in the key (selector compression
    /// depends on them), and they are compressed again exactly as keygen
    /// did.
    pub fn read<R: io::Read, ConcreteCircuit: Circuit<C::Scalar>>(
        reader: &mut R,
        params: &crate::poly::commitment::Params<C>,
    ) -> io::Result<Self> {
        use crate::helpers::CurveRead;
        let invalid = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
        let (domain, cs, _) = keygen::create_domain::<C, ConcreteCircuit>(params);
        let mut len = [0u8; 4];
        reader.read_exact(&mut len)?;
        let n_fixed = u32::from_le_bytes(len) as usize;
        // the circuit's fixed columns and at most one per selector
        if n_fixed < cs.num_fixed_columns || n_fixed > cs.num_fixed_columns + cs.num_selectors {
            return Err(invalid("fixed column count does not match the circuit"));
        }
        let fixed_commitments: Vec<C> =
            (0..n_fixed).map(|_| C::read(reader)).collect::<Result<_, _>>()?;
        reader.read_exact(&mut len)?;
        let n_perm = u32::from_le_bytes(len) as usize;
        if n_perm != cs.permutation.get_columns().len() {
            return Err(invalid("permutation column count does not match the circuit"));
        }
        let permutation = permutation::VerifyingKey::read(reader, n_perm)?;
        let mut selectors = vec![];
        if cs.num_selectors > 0 {
            reader.read_exact(&mut len)?;
            if u32::from_le_bytes(len) as usize != cs.num_selectors {
                return Err(invalid("selector count does not match the circuit"));
            }
            reader.read_exact(&mut len)?;
            let n = u32::from_le_bytes(len) as usize;
            if n as u64 != params.n {
                return Err(invalid("selector rows do not match the parameters"));
            }
            for _ in 0..cs.num_selectors {
                let mut bytes = vec![0u8; n.div_ceil(8)];
                reader.read_exact(&mut bytes)?;
                selectors.push((0..n).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1).collect());
            }
        }
        let (cs, _) = cs.compress_selectors(selectors.clone());
        // the selector columns come after the circuit's own fixed columns
        if fixed_commitments.len() != cs.num_fixed_columns {
            return Err(invalid("fixed column count does not match the circuit"));
        }
        Ok(Self::from_parts(
            domain,
            fixed_commitments,
            permutation,
            cs,
            selectors,
        ))
    }
}

impl<C: CurveAffine> VerifyingKey<C> {
    /// Hashes a verification key into a transcript.
    pub fn hash_into<E: EncodedChallenge<C>, T: Transcript<C, E>>(
        &self,
        transcript: &mut T,
    ) -> io::Result<()> {
        transcript.common_scalar(self.transcript_repr)?;

        Ok(())
    }

    /// Obtains a pinned representation of this verification key that contains
    /// the minimal information necessary to reconstruct the verification key.
    pub fn pinned(&self) -> PinnedVerificationKey<'_, C> {
        PinnedVerificationKey {
            base_modulus: C::Base::MODULUS,
            scalar_modulus: C::Scalar::MODULUS,
            domain: self.domain.pinned(),
            fixed_commitments: &self.fixed_commitments,
            permutation: &self.permutation,
            cs: self.cs.pinned(),
        }
    }
}

/// Minimal representation of a verification key that can be used to identify
/// its active contents.
#[allow(dead_code)]
#[derive(Debug)]
pub struct PinnedVerificationKey<'a, C: CurveAffine> {
    base_modulus: &'static str,
    scalar_modulus: &'static str,
    domain: PinnedEvaluationDomain<'a, C::Scalar>,
    cs: PinnedConstraintSystem<'a, C::Scalar>,
    fixed_commitments: &'a Vec<C>,
    permutation: &'a permutation::VerifyingKey<C>,
}
/// This is a proving key which allows for the creation of proofs for a
/// particular circuit.
#[derive(Clone, Debug)]
pub struct ProvingKey<C: CurveAffine> {
    vk: VerifyingKey<C>,
    l0: Polynomial<C::Scalar, ExtendedLagrangeCoeff>,
    l_blind: Polynomial<C::Scalar, ExtendedLagrangeCoeff>,
    l_last: Polynomial<C::Scalar, ExtendedLagrangeCoeff>,
    fixed_values: Vec<Polynomial<C::Scalar, LagrangeCoeff>>,
    fixed_polys: Vec<Polynomial<C::Scalar, Coeff>>,
    fixed_cosets: Vec<Polynomial<C::Scalar, ExtendedLagrangeCoeff>>,
    permutation: permutation::ProvingKey<C>,
}

impl<C: CurveAffine> ProvingKey<C> {
    /// Get the underlying [`VerifyingKey`].
    pub fn get_vk(&self) -> &VerifyingKey<C> {
        &self.vk
    }
}

impl<C: CurveAffine> VerifyingKey<C> {
    /// Get the underlying [`EvaluationDomain`].
    pub fn get_domain(&self) -> &EvaluationDomain<C::Scalar> {
        &self.domain
    }
}

#[derive(Clone, Copy, Debug)]
struct Theta;
type ChallengeTheta<F> = ChallengeScalar<F, Theta>;

#[derive(Clone, Copy, Debug)]
struct Beta;
type ChallengeBeta<F> = ChallengeScalar<F, Beta>;

#[derive(Clone, Copy, Debug)]
struct Gamma;
type ChallengeGamma<F> = ChallengeScalar<F, Gamma>;

#[derive(Clone, Copy, Debug)]
struct Y;
type ChallengeY<F> = ChallengeScalar<F, Y>;

#[derive(Clone, Copy, Debug)]
struct X;
type ChallengeX<F> = ChallengeScalar<F, X>;
