//! The coefficients of ONNX `Resize` in `linear` and `cubic` modes along one
//! axis, exactly as the ONNX reference implementation computes them
//! (`onnx/reference/ops/op_resize.py`): ONNX's interpolation is separable, so
//! with static shapes each axis is a constant matrix (plus, for
//! `tf_crop_and_resize`, a constant at the positions outside the input).

/// The interpolation kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kernel {
    /// Linear interpolation (2 taps, more with antialias).
    Linear,
    /// Cubic convolution with coefficient `a` (4 taps, more with antialias).
    Cubic(f64),
}

/// The parameters of one axis's interpolation.
#[derive(Clone, Debug)]
pub(crate) struct AxisResize {
    /// The kernel.
    pub kernel: Kernel,
    /// `coordinate_transformation_mode`.
    pub coord: String,
    /// `antialias != 0` (widens the kernel when downsampling).
    pub antialias: bool,
    /// `exclude_outside != 0` (taps outside the input get weight 0).
    pub exclude_outside: bool,
    /// This axis's `roi` start and end (for `tf_crop_and_resize`).
    pub roi: (f64, f64),
}

/// One output position: the weight of every input position, or `None` when
/// the position lies outside the input (it takes `extrapolation_value`).
pub(crate) type Row = Option<Vec<f64>>;

impl AxisResize {
    /// The rows of the map from `input` positions to `output` positions at
    /// the scale factor `scale`.
    pub(crate) fn rows(&self, input: usize, output: usize, scale: f64) -> Result<Vec<Row>, String> {
        if input == 0 || !(scale.is_finite() && scale > 0.0) {
            return Err(format!("scale {scale} for an axis of {input} is not valid"));
        }
        (0..output)
            .map(|x| self.row(input, output, scale, x as f64))
            .collect()
    }

    fn row(&self, input: usize, output_int: usize, scale: f64, x: f64) -> Result<Row, String> {
        let in_w = input as f64;
        let out_w = scale * in_w;
        let x_ori = match self.coord.as_str() {
            "align_corners" => {
                if out_w == 1.0 {
                    0.0
                } else {
                    x * (in_w - 1.0) / (out_w - 1.0)
                }
            }
            "asymmetric" => x / scale,
            "tf_crop_and_resize" => {
                let (r0, r1) = self.roi;
                let v = if out_w == 1.0 {
                    (r1 - r0) * (in_w - 1.0) / 2.0
                } else {
                    x * (r1 - r0) * (in_w - 1.0) / (out_w - 1.0)
                } + r0 * (in_w - 1.0);
                if v < 0.0 || v > in_w - 1.0 {
                    return Ok(None);
                }
                v
            }
            "pytorch_half_pixel" => {
                if out_w == 1.0 {
                    -0.5
                } else {
                    (x + 0.5) / scale - 0.5
                }
            }
            "half_pixel" => (x + 0.5) / scale - 0.5,
            "half_pixel_symmetric" => {
                let adjustment = output_int as f64 / out_w;
                let center = in_w / 2.0;
                center * (1.0 - adjustment) + (x + 0.5) / scale - 0.5
            }
            other => return Err(format!("coordinate_transformation_mode {other}")),
        };
        if !x_ori.is_finite() {
            return Err(format!("source coordinate {x_ori} is not finite"));
        }
        let base = x_ori.floor();
        let ratio = if x_ori == base { 1.0 } else { x_ori - base };
        let mut coeffs = self.coeffs(ratio, scale);
        let n = coeffs.len();
        let pad = n.div_ceil(2);
        // the n nearest positions of the edge-padded input, ties to the left
        let padded = input + 2 * pad;
        let xp = x_ori + pad as f64;
        let mut idx: Vec<usize> = (0..padded).collect();
        idx.sort_by(|&a, &b| {
            let (da, db) = ((xp - a as f64).abs(), (xp - b as f64).abs());
            da.total_cmp(&db).then(a.cmp(&b))
        });
        idx.truncate(n);
        idx.sort_unstable();
        let orig: Vec<i64> = idx.iter().map(|&i| i as i64 - pad as i64).collect();
        if self.exclude_outside {
            for (c, &i) in coeffs.iter_mut().zip(&orig) {
                if i < 0 || i >= input as i64 {
                    *c = 0.0;
                }
            }
            let sum: f64 = coeffs.iter().sum();
            if sum == 0.0 || !sum.is_finite() {
                return Err("exclude_outside leaves no input position".into());
            }
            coeffs.iter_mut().for_each(|c| *c /= sum);
        }
        let mut row = vec![0.0; input];
        for (&c, &i) in coeffs.iter().zip(&orig) {
            row[i.clamp(0, input as i64 - 1) as usize] += c;
        }
        Ok(Some(row))
    }

    /// The kernel's taps at fractional position `ratio` in (0, 1].
    fn coeffs(&self, ratio: f64, scale: f64) -> Vec<f64> {
        match (self.kernel, self.antialias) {
            (Kernel::Linear, false) => vec![1.0 - ratio, ratio],
            (Kernel::Linear, true) => {
                let s = scale.min(1.0);
                let start = (-1.0 / s).floor() as i64 + 1;
                let footprint = 2 - 2 * start;
                let c: Vec<f64> = (start..start + footprint)
                    .map(|i| (1.0 - ((i as f64 - ratio) * s).abs()).clamp(0.0, 1.0))
                    .collect();
                normalized(c)
            }
            (Kernel::Cubic(a), false) => {
                let (r, q) = (ratio, 1.0 - ratio);
                vec![
                    ((a * (r + 1.0) - 5.0 * a) * (r + 1.0) + 8.0 * a) * (r + 1.0) - 4.0 * a,
                    ((a + 2.0) * r - (a + 3.0)) * r * r + 1.0,
                    ((a + 2.0) * q - (a + 3.0)) * q * q + 1.0,
                    ((a * (q + 1.0) - 5.0 * a) * (q + 1.0) + 8.0 * a) * (q + 1.0) - 4.0 * a,
                ]
            }
            (Kernel::Cubic(a), true) => {
                let s = scale.min(1.0);
                let start = (-2.0 / s).floor() as i64 + 1;
                let end = 2 - start;
                let c: Vec<f64> = (start..end)
                    .map(|i| {
                        let x = (s * (i as f64 - ratio)).abs();
                        let (x2, x3) = (x * x, x * x * x);
                        if x <= 1.0 {
                            (a + 2.0) * x3 - (a + 3.0) * x2 + 1.0
                        } else if x < 2.0 {
                            a * x3 - 5.0 * a * x2 + 8.0 * a * x - 4.0 * a
                        } else {
                            0.0
                        }
                    })
                    .collect();
                normalized(c)
            }
        }
    }
}

fn normalized(c: Vec<f64>) -> Vec<f64> {
    let sum: f64 = c.iter().sum();
    c.into_iter().map(|v| v / sum).collect()
}

/// True when `rows` is the identity map (the axis is left unchanged).
pub(crate) fn is_identity(rows: &[Row], input: usize) -> bool {
    rows.len() == input
        && rows.iter().enumerate().all(|(o, r)| {
            r.as_ref().is_some_and(|r| {
                r.iter()
                    .enumerate()
                    .all(|(i, &c)| c == if i == o { 1.0 } else { 0.0 })
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(kernel: Kernel, coord: &str) -> AxisResize {
        AxisResize {
            kernel,
            coord: coord.into(),
            antialias: false,
            exclude_outside: false,
            roi: (0.0, 1.0),
        }
    }

    #[test]
    fn linear_half_pixel_upsampling_by_two() {
        // ONNX test_resize_upsample_scales_linear: [1, 2] -> [1, 1.25, 1.75, 2]
        let rows = axis(Kernel::Linear, "half_pixel").rows(2, 4, 2.0).unwrap();
        let y: Vec<f64> = rows
            .iter()
            .map(|r| {
                let r = r.as_ref().unwrap();
                r[0] + 2.0 * r[1]
            })
            .collect();
        assert_eq!(y, vec![1.0, 1.25, 1.75, 2.0]);
    }

    #[test]
    fn align_corners_keeps_the_ends_and_unit_scale_is_the_identity() {
        let rows = axis(Kernel::Linear, "align_corners")
            .rows(3, 5, 5.0 / 3.0)
            .unwrap();
        assert_eq!(rows[0].as_ref().unwrap(), &vec![1.0, 0.0, 0.0]);
        assert_eq!(rows[4].as_ref().unwrap(), &vec![0.0, 0.0, 1.0]);
        for coord in ["half_pixel", "asymmetric", "pytorch_half_pixel"] {
            let rows = axis(Kernel::Cubic(-0.75), coord).rows(4, 4, 1.0).unwrap();
            assert!(is_identity(&rows, 4), "{coord}");
        }
    }

    #[test]
    fn every_row_sums_to_one_and_crop_extrapolates() {
        let mut a = axis(Kernel::Cubic(-0.5), "half_pixel");
        a.exclude_outside = true;
        for (i, o) in [(4, 8), (8, 3), (5, 5)] {
            for r in a.rows(i, o, o as f64 / i as f64).unwrap() {
                let s: f64 = r.unwrap().iter().sum();
                assert!((s - 1.0).abs() < 1e-12);
            }
        }
        let mut c = axis(Kernel::Linear, "tf_crop_and_resize");
        c.roi = (0.4, 1.2);
        let rows = c.rows(4, 3, 0.75).unwrap();
        assert!(rows[0].is_some() && rows[2].is_none());
    }
}
