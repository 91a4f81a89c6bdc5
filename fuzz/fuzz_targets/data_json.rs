//! `data.json` bytes through `zkc::data::read_dataset`, against every input
//! list of `zkc_fuzz::input_sets`: what is accepted has at least one sample,
//! every sample the right sizes, finite values, one label per sample.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkc::data::Labels;

fuzz_target!(|data: &[u8]| {
    let path = zkc_fuzz::scratch_file("data.json", data);
    for inputs in zkc_fuzz::input_sets() {
        if let Ok(d) = zkc::data::read_dataset(&path, inputs) {
            assert!(!d.samples.is_empty());
            for s in &d.samples {
                assert_eq!(s.len(), inputs.len());
                for (v, i) in s.iter().zip(inputs) {
                    assert_eq!(v.len(), zkc_ir::numel(&i.shape));
                    assert!(v.iter().all(|f| f.is_finite()));
                }
            }
            match &d.labels {
                Some(Labels::Classes(c)) => assert_eq!(c.len(), d.samples.len()),
                Some(Labels::Targets(t)) => {
                    assert_eq!(t.len(), d.samples.len());
                    assert!(t.iter().flatten().all(|f| f.is_finite()));
                }
                None => {}
            }
        }
    }
});
