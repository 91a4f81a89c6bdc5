//! One file of a real artifact directory (digits_mlp, set up, with a real
//! proof) replaced by the input, then `zkc::model::Model::load`, the
//! quantized run of the bundled input, `plan_of` and the full
//! `zkc::proving::verify` of the real proof: never a panic, a hang or a
//! huge allocation.
//!
//! Input: byte 0 picks the file (`manifest.json`, `setup.json`, `vk.bin`,
//! `quantized.ir`, `float.ir`, `report.json`), the rest is its content.
#![no_main]

use libfuzzer_sys::fuzz_target;

const FILES: [&str; 6] = [
    "manifest.json",
    "setup.json",
    "vk.bin",
    "quantized.ir",
    "float.ir",
    "report.json",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let f = zkc_fuzz::proof_fixture();
    let name = FILES[usize::from(pick) % FILES.len()];
    let dir = zkc_fuzz::scratch().join("case.zkc");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch artifact");
    for entry in std::fs::read_dir(&f.dir).expect("fixture artifact") {
        let p = entry.expect("fixture file").path();
        std::fs::copy(&p, dir.join(p.file_name().expect("file name"))).expect("copy");
    }
    std::fs::write(dir.join(name), content).expect("write the fuzzed file");
    if let Ok(model) = zkc::model::Model::load(&dir) {
        let input = zkc_fuzz::root().join("models/digits_mlp/input.json");
        if let Ok(x) = zkc::data::read_input(&input, &model.manifest.inputs) {
            let _ = model.infer(&x);
        }
        let _ = zkc::proving::plan_of(&model.quant);
    }
    let _ = zkc::proving::verify(&dir, &f.proof_path, &f.cache, false);
});
