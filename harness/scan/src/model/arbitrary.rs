//! The `arbitrary`-based generator: one request of the surface decoded
//! from a fuzzer's bytes, for libFuzzer targets that send requests to a
//! server (`fuzz/fuzz_targets/http_placement.rs`).
//!
//! It is the same generator as `placement-harness fuzz`'s
//! ([`crate::fuzz::gen::request`]) with its decisions read from an
//! [`Unstructured`] instead of the seeded [`crate::fuzz::rng::Rng`]: the
//! operation, a microversion it serves (mostly) or an odd one, a persona,
//! path parameters (the run's own objects mostly, malformed or other ones
//! sometimes), query and body per the model with boundary and hostile
//! values from the one set of tables (the scanner's corpora included). So
//! what the two fuzzers try cannot drift apart, and bytes that run out
//! decode to the plainest request rather than to an error.

use arbitrary::{Arbitrary, Unstructured};

use super::{Operation, decoding_order};
use crate::fuzz::case::{CONSUMERS, PROVIDERS, Step};
use crate::fuzz::r#gen::{Choices, World, request};

/// Decisions read from the fuzzer's bytes. When the bytes run out every
/// number is 0 and every chance is taken, as `arbitrary` itself does.
pub struct ByteChoices<'u, 'a> {
    u: &'u mut Unstructured<'a>,
}

impl<'u, 'a> ByteChoices<'u, 'a> {
    /// Decisions from `u`.
    pub fn new(u: &'u mut Unstructured<'a>) -> Self {
        ByteChoices { u }
    }
}

impl Choices for ByteChoices<'_, '_> {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        self.u.choose_index(n).unwrap_or(0)
    }

    fn chance(&mut self, percent: u32) -> bool {
        let roll = self.u.int_in_range(0..=99u32).unwrap_or(0);
        roll < percent
    }
}

/// The world a libFuzzer HTTP target sets up once: the run's first
/// provider (with inventory), its first consumer (with an allocation), the
/// run's custom class and trait. Generations are unknown until read.
pub fn setup_world() -> World {
    World {
        providers: vec![PROVIDERS[0].0],
        consumers: vec![CONSUMERS[0]],
        custom_made: true,
        ..World::default()
    }
}

/// One request for an operation of `ops` chosen by the bytes of `u`,
/// generated over `world`. `None` only when `ops` is empty.
pub fn decode_step(u: &mut Unstructured<'_>, ops: &[Operation], world: &World) -> Option<Step> {
    let mut choices = ByteChoices::new(u);
    let op = choices.pick(ops)?;
    let name = format!("libfuzzer {} {}", op.method, op.route);
    Some(request(op, &mut choices, world, name))
}

/// One request of the surface ([`decoding_order`]) over [`setup_world`], as an
/// [`Arbitrary`] value (for targets and tests that take the type).
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest(pub Step);

impl<'a> Arbitrary<'a> for HttpRequest {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        decode_step(u, &decoding_order(), &setup_world())
            .map(HttpRequest)
            .ok_or(arbitrary::Error::NotEnoughData)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::InputKind;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn decode(bytes: &[u8]) -> Step {
        let mut u = Unstructured::new(bytes);
        decode_step(&mut u, &decoding_order(), &setup_world()).expect("the surface is not empty")
    }

    #[test]
    fn every_operation_is_reachable_from_its_first_byte() {
        let ops = decoding_order();
        assert!(ops.len() < 256, "one byte no longer chooses the operation");
        let mut reached = BTreeSet::new();
        for (i, op) in ops.iter().enumerate() {
            let first = u8::try_from(i).expect("fewer than 256 operations");
            let step = decode(&[first, 7, 42, 99, 3, 250, 17]);
            assert_eq!(
                (step.method.as_str(), step.route.as_str()),
                (op.method, op.route),
                "byte {first}"
            );
            reached.insert((step.method.clone(), step.route.clone()));
        }
        assert_eq!(
            reached.len(),
            ops.len(),
            "two operations share a method and route"
        );
    }

    #[test]
    fn no_bytes_decode_to_a_plain_request() {
        let step = decode(&[]);
        let first = &decoding_order()[0];
        assert_eq!(
            (step.method.as_str(), step.route.as_str()),
            (first.method, first.route)
        );
        assert_eq!(step.persona, "admin");
        assert_eq!(step.input.kind, InputKind::Valid);
    }

    #[test]
    fn bytes_reach_hostile_inputs_other_personas_and_odd_microversions() {
        // Not every input may be a valid one, nor every one hostile: a
        // generator stuck on either side fuzzes nothing (wasmtime's smoke
        // test of its generators).
        let mut hostile = 0;
        let mut other_persona = 0;
        let mut odd_version = 0;
        let mut rng = crate::fuzz::rng::Rng::new(6);
        let n = 2000;
        for _ in 0..n {
            let bytes: Vec<u8> = (0..64).map(|_| (rng.next_u64() & 0xff) as u8).collect();
            let step = decode(&bytes);
            if step.input.kind != InputKind::Valid {
                hostile += 1;
            }
            if step.persona != "admin" {
                other_persona += 1;
            }
            let odd = match step.microversion.as_deref() {
                None => false,
                Some(h) => crate::fuzz::r#gen::minor_of(Some(h)).is_none(),
            };
            if odd {
                odd_version += 1;
            }
        }
        assert!(
            hostile > n / 10 && hostile < n * 9 / 10,
            "hostile {hostile} of {n}"
        );
        assert!(
            other_persona > n / 20,
            "other personas {other_persona} of {n}"
        );
        assert!(odd_version > 0, "no odd microversion in {n} inputs");
    }

    #[test]
    fn the_same_bytes_decode_to_the_same_request() {
        let bytes = b"\x05hostile? \xff\x00\x10 then some more bytes \x80\x81";
        assert_eq!(decode(bytes), decode(bytes));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn any_bytes_decode_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut u = Unstructured::new(&bytes);
            let step = HttpRequest::arbitrary(&mut u).map(|r| r.0);
            let step = step.expect("the surface is not empty");
            prop_assert!(step.path.starts_with('/'));
            prop_assert!(decoding_order().iter().any(|o| o.method == step.method && o.route == step.route));
        }
    }
}
