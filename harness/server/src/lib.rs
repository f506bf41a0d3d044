//! placement-refserver: the embedded reference Placement API over placement-core.
//!
//! An HTTP skin on the allocation core: requests are parsed by the core's
//! body and query parsers into typed requests, turned into core operations
//! ([`placement_core::state::request`]) and applied to one in-memory
//! [`State`](placement_core::state::State) under a lock, so every write is
//! atomic and concurrent writers see Placement's generations. The server
//! behaves as Placement 16.0.0 (microversions 1.0 to 1.39) wherever
//! Placement is right and is safe where Placement errs: identity headers
//! from clients are not believed by default, errors never echo more than a
//! short escaped excerpt of the input, UUIDs in paths and queries are
//! strict, bodies and JSON nesting are bounded, a JSON key given twice is
//! refused, names take no invisible format characters, a refused write
//! leaves nothing behind, candidates searches have a work budget.
//!
//! Modules: [`config`] (how it runs), [`identity`] (auth modes),
//! [`policy`] (Placement's rules and the oslo.policy language),
//! [`version`] (the microversion header), [`routes`] (the URL map),
//! [`reply`] (answers and the error envelope), `handlers` (one file per
//! family of routes), `render` (JSON of the core's objects), `strict_json`
//! (bodies with one value per key), `app` (the request pipeline),
//! [`server`] (binding, serving and shutting down).

mod app;
pub mod config;
mod handlers;
mod httpdate;
pub mod identity;
mod messages;
pub mod policy;
mod render;
pub mod reply;
pub mod routes;
pub mod server;
mod strict_json;
pub mod version;

pub use config::{AuthMode, Behaviour, Rbac, ServerConfig};
pub use server::{RunningServer, ServeError, router, spawn};

pub use placement_core as core;
