//! Checks run before tract sees a model. Ops that create a tensor whose size
//! comes from integer data (`ConstantOfShape`, `Expand`, `Tile`, `Range`,
//! `Pad`) or from broadcasting two initializers are refused when that size
//! exceeds [`MAX_TENSOR_ELEMENTS`], so a hostile file cannot make tract's
//! constant folding allocate gigabytes. The sizes are the literal constants
//! of the file or values computed from them and from static input shapes by
//! [`crate::shape_values`]; a size that analysis cannot compute is left to
//! tract, whose panics (e.g. on a failed allocation) [`no_panic`] turns
//! into errors.

use std::collections::HashMap;

use tract_onnx::pb::{GraphProto, NodeProto};
use zkc_ir::MAX_TENSOR_ELEMENTS;

use crate::import::node_name;
use crate::shape_values::known_values;

/// The product of `dims` as a count of elements, saturating.
fn count(dims: &[i64]) -> u128 {
    dims.iter().fold(1u128, |a, &d| {
        a.saturating_mul(u128::from(d.unsigned_abs()))
    })
}

/// The element count of the numpy-style broadcast of `shapes`, saturating
/// (a dimension pair that cannot broadcast counts as the larger).
fn broadcast_count(shapes: &[&[i64]]) -> u128 {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    (0..rank)
        .map(|i| {
            shapes
                .iter()
                .filter_map(|s| (i + s.len()).checked_sub(rank).map(|j| s[j].unsigned_abs()))
                .max()
                .unwrap_or(1)
        })
        .fold(1u128, |a, d| a.saturating_mul(u128::from(d)))
}

/// Refuses nodes that would create a tensor larger than the limit from
/// constant sizes; returns the offending node and size.
pub(crate) fn check_constant_sizes(g: &GraphProto) -> Result<(), String> {
    let known = known_values(g);
    let dims: HashMap<&str, &[i64]> = g
        .initializer
        .iter()
        .map(|t| (t.name.as_str(), t.dims.as_slice()))
        .collect();
    let input = |n: &NodeProto, i: usize| n.input.get(i).and_then(|x| known.get(x.as_str()));
    for n in &g.node {
        let size: Option<u128> = match n.op_type.as_str() {
            "ConstantOfShape" => input(n, 0).map(|s| count(s)),
            "Expand" | "Tile" => input(n, 1).map(|s| count(s)),
            "Range" => match (input(n, 0), input(n, 1), input(n, 2)) {
                (Some(a), Some(b), Some(d))
                    if a.len() == 1 && b.len() == 1 && d.len() == 1 && d[0] != 0 =>
                {
                    let span = i128::from(b[0]) - i128::from(a[0]);
                    Some((span / i128::from(d[0])).unsigned_abs())
                }
                _ => None,
            },
            "Pad" => {
                let pads: Option<Vec<i64>> = input(n, 1).cloned().or_else(|| {
                    n.attribute
                        .iter()
                        .find(|a| a.name == "pads")
                        .map(|a| a.ints.clone())
                });
                match (n.input.first().and_then(|x| dims.get(x.as_str())), pads) {
                    (Some(d), Some(p)) if p.len() == 2 * d.len() => {
                        let r = d.len();
                        let out: Vec<i64> = (0..r)
                            .map(|i| d[i].saturating_add(p[i]).saturating_add(p[i + r]))
                            .collect();
                        Some(count(&out))
                    }
                    _ => None,
                }
            }
            "Add" | "Sub" | "Mul" | "Div" | "Max" | "Min" | "Pow" | "Where" | "And" | "Or"
            | "Equal" | "Less" | "Greater" => {
                let all: Option<Vec<&[i64]>> = n
                    .input
                    .iter()
                    .map(|x| dims.get(x.as_str()).copied())
                    .collect();
                all.map(|d| broadcast_count(&d))
            }
            _ => None,
        };
        if let Some(s) = size {
            if s > MAX_TENSOR_ELEMENTS as u128 {
                return Err(format!(
                    "node {} ({}) would create a tensor of {s} elements, above the limit of {MAX_TENSOR_ELEMENTS}",
                    node_name(n),
                    n.op_type
                ));
            }
        }
    }
    Ok(())
}

/// Refuses graph outputs that nothing defines (tract indexes them blindly).
pub(crate) fn check_outputs_defined(g: &GraphProto) -> Result<(), String> {
    let mut defined: std::collections::HashSet<&str> =
        g.input.iter().map(|i| i.name.as_str()).collect();
    defined.extend(g.initializer.iter().map(|t| t.name.as_str()));
    defined.extend(
        g.node
            .iter()
            .flat_map(|n| n.output.iter().map(|o| o.as_str())),
    );
    match g.output.iter().find(|o| !defined.contains(o.name.as_str())) {
        Some(o) => Err(format!(
            "graph output {} is not produced by any node",
            o.name
        )),
        None => Ok(()),
    }
}

thread_local! {
    /// Whether panics on this thread are being caught by [`no_panic`].
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic inside it (in tract, on malformed models) into
/// an error message instead of a crash. The panic message is not printed.
///
/// The process's panic hook is wrapped once (never swapped back and forth,
/// which would race between threads): it stays silent only on a thread that
/// is inside `no_panic` and defers to the previous hook everywhere else.
pub(crate) fn no_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info)
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    r.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "internal panic".into())
    })
}
