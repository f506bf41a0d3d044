//! `placement-harness serve`: the embedded reference Placement
//! (placement-refserver) as a process of its own, for tests and scans that
//! want a target without Python.
//!
//! It prints the base URL (with the real port when asked for port 0) on
//! stdout as its only output, then serves until SIGINT or SIGTERM, when it
//! stops accepting and lets requests in flight finish.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use placement_refserver::{AuthMode, Rbac, ServerConfig};

use crate::exit::{EXIT_OK, EXIT_USAGE};

/// `--auth` of `serve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServeAuth {
    /// Placement's noauth2: token `admin` or `user:project`.
    Noauth2,
    /// Identity headers from a fronting keystone auth_token proxy.
    KeystoneHeaders,
}

/// `--rbac` of `serve`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServeRbac {
    /// Placement's new defaults alone.
    Secure,
    /// The deprecated admin rules as well.
    Legacy,
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8778")]
    pub listen: SocketAddr,
    /// How callers are identified.
    #[arg(long, value_enum, default_value = "noauth2")]
    pub auth: ServeAuth,
    /// In noauth2 mode, believe X-Roles and OpenStack-System-Scope from the
    /// client, as Placement's noauth2 middleware does (unsafe; for tests).
    #[arg(long)]
    pub trust_identity_headers: bool,
    /// Placement's default policies: secure (new defaults) or legacy.
    #[arg(long, value_enum, default_value = "secure")]
    pub rbac: ServeRbac,
    /// Policy file (YAML or JSON: rule name to oslo.policy rule string).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Where Placement 16.0.0 errs: `safe` (atomic allocation writes,
    /// `in_tree` with spaces refused) or `placement` (consumers left by a
    /// refused write, `in_tree` stripped, as Placement does).
    #[arg(long, value_enum, default_value = "safe")]
    pub behaviour: ServeBehaviour,
}

/// `--behaviour`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServeBehaviour {
    /// Safer than Placement where it errs.
    Safe,
    /// Placement's answers where it errs.
    Placement,
}

/// Runs `serve`; returns the exit code.
pub fn serve_command(args: &ServeArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let overrides = match &args.policy {
        Some(path) => match placement_refserver::policy::load_file(path) {
            Ok(rules) => rules,
            Err(e) => {
                let _ = writeln!(err, "placement-harness serve: --policy: {e}");
                return EXIT_USAGE;
            }
        },
        None => Default::default(),
    };
    let config = ServerConfig {
        auth: match args.auth {
            ServeAuth::Noauth2 => AuthMode::NoAuth2,
            ServeAuth::KeystoneHeaders => AuthMode::KeystoneHeaders,
        },
        trust_identity_headers: args.trust_identity_headers,
        rbac: match args.rbac {
            ServeRbac::Secure => Rbac::Secure,
            ServeRbac::Legacy => Rbac::Legacy,
        },
        policy_overrides: overrides,
        behaviour: match args.behaviour {
            ServeBehaviour::Safe => placement_refserver::Behaviour::Safe,
            ServeBehaviour::Placement => placement_refserver::Behaviour::Placement,
        },
        ..ServerConfig::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(
                err,
                "placement-harness serve: cannot start the runtime: {e}"
            );
            return EXIT_USAGE;
        }
    };
    runtime.block_on(async {
        let server = match placement_refserver::spawn(config, args.listen).await {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(err, "placement-harness serve: {e}");
                return EXIT_USAGE;
            }
        };
        let _ = writeln!(out, "{}", server.url());
        let _ = out.flush();
        wait_for_signal().await;
        match server.shutdown().await {
            Ok(()) => EXIT_OK,
            Err(e) => {
                let _ = writeln!(err, "placement-harness serve: {e}");
                EXIT_USAGE
            }
        }
    })
}

/// Waits for SIGINT or SIGTERM (Ctrl-C alone where there are no signals).
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The embedded server a `scan` or `run` without `--target` starts: the
/// default configuration (noauth2, client identity headers ignored, secure
/// RBAC), with each noauth2 persona's roles assigned on the server side, as
/// a deployment's Keystone would hold them, so that a reader is a reader
/// because of who it is, never because of a header it sends.
pub fn embedded_config(personas: &[crate::persona::Persona]) -> ServerConfig {
    let mut config = ServerConfig::default();
    for p in personas {
        if let crate::persona::Credential::Noauth2 {
            token,
            roles: Some(roles),
        } = &p.credential
        {
            let user = token.expose().split(':').next().unwrap_or_default();
            if !user.is_empty() {
                config.noauth2_roles.insert(user.to_owned(), roles.clone());
            }
        }
    }
    config
}

/// Starts [`embedded_config`]'s server on a free loopback port, on
/// `runtime`: the target of a `scan` or `run` without `--target`.
pub fn spawn_embedded(
    runtime: &tokio::runtime::Runtime,
    personas: &[crate::persona::Persona],
) -> Result<placement_refserver::RunningServer, String> {
    runtime
        .block_on(placement_refserver::spawn(
            embedded_config(personas),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .map_err(|e| e.to_string())
}

/// Where `run`, `scan` and `fuzz` send: `--target` when given; otherwise a
/// server of [`spawn_embedded`] started for this run, returned as well so
/// that it lives as long as the run and is thrown away after it.
pub fn target_or_embedded(
    runtime: &tokio::runtime::Runtime,
    target: Option<&str>,
    personas: &[crate::persona::Persona],
) -> Result<(String, Option<placement_refserver::RunningServer>), String> {
    match target {
        Some(url) => Ok((url.to_owned(), None)),
        None => {
            let server = spawn_embedded(runtime, personas)?;
            Ok((server.url(), Some(server)))
        }
    }
}
