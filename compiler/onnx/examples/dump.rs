fn main() {
    for p in std::env::args().skip(1) {
        match zkc_onnx::import_file(std::path::Path::new(&p)) {
            Ok(imp) => print!("{}", zkc_ir::print_graph(&imp.graph).unwrap()),
            Err(e) => println!("ERROR {e}"),
        }
    }
}
