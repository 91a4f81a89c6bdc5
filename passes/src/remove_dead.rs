//! Dead-node removal.
//!
//! Identity: a node no graph output depends on does not change any output,
//! so removing it preserves the graph's meaning. Graph inputs are kept (they
//! are part of the interface even when unused).

use zkc_ir::Graph;

use crate::{Pass, PassError};

/// Removes every node no output depends on.
pub struct RemoveDead;

impl Pass for RemoveDead {
    fn name(&self) -> &'static str {
        "remove_dead"
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        Ok(g.remove_dead())
    }
}

/// [`RemoveDead`] in the quantization pipeline (same rewrite; the graph
/// stays in the quantizing stage).
pub struct QuantizedRemoveDead;

impl Pass for QuantizedRemoveDead {
    fn name(&self) -> &'static str {
        "remove_dead"
    }

    fn produces(&self) -> zkc_ir::Stage {
        zkc_ir::Stage::Quantizing
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        Ok(g.remove_dead())
    }
}
