//! IR text (`float.ir`, `quantized.ir`) through `zkc_ir::parse_graph` and
//! `zkc_ir::validate` at every stage; a graph that validates is run by both
//! interpreters on zero inputs, planned when quantized, and must print to a
//! text that parses back to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkc_ir::Stage;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(g) = zkc_ir::parse_graph(text) else {
        return;
    };
    let float_ok = zkc_ir::validate(&g, Stage::Float).is_ok();
    let quant_ok = zkc_ir::validate(&g, Stage::Quantized).is_ok();
    let _ = zkc_ir::validate(&g, Stage::Quantizing);
    if float_ok {
        let _ = zkc_ir::validate_final(&g, Stage::Float);
    }
    if quant_ok {
        let _ = zkc_ir::validate_final(&g, Stage::Quantized);
        let _ = zkc::proving::plan_of(&g);
    }
    if float_ok || quant_ok {
        if let Some((f, i)) = zkc_fuzz::zero_inputs(&g) {
            let _ = zkc_runtime::run_float(&g, &f);
            let _ = zkc_runtime::run_int(&g, &i);
        }
        let printed = zkc_ir::print_graph_full(&g).expect("a valid graph prints");
        let again = zkc_ir::parse_graph(&printed).expect("a printed graph parses");
        assert_eq!(zkc_ir::print_graph_full(&again).ok(), Some(printed));
    }
});
