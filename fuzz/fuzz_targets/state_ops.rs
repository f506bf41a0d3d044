#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = placement_fuzzing::state_ops(data) {
        panic!("{failure}");
    }
});
