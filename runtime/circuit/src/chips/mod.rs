//! Chips in the halo2_gadgets style: a `Config` holding columns and gates
//! (each gate named after its equation), a `Chip` constructed from it, and
//! an instructions trait for what layers may ask of it.

pub mod arith;
pub mod commit;
pub mod mac;
pub mod maxpool;
pub mod range;
pub mod rescale;
pub mod sponge;
pub mod sse;
pub mod statement;
pub mod table;
