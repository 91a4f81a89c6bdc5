use std::sync::Arc;
use std::time::Instant;
use zkc_circuit::{instance_of, plan, prover, ModelCircuit};
use zkc_passes::{calibrate, synthetic_samples, Pipeline, QuantConfig};

fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mut g = zkc_onnx::import_file(std::path::Path::new(&path))
        .unwrap()
        .graph;
    Pipeline::float().run(&mut g, |_, _| {}).unwrap();
    let cal = calibrate(&g, &synthetic_samples(&g, 16, 1)).unwrap();
    Pipeline::quantize(QuantConfig::new(8, 8, false), cal)
        .run(&mut g, |_, _| {})
        .unwrap();
    let t = Instant::now();
    let p = plan(&g).unwrap();
    eprintln!(
        "plan {:?}: k={} rows={} shape={} T={} macs={} by_op={:?}",
        t.elapsed(),
        p.k,
        p.rows,
        p.shape.describe(),
        p.range_bits,
        p.macs,
        p.rows_by_op
    );
    let inputs: Vec<Vec<i64>> = g
        .inputs_list()
        .iter()
        .map(|&i| vec![3; zkc_ir::numel(g.shape(i))])
        .collect();
    let run = zkc_runtime::run_int(&g, &inputs).unwrap();
    let inst = instance_of(&g, &run).unwrap();
    let c = ModelCircuit::new(
        Arc::new(g.clone()),
        Arc::new(p.clone()),
        Some(Arc::new(run)),
    );
    let cache = prover::default_cache_dir();
    let t = Instant::now();
    let (params, gen) = prover::params(p.k, &cache).unwrap();
    eprintln!("params k={} {:?} generated={gen}", p.k, t.elapsed());
    let t = Instant::now();
    let vk = prover::verifying_key(&params, &c).unwrap();
    eprintln!(
        "vk {:?} fp={}",
        t.elapsed(),
        &prover::fingerprint(&vk)[..16]
    );
    let t = Instant::now();
    let pk = prover::proving_key(&params, vk.clone(), &c).unwrap();
    eprintln!("pk {:?}", t.elapsed());
    let t = Instant::now();
    let proof = prover::prove(&params, &pk, &c, &inst).unwrap();
    eprintln!("prove {:?} bytes={}", t.elapsed(), proof.len());
    let t = Instant::now();
    prover::verify(&params, &vk, &inst, &proof).unwrap();
    eprintln!("verify {:?}", t.elapsed());
}
