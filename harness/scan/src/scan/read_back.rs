//! The reads the `state_after_error` oracle needs after a 5xx answer to a
//! write, made through the run's [`Transport`] so that the ownership guard,
//! the journal and `--max-rps` apply to them as to any request. The scan
//! and the HTTP fuzzer both call [`read_back`]; the oracle itself
//! ([`crate::oracle::state_after_error`]) stays pure and only weighs what
//! came back.

use crate::exchange::{self, Header};
use crate::model::read_back::{ReadBack, needs_read_before, read_backs};
use crate::oracle::state_after_error::Reading;
use crate::persona::Persona;
use crate::route::match_route;
use crate::transport::Transport;

/// Request headers not carried over from the write to its read-backs: they
/// describe the write's body.
const BODY_HEADERS: &[&str] = &["content-type", "content-length", "content-encoding"];

/// Reads back the objects `write` named, as `persona`, with the write's
/// own headers (its microversion and, for a request written with its own
/// token, that token) minus the ones describing a body. `write` is the
/// request as built for sending, before redaction. `prefix` is the path of
/// the target's base URL. Returns the readings and the number of requests
/// that reached the sender (a read the guard refuses is a reading with an
/// error, not a request). At most `budget` reads are sent (what is left of
/// the run's request bound); the rest are readings with an error.
pub async fn read_back<S: Transport>(
    sender: &S,
    write: &exchange::Request,
    persona: Option<&Persona>,
    prefix: &str,
    budget: u64,
) -> (Vec<Reading>, u64) {
    let reads = read_backs(&write.method, &write.url, prefix, write.body.as_deref());
    read_all(sender, write, persona, prefix, budget, reads, "read-back").await
}

/// The same reads taken before `write` is sent, when they are needed to
/// judge it ([`needs_read_before`]: creates and deletes by name); `None`
/// (and nothing sent) for every other write.
pub async fn read_before<S: Transport>(
    sender: &S,
    write: &exchange::Request,
    persona: Option<&Persona>,
    prefix: &str,
    budget: u64,
) -> Option<(Vec<Reading>, u64)> {
    let reads = read_backs(&write.method, &write.url, prefix, write.body.as_deref());
    if !needs_read_before(&reads) {
        return None;
    }
    Some(read_all(sender, write, persona, prefix, budget, reads, "read before").await)
}

async fn read_all<S: Transport>(
    sender: &S,
    write: &exchange::Request,
    persona: Option<&Persona>,
    prefix: &str,
    budget: u64,
    reads: Vec<ReadBack>,
    what: &str,
) -> (Vec<Reading>, u64) {
    let mut readings = Vec::new();
    let mut sent = 0;
    for read in reads {
        let object = match_route(&read.url, prefix)
            .uuid_param()
            .map(crate::guard::percent_decode)
            .and_then(|raw| placement_core::ids::classify(&raw).map(|(u, _)| u.to_string()));
        let request = exchange::Request {
            method: "GET".to_owned(),
            url: read.url.clone(),
            route: read.route.clone(),
            persona: write.persona.clone(),
            credentials: write.credentials,
            input: exchange::Input::default(),
            object,
            group: None,
            headers: write
                .headers
                .iter()
                .filter(|h| !BODY_HEADERS.contains(&h.name.to_ascii_lowercase().as_str()))
                .map(|h| Header::new(&h.name, &h.value))
                .collect(),
            body: None,
            suite: write.suite.clone(),
            step: write.step.as_ref().map(|s| format!("{s} ({what})")),
        };
        let result = match sender.skip_reason(&request) {
            Some(why) => Err(format!("not sent: {why}")),
            None if sent >= budget => {
                Err("not sent: the run's request bound is reached".to_owned())
            }
            None => {
                sent += 1;
                sender.send(request, persona).await.map_err(|e| e.0)
            }
        };
        readings.push(Reading { read, result });
    }
    (readings, sent)
}
