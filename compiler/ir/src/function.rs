//! Smooth scalar functions applied elementwise ([`crate::Op::Function`]).
//!
//! [`Function::eval`] is the one definition of each function: the float
//! runtime evaluates it, and the quantizer tabulates it as
//! `round(f(q * 2^-f_x) * 2^f_y)` for every input value the bound analysis
//! allows, so the float model and the tables cannot drift apart.

/// A smooth elementwise function of one value (float graphs only; the
/// quantizer turns it into a table).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Function {
    /// The error function `erf(x)`.
    Erf,
    /// GELU, `x * Phi(x) = x/2 * (1 + erf(x / sqrt 2))` (ONNX `Gelu`,
    /// `approximate = "none"`).
    Gelu,
    /// GELU's tanh form, `x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`
    /// (ONNX `approximate = "tanh"`).
    GeluTanh,
    /// `1 / sqrt(max(x, 0) + epsilon)`: LayerNormalization's scale from a
    /// variance (a quantized variance can round below zero; it is read as 0).
    Rsqrt {
        /// Added before the square root (ONNX `epsilon`), `> 0`.
        epsilon: f32,
    },
    /// `exp(x)` (softmax's numerators, taken at `x - max <= 0` or
    /// `x - logsumexp <= 0`, so the values are in `(0, 1]`).
    Exp,
    /// `ln(scale * max(x, 2^-126))`: the log of a mean of exponentials
    /// times the count averaged (`scale`), i.e. the log of their sum; an
    /// input at or below zero (which a mean of exponentials cannot be, but a
    /// table over a proven range may include) reads as 2^-126.
    LogScaled {
        /// The factor inside the log, `> 0`.
        scale: f32,
    },
    /// Rounding to IEEE float16 (ONNX `Cast` to `FLOAT16`): 10 mantissa
    /// bits, ties to even, subnormals below 2^-14, `±inf` from 65520 on.
    RoundF16,
}

/// `x` rounded to a binary float format with `mantissa` explicit bits,
/// smallest normal exponent `min_exp` and largest finite value `max`
/// (round half to even; a result above `max` is `±inf`).
fn round_to_float(x: f64, mantissa: i32, min_exp: i32, max: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    // the exact binary exponent of |x| (x is a normal f64 here: the
    // formats' ranges are far inside f64's)
    let e = ((x.abs().to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let step = 2f64.powi(e.max(min_exp) - mantissa);
    let q = (x / step).round_ties_even() * step;
    if q.abs() > max {
        f64::INFINITY.copysign(x)
    } else {
        q
    }
}

impl Function {
    /// The IR text name.
    pub fn name(&self) -> &'static str {
        match self {
            Function::Erf => "erf",
            Function::Gelu => "gelu",
            Function::GeluTanh => "gelu_tanh",
            Function::Rsqrt { .. } => "rsqrt",
            Function::Exp => "exp",
            Function::LogScaled { .. } => "log_scaled",
            Function::RoundF16 => "round_f16",
        }
    }

    /// The function's value at `x`, in `f64` (finite for every finite `x`,
    /// except `exp` of `x > 709` and a float16 rounding of `|x| >= 65520`,
    /// which are infinite).
    pub fn eval(&self, x: f64) -> f64 {
        match self {
            Function::Erf => libm::erf(x),
            Function::Gelu => 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
            Function::GeluTanh => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + (c * (x + 0.044715 * x * x * x)).tanh())
            }
            Function::Rsqrt { epsilon } => 1.0 / (x.max(0.0) + f64::from(*epsilon)).sqrt(),
            Function::Exp => x.exp(),
            Function::LogScaled { scale } => {
                (f64::from(*scale) * x.max(f64::from(f32::MIN_POSITIVE))).ln()
            }
            Function::RoundF16 => round_to_float(x, 10, -14, 65504.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Function;

    #[test]
    fn known_values() {
        assert!((Function::Erf.eval(0.5) - 0.520_499_877_813_046_5).abs() < 1e-15);
        assert!((Function::Erf.eval(-2.0) + 0.995_322_265_018_952_7).abs() < 1e-15);
        // GELU(1) = Phi(1) = 0.841344746...
        assert!((Function::Gelu.eval(1.0) - 0.841_344_746_068_542_9).abs() < 1e-15);
        assert!((Function::GeluTanh.eval(1.0) - 0.841_191_990_607_477_9).abs() < 1e-12);
        let r = Function::Rsqrt { epsilon: 0.25 };
        assert_eq!(r.eval(3.75), 0.5);
        assert_eq!(r.eval(-1.0), 2.0);
        assert_eq!(Function::Exp.eval(0.0), 1.0);
        let l = Function::LogScaled { scale: 10.0 };
        assert!((l.eval(0.1)).abs() < 1e-15);
        assert!((l.eval(0.0) - (10.0 * f64::from(f32::MIN_POSITIVE)).ln()).abs() < 1e-12);
    }

    #[test]
    fn float16_rounding() {
        let h = |x: f64| Function::RoundF16.eval(x);
        assert_eq!(h(1.0 + 2f64.powi(-10)), 1.0 + 2f64.powi(-10)); // exact
        assert_eq!(h(1.0 + 2f64.powi(-11)), 1.0); // tie to even
        assert_eq!(h(1.0 + 3.0 * 2f64.powi(-11)), 1.0 + 2.0 * 2f64.powi(-10)); // tie to even
        assert_eq!(h(0.1), 0.0999755859375);
        assert_eq!(h(-0.1), -0.0999755859375);
        assert_eq!(h(3.0 * 2f64.powi(-26)), 2f64.powi(-24)); // subnormal step 2^-24
        assert_eq!(h(2f64.powi(-26)), 0.0);
        assert_eq!(h(65504.0), 65504.0);
        assert_eq!(h(65519.0), 65504.0);
        assert_eq!(h(65520.0), f64::INFINITY);
    }
}
