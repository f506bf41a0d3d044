#![no_main]

// One request per input, decoded from the bytes and sent to PLACEMENT_FUZZ_URL
// (or the embedded server); a finding at or above PLACEMENT_FUZZ_SEVERITY
// (default high) aborts with its check, title and curl line.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = placement_harness::http_target::run_input(data) {
        panic!("{failure}");
    }
});
