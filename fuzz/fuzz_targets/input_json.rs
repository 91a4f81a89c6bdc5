//! `input.json` bytes through `zkc::data::read_input`, against every input
//! list of `zkc_fuzz::input_sets`: what is accepted has one finite value per
//! element of each input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = zkc_fuzz::scratch_file("input.json", data);
    for inputs in zkc_fuzz::input_sets() {
        if let Ok(x) = zkc::data::read_input(&path, inputs) {
            assert_eq!(x.len(), inputs.len());
            for (v, i) in x.iter().zip(inputs) {
                assert_eq!(v.len(), zkc_ir::numel(&i.shape));
                assert!(v.iter().all(|f| f.is_finite()));
            }
        }
    }
});
