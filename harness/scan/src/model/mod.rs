//! The request model as the scanner and the HTTP fuzzer use it: the API's
//! one description ([`placement_api`], re-exported here) plus the fuzzer's
//! generator over it ([`arbitrary`]) and the reads that check what a write
//! did ([`read_back`]).

pub use placement_api::*;

pub mod arbitrary;
pub mod read_back;
