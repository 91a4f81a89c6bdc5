//! Integer multipliers: `x * r` for a positive rational `r` computed as the
//! rounding shift `round_shift(x * M, n)`, i.e. an IR `Rescale`.

use crate::error::FixedError;
use crate::round::{round_half_away, round_half_up, round_shift, MAX_SHIFT};
use crate::slack::{slack, Slack, SCAN_LIMIT};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

/// The rounding of `x * r` that a [`Multiplier`] reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TieRule {
    /// Nearest integer, ties away from zero ([`round_half_away`]).
    HalfAwayFromZero,
    /// Nearest integer, ties toward `+inf` ([`round_half_up`]); the DESIGN's
    /// requantization rounding.
    HalfUp,
}

impl TieRule {
    /// Rounds `num / den` by this rule, exactly; `None` only when `den == 0`.
    pub fn round(self, num: &BigInt, den: &BigInt) -> Option<BigInt> {
        match self {
            TieRule::HalfAwayFromZero => round_half_away(num, den),
            TieRule::HalfUp => round_half_up(num, den),
        }
    }
}

/// A multiplier `M` and right shift `n` standing for a rational `r`, as
/// returned by [`choose_multiplier`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Multiplier {
    /// `M = ceil(r * 2^shift)`, at least 1.
    pub mult: i128,
    /// `n`, the right shift (`0..=MAX_SHIFT`).
    pub shift: u32,
    /// The rounding of `x * r` that [`Multiplier::apply`] equals on the range
    /// the multiplier was chosen for.
    pub rule: TieRule,
    /// True when `shift` is proven to be the smallest one that works (see
    /// [`choose_multiplier`]); false only when the search for the exact
    /// bound was cut short and a sufficient condition was used instead.
    pub minimal: bool,
}

impl Multiplier {
    /// Guarantees: returns `round_shift(x * mult, shift)`, exactly what the IR
    /// op `Rescale { mult: [mult], shift }` computes before clamping (see
    /// [`crate::rescale`]); `None` when `x * mult` overflows `i128`.
    pub fn apply(&self, x: i128) -> Option<i128> {
        let shift = i32::try_from(self.shift).ok()?;
        round_shift(x.checked_mul(self.mult)?, shift)
    }
}

/// A point where a multiplier disagrees with its rule, found by
/// [`verify_multiplier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The input.
    pub x: i128,
    /// What [`Multiplier::apply`] returned (`None`: `i128` overflow).
    pub got: Option<i128>,
    /// The exactly rounded `x * r`.
    pub want: BigInt,
}

/// Chooses the multiplier `(M, n)` with the smallest shift `n` such that
/// `round_shift(x * M, n)` reproduces a rounding of `x * r` for every integer
/// `|x| <= x_max`, where `r = r_num / r_den > 0` and `M = ceil(r * 2^n)`.
///
/// # Derivation
///
/// Write `r = p / q` in lowest terms, `X = x_max`, `M_n = ceil(r 2^n)` and
/// `e_n = M_n q - p 2^n >= 0`, so `eps = M_n / 2^n - r = e_n / (q 2^n)`.
/// Candidates `n = 0, 1, ..., MAX_SHIFT` are tried in order:
///
/// - `n = 0`: the result is `x M_0` (no rounding). It equals
///   `round_half_away(x r)` on the range iff `X (M_0 - r) <= 1/2`
///   (`x M_0 - x r` has the sign of `x`, so a tie lands away from zero).
/// - `n >= 1`, `eps > 0`: the result is `floor(t + x eps)` with
///   `t = x r + 1/2`, a multiple of `1 / 2q`. Let `k(y) / 2q` (`1 <= k <= 2q`)
///   be the gap from `t(y)` up to the next integer. For `x = y > 0` the result
///   is `floor(t) = round_half_away(y r)` iff `y eps < k(y) / 2q`. For
///   `x = -y < 0` and `t` not an integer, it is `floor(t) = round_half_away(x r)`
///   iff `y eps <= k(y) / 2q`, implied by the positive side. For an exact
///   negative tie (`t` an integer) the result moves down to `t - 1`, which is
///   precisely the tie rounded away from zero. Hence the result equals
///   `round_half_away(x r)` on `[-X, X]` **iff** `e_n / 2^(n-1) < kappa`,
///   `kappa = min_{1 <= y <= X} k(y) / y`. Since `k >= 1`, the classical
///   `X eps < 1 / (2q)` is sufficient; the exact `kappa` is computed, which
///   is what makes `n` minimal rather than merely sufficient. Cost:
///   `O(min(round(X r) + 1, X, q))` big-integer steps (the first term is the
///   output range, small for a requantization), or a search by increasing
///   `k` when all three exceed `2^18`.
/// - `eps = 0` (only for dyadic `r = p / 2^j`, from `n = j` on): the result is
///   `floor(x r + 1/2) = round_half_up(x r)` for every `x`. It differs from
///   `round_half_away` exactly at negative ties, which lie in range iff `q`
///   is even and `X >= q / 2`.
///
/// # Guarantees
///
/// On success, with `m` the returned value:
/// - `m.rule == HalfAwayFromZero`: `m.apply(x) == Some(round_half_away(x r))`
///   for every integer `|x| <= x_max` whose product `x * M` fits `i128`. (If
///   no negative tie lies in the range this is also `round_half_up(x r)`.)
///   This is always the rule for non-dyadic `r`, and for dyadic `r` when no
///   negative tie is in range or a shift below `j` already works.
/// - `m.rule == HalfUp`: `r = p / 2^j` is dyadic, a negative tie lies in
///   range, `n = j` and `M = r 2^j = p` exactly; then
///   `m.apply(x) == Some(round_half_up(x r))` for **every** `x` with `x * M`
///   in `i128`, the same rounding as the DESIGN's requantization shift.
/// - Minimality (when `m.minimal`): for every `n' < n`, `ceil(r 2^n')` with
///   shift `n'` reproduces neither `round_half_away` nor `round_half_up` on
///   `[-X, X]` (below the returned shift `eps > 0`, so negative ties round
///   away and half-up fails whenever a tie is in range; otherwise the two
///   rules coincide). `m.minimal` is false only if `round(X r) + 1`, `X` and
///   `q` all exceed `2^18` and the search by `k` was cut short after `2^18`
///   steps; `n` is then sufficient (from a lower bound of `kappa`, at least
///   the classical `1 / X`) but maybe not the smallest.
/// - `M < 2^max_mult_bits` (pass 63 for the IR's `i64` multipliers).
///
/// # Errors
///
/// [`FixedError::NonPositiveRatio`] unless `r > 0`;
/// [`FixedError::NegativeBound`] if `x_max < 0`;
/// [`FixedError::InvalidMultBits`] unless `1 <= max_mult_bits <= 127`;
/// [`FixedError::MultiplierTooWide`] when the candidate `M_n` exceeds the
/// width before a shift works (`M_n` never decreases with `n`);
/// [`FixedError::ShiftTooLarge`] if no `n <= MAX_SHIFT` works.
pub fn choose_multiplier(
    r_num: &BigInt,
    r_den: &BigInt,
    x_max: &BigInt,
    max_mult_bits: u32,
) -> Result<Multiplier, FixedError> {
    let (p, q) = lowest_terms(r_num, r_den)?;
    if x_max.is_negative() {
        return Err(FixedError::NegativeBound(x_max.clone()));
    }
    if !(1..=127).contains(&max_mult_bits) {
        return Err(FixedError::InvalidMultBits(max_mult_bits));
    }
    let mut search = Search::new(p, q, x_max.clone());
    for shift in 0..=MAX_SHIFT.unsigned_abs() {
        let (mult, excess) = search.candidate(shift);
        if mult.bits() > u64::from(max_mult_bits) {
            return Err(FixedError::MultiplierTooWide {
                needed: mult.bits(),
                max: max_mult_bits,
            });
        }
        if let Some(rule) = search.reproduces(shift, &excess) {
            let mult = i128::try_from(&mult).map_err(|_| FixedError::MultiplierTooWide {
                needed: mult.bits(),
                max: max_mult_bits,
            })?;
            return Ok(Multiplier {
                mult,
                shift,
                rule,
                minimal: search.minimal(),
            });
        }
    }
    Err(FixedError::ShiftTooLarge { max: MAX_SHIFT })
}

/// Brute-force check of a multiplier for `r = r_num / r_den` against its rule
/// on every integer `x` in `[-x_max, x_max]` (cost `O(x_max)`; for tests and
/// small ranges).
///
/// Guarantees: `Ok(None)` iff `m.apply(x) == Some(m.rule.round(x r))` for all
/// such `x`; otherwise `Ok(Some(_))` with the smallest failing `x`.
///
/// # Errors
///
/// [`FixedError::NonPositiveRatio`] unless `r > 0`.
pub fn verify_multiplier(
    r_num: &BigInt,
    r_den: &BigInt,
    m: &Multiplier,
    x_max: u32,
) -> Result<Option<Mismatch>, FixedError> {
    let (p, q) = lowest_terms(r_num, r_den)?;
    let bound = i128::from(x_max);
    for x in -bound..=bound {
        let want = m
            .rule
            .round(&(&p * x), &q)
            .ok_or_else(|| non_positive(r_num, r_den))?;
        let got = m.apply(x);
        if got.map(BigInt::from).as_ref() != Some(&want) {
            return Ok(Some(Mismatch { x, got, want }));
        }
    }
    Ok(None)
}

/// `(p, q)` with `p / q = num / den`, `gcd(p, q) = 1`, `p, q >= 1`.
fn lowest_terms(num: &BigInt, den: &BigInt) -> Result<(BigInt, BigInt), FixedError> {
    if den.is_zero() || num.is_zero() || num.is_negative() != den.is_negative() {
        return Err(non_positive(num, den));
    }
    let g = num.gcd(den);
    Ok(((num / &g).abs(), (den / &g).abs()))
}

fn non_positive(num: &BigInt, den: &BigInt) -> FixedError {
    FixedError::NonPositiveRatio {
        num: num.clone(),
        den: den.clone(),
    }
}

/// State of the shift search for `r = p / q` over `|x| <= x_max`.
struct Search {
    p: BigInt,
    q: BigInt,
    x_max: BigInt,
    /// `kappa`, computed on first need.
    slack: Option<Slack>,
}

impl Search {
    fn new(p: BigInt, q: BigInt, x_max: BigInt) -> Self {
        Search {
            p,
            q,
            x_max,
            slack: None,
        }
    }

    /// `(M_n, e_n)`: `M_n = ceil(p 2^n / q)` and `e_n = M_n q - p 2^n`.
    fn candidate(&self, shift: u32) -> (BigInt, BigInt) {
        let scaled: BigInt = &self.p << shift;
        let mult = scaled.div_ceil(&self.q);
        let excess = &mult * &self.q - scaled;
        (mult, excess)
    }

    /// The rule `(M_n, n)` reproduces on the range, if any (see
    /// [`choose_multiplier`] for the three cases).
    fn reproduces(&mut self, shift: u32, excess: &BigInt) -> Option<TieRule> {
        if excess.is_zero() {
            return Some(self.exact_rule());
        }
        if self.x_max.is_zero() {
            return Some(TieRule::HalfAwayFromZero);
        }
        let works = if shift == 0 {
            // X (M_0 - r) <= 1/2, i.e. 2 X e_0 <= q.
            &self.x_max * excess * 2u32 <= self.q
        } else {
            let kappa = self.slack();
            kappa.exceeds(excess, &(BigInt::one() << (shift - 1)))
        };
        works.then_some(TieRule::HalfAwayFromZero)
    }

    /// Rule of an exact multiplier: half up, reported as half away from zero
    /// when no negative tie (`q` even, `|x| = q/2` reachable) is in range.
    fn exact_rule(&self) -> TieRule {
        let tie_in_range = self.q.is_even() && self.x_max >= &self.q / 2u32;
        if tie_in_range {
            TieRule::HalfUp
        } else {
            TieRule::HalfAwayFromZero
        }
    }

    fn slack(&mut self) -> &Slack {
        self.slack
            .get_or_insert_with(|| slack(&self.p, &self.q, &self.x_max, SCAN_LIMIT))
    }

    /// Whether every rejected shift was rejected by the exact criterion.
    fn minimal(&self) -> bool {
        match &self.slack {
            Some(s) => s.exact,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(v: i64) -> BigInt {
        BigInt::from(v)
    }

    fn choose(num: i64, den: i64, x_max: i64) -> Multiplier {
        choose_multiplier(&big(num), &big(den), &big(x_max), 63).unwrap()
    }

    #[test]
    fn division_by_three_over_a_byte() {
        let m = choose(1, 3, 255);
        assert_eq!(m.rule, TieRule::HalfAwayFromZero);
        assert!(m.minimal);
        let v = verify_multiplier(&big(1), &big(3), &m, 255).unwrap();
        assert_eq!(v, None);
    }

    #[test]
    fn integer_ratio_is_an_exact_product() {
        let m = choose(6, 2, 1000);
        assert_eq!((m.mult, m.shift), (3, 0));
        assert_eq!(m.rule, TieRule::HalfAwayFromZero);
    }

    #[test]
    fn dyadic_ratio_with_ties_is_the_plain_shift() {
        let m = choose(1, 4, 2);
        assert_eq!((m.mult, m.shift, m.rule), (1, 2, TieRule::HalfUp));
        assert_eq!(m.apply(-2), Some(0)); // -0.5 rounds up to 0
    }

    #[test]
    fn zero_bound_needs_no_shift() {
        let m = choose(2, 3, 0);
        assert_eq!((m.mult, m.shift), (1, 0));
    }

    #[test]
    fn bad_arguments_are_errors() {
        let e = choose_multiplier(&big(-1), &big(3), &big(5), 63);
        assert!(matches!(e, Err(FixedError::NonPositiveRatio { .. })));
        let e = choose_multiplier(&big(1), &big(0), &big(5), 63);
        assert!(matches!(e, Err(FixedError::NonPositiveRatio { .. })));
        let e = choose_multiplier(&big(-1), &big(-3), &big(-5), 63);
        assert!(matches!(e, Err(FixedError::NegativeBound(_))));
        let e = choose_multiplier(&big(1), &big(3), &big(5), 0);
        assert_eq!(e, Err(FixedError::InvalidMultBits(0)));
        let e = choose_multiplier(&big(1), &big(3), &big(5), 128);
        assert_eq!(e, Err(FixedError::InvalidMultBits(128)));
    }

    #[test]
    fn width_limit_is_enforced() {
        // 1/3 over 2^40 needs about 43 fractional bits.
        let x_max = BigInt::one() << 40u32;
        let e = choose_multiplier(&big(1), &big(3), &x_max, 20);
        assert!(matches!(
            e,
            Err(FixedError::MultiplierTooWide { max: 20, .. })
        ));
        let m = choose_multiplier(&big(1), &big(3), &x_max, 63).unwrap();
        assert!(m.mult < 1i128 << 63);
        // A wide exact dyadic multiplier is rejected, not truncated.
        let p = (BigInt::one() << 70u32) + 1u32;
        let e = choose_multiplier(&p, &(BigInt::one() << 70u32), &big(1 << 20), 63);
        assert!(matches!(e, Err(FixedError::MultiplierTooWide { .. })));
    }

    #[test]
    fn tiny_ratio_rounds_everything_to_zero() {
        // |x r| <= 3 * 2^-100 < 1/2: the result must be 0, which needs
        // 2^100 < 2^(n-1), so n = 102 with M = 1; n = 101 fails at x = 2^100.
        let den = BigInt::one() << 200u32;
        let m = choose_multiplier(&big(3), &den, &(BigInt::one() << 100u32), 127).unwrap();
        assert_eq!((m.mult, m.shift, m.minimal), (1, 102, true));
        assert_eq!(m.apply(1 << 100), Some(0));
        assert_eq!(m.apply(-(1 << 100)), Some(0));
        let below = Multiplier { shift: 101, ..m };
        assert_eq!(below.apply(1 << 100), Some(1));
        // With X = 2^125 the shift would have to exceed MAX_SHIFT.
        let e = choose_multiplier(&big(3), &den, &(BigInt::one() << 125u32), 127);
        assert_eq!(e, Err(FixedError::ShiftTooLarge { max: MAX_SHIFT }));
    }
}
