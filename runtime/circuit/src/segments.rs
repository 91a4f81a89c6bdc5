//! Choosing where to cut a quantized graph so that every segment fits a
//! circuit of at most `2^max_k` rows (segmented proofs, issue 12; the cut
//! itself is [`zkc_ir::split_graph`]).
//!
//! Greedy from the first node: each segment is extended as far as it still
//! plans at `k <= max_k` (binary search over its end; rows grow with the
//! nodes a segment holds), then ends, among the positions in the last
//! quarter of that stretch (else anywhere in it), at the one whose
//! boundary carries the fewest elements (a boundary is public values or a
//! commitment in every proof on both sides of it) and can be the next
//! segment's inputs (a wide accumulator cannot: its input range check
//! would not fit the range table). A graph that fits is not cut.

use zkc_ir::{numel, split_graph, Graph};

use crate::plan::{plan, Plan};
use crate::CircuitError;

/// The plan of the nodes at topological positions `start..end` of `g` as
/// a segment of their own.
fn plan_range(g: &Graph, start: usize, end: usize, n: usize) -> Result<Plan, CircuitError> {
    let cuts: Vec<usize> = [start, end]
        .into_iter()
        .filter(|&c| c > 0 && c < n)
        .collect();
    let segs = split_graph(g, &cuts).map_err(|e| CircuitError::Unsupported(e.to_string()))?;
    let i = usize::from(start > 0);
    let seg = segs
        .get(i)
        .ok_or_else(|| CircuitError::Unsupported("no such segment".into()))?;
    plan(&seg.graph)
}

/// Elements crossing a cut before position `c` of `g`.
fn boundary_elements(g: &Graph, c: usize) -> Result<usize, CircuitError> {
    let segs = split_graph(g, &[c]).map_err(|e| CircuitError::Unsupported(e.to_string()))?;
    Ok(segs[0].outputs.iter().map(|&id| numel(g.shape(id))).sum())
}

/// Cut positions (for [`zkc_ir::split_graph`]) such that every segment
/// plans at `k <= max_k`; empty when the whole graph does. Fails when one
/// node alone needs more than `2^max_k` rows.
pub fn choose_cuts(g: &Graph, max_k: u32) -> Result<Vec<usize>, CircuitError> {
    let order = g
        .topo_order()
        .map_err(|e| CircuitError::Unsupported(e.to_string()))?;
    let n = order.len();
    let fits = |s: usize, e: usize| plan_range(g, s, e, n).is_ok_and(|p| p.k <= max_k);
    let mut cuts = vec![];
    let mut start = 0;
    while start < n {
        if fits(start, n) {
            break;
        }
        // the longest stretch from `start` that fits
        let (mut lo, mut hi) = (start, n);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if fits(start, mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if lo == start {
            let p = plan_range(g, start, start + 1, n)?;
            return Err(CircuitError::Unsupported(format!(
                "node {} alone (position {start}) needs k = {}, more than --max-k {max_k}",
                g.node(order[start]).name,
                p.k
            )));
        }
        // the smallest boundary in the stretch's last quarter (else
        // anywhere in it) that the next segment can take as its inputs (a
        // wide accumulator cannot: its range check would not fit the table)
        let usable = |c: usize| plan_range(g, c, c + 1, n).is_ok();
        let mut best: Option<(usize, usize)> = None;
        for from in [lo - (lo - start) / 4, start + 1] {
            for c in from..=lo {
                let b = boundary_elements(g, c)?;
                if best.is_none_or(|(bb, _)| b < bb) && usable(c) {
                    best = Some((b, c));
                }
            }
            if best.is_some() {
                break;
            }
        }
        let (_, c) = best.ok_or_else(|| {
            CircuitError::Unsupported(format!(
                "no cut between positions {start} and {lo} has a boundary the next segment can take as its inputs"
            ))
        })?;
        cuts.push(c);
        start = c;
    }
    Ok(cuts)
}
