//! Binding, serving and shutting down.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::config::ServerConfig;
use crate::policy::PolicyError;

/// Why a server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The policy (defaults plus overrides) does not parse.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server's own configuration is inconsistent.
    #[error("server configuration: {0}")]
    Config(String),
}

/// The API as an axum router, with a fresh empty state.
pub fn router(config: ServerConfig) -> Result<axum::Router, ServeError> {
    let app = Arc::new(App::new(config)?);
    Ok(axum::Router::new()
        .fallback(crate::app::handle)
        .with_state(app))
}

/// A server running on a tokio task.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), std::io::Error>>,
}

impl RunningServer {
    /// The base URL, e.g. `http://127.0.0.1:38123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address (the real port when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) -> Result<(), std::io::Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join) => Err(std::io::Error::other(join.to_string())),
        }
    }
}

/// Binds `addr` (port 0 picks a free one) and serves on a new task.
pub async fn spawn(config: ServerConfig, addr: SocketAddr) -> Result<RunningServer, ServeError> {
    let router = router(config)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task,
    })
}
