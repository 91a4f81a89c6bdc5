//! The pass interface and the fixed pipelines.

use zkc_ir::{validate, Graph, Stage};

use crate::PassError;

/// An IR-to-IR rewrite.
pub trait Pass {
    /// Stable name: the file the pass lives in, without `.rs`.
    fn name(&self) -> &'static str;
    /// The stage of the graph the pass produces (checked after it runs).
    fn produces(&self) -> Stage {
        Stage::Float
    }
    /// Rewrites the graph; returns how many rewrites it made.
    fn run(&self, g: &mut Graph) -> Result<usize, PassError>;
    /// What the user should know about the last run (a precision the pass
    /// had to give up, and where); empty by default.
    fn notes(&self) -> Vec<String> {
        vec![]
    }
}

/// What one pass did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassReport {
    /// The pass name.
    pub pass: &'static str,
    /// Number of rewrites.
    pub changes: usize,
    /// Number of nodes after the pass.
    pub nodes: usize,
    /// [`Pass::notes`] of the run.
    pub notes: Vec<String>,
}

/// Passes run in a fixed order; the graph is validated after each one.
pub struct Pipeline {
    passes: Vec<Box<dyn Pass>>,
}

impl Pipeline {
    /// A pipeline of the given passes.
    pub fn new(passes: Vec<Box<dyn Pass>>) -> Self {
        Pipeline { passes }
    }

    /// The float pipeline: constant folding, dead-node removal, no-op
    /// removal, BatchNorm (and per-channel affine) folding, activation
    /// fusion, and a final dead-node removal.
    pub fn float() -> Self {
        Pipeline::new(vec![
            Box::new(crate::fold_constants::FoldConstants),
            Box::new(crate::remove_dead::RemoveDead),
            Box::new(crate::remove_noops::RemoveNoops),
            Box::new(crate::fold_batch_norm::FoldBatchNorm),
            Box::new(crate::fuse_activations::FuseActivations),
            Box::new(crate::remove_dead::RemoveDead),
        ])
    }

    /// The quantization pipeline (run on the output of [`Pipeline::float`]
    /// with the calibration of that graph): power-of-two quantization,
    /// requantization as rounding shifts, with
    /// [`crate::QuantConfig::private_weights`] the weights made private
    /// parameters, divisions as fixed-point multiplications, tables for
    /// smooth functions, dead-node removal and bound analysis. Its output is
    /// a valid [`zkc_ir::Stage::Quantized`] graph.
    ///
    /// `privatize_weights` runs before the passes that choose multipliers
    /// and tables from bounds (`lower_divisions`, `tabulate_functions`), so
    /// that those, like every recorded bound, follow from the weights'
    /// declared ranges and never from their values.
    pub fn quantize(cfg: crate::QuantConfig, cal: crate::Calibration) -> Self {
        let private = cfg
            .private_weights
            .then(|| crate::privatize_weights::PrivatizeWeights::new(cfg.clone()));
        let mut passes: Vec<Box<dyn Pass>> = vec![
            Box::new(crate::quantize_graph::QuantizeGraph::new(cfg.clone(), cal)),
            Box::new(crate::insert_rescales::InsertRescales { cfg: cfg.clone() }),
        ];
        passes.extend(private.map(|p| Box::new(p) as Box<dyn Pass>));
        passes.push(Box::new(crate::lower_divisions::LowerDivisions::new(
            cfg.clone(),
        )));
        passes.push(Box::new(crate::tabulate_functions::TabulateFunctions::new(
            cfg.clone(),
        )));
        passes.push(Box::new(crate::remove_dead::QuantizedRemoveDead));
        passes.push(Box::new(crate::analyze_bounds::AnalyzeBounds { cfg }));
        Pipeline::new(passes)
    }

    /// The passes, in order (to run or inspect them one by one).
    pub fn into_passes(self) -> Vec<Box<dyn Pass>> {
        self.passes
    }

    /// The pass names in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.passes.iter().map(|p| p.name()).collect()
    }

    /// Runs every pass in order, validating after each, and calls `after`
    /// with the pass name and the graph after it (for `zkc inspect`).
    pub fn run(
        &self,
        g: &mut Graph,
        mut after: impl FnMut(&'static str, &Graph),
    ) -> Result<Vec<PassReport>, PassError> {
        let mut reports = vec![];
        for p in &self.passes {
            let changes = p.run(g)?;
            validate(g, p.produces()).map_err(|source| PassError::Ir {
                pass: p.name(),
                source,
            })?;
            after(p.name(), g);
            reports.push(PassReport {
                pass: p.name(),
                changes,
                nodes: g.len(),
                notes: p.notes(),
            });
        }
        Ok(reports)
    }
}

/// Every float pass by name (for tests and tools that run one pass).
pub fn pass_by_name(name: &str) -> Option<Box<dyn Pass>> {
    let p: Box<dyn Pass> = match name {
        "fold_constants" => Box::new(crate::fold_constants::FoldConstants),
        "remove_dead" => Box::new(crate::remove_dead::RemoveDead),
        "remove_noops" => Box::new(crate::remove_noops::RemoveNoops),
        "fold_batch_norm" => Box::new(crate::fold_batch_norm::FoldBatchNorm),
        "fuse_activations" => Box::new(crate::fuse_activations::FuseActivations),
        _ => return None,
    };
    Some(p)
}
