//! Accepting connections: at most `max_connections` at once (the others
//! wait in the listener's queue), each request's headers within
//! `header_read_timeout` (so a client sending a byte at a time cannot
//! hold a connection open), and a graceful stop that lets requests in
//! flight finish.
//!
//! `axum::serve` offers neither limit, so the loop is written here over
//! hyper, the same way.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt as _;

/// How a listener is served.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// The longest a client may take to send a request's headers.
    pub header_read_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting, lets every open connection finish its request, and returns.
/// Each request carries the connection's peer as `ConnectInfo`.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Connections watch `stop` and start closing when it is dropped; the
    // loop waits for every connection's clone of `running` to be dropped
    // before returning.
    let (stop, stopping) = watch::channel(());
    let (done, running) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => {
                permit.unwrap_or_else(|_| unreachable!("the semaphore is never closed"))
            }
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    pause_after(&error).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = Connection {
            io: TokioIo::new(stream),
            service: TowerToHyperService::new(service),
            limits,
        };
        let stopping = stopping.clone();
        let running = running.clone();
        tokio::spawn(async move {
            connection.run(stopping).await;
            drop(running);
            drop(permit);
        });
    }
    drop(stop);
    drop(running);
    // Every connection has been told to finish; wait until they have.
    done.closed().await;
}

/// One accepted connection, ready to be served.
struct Connection<S> {
    io: TokioIo<tokio::net::TcpStream>,
    service: S,
    limits: Limits,
}

impl<S> Connection<S>
where
    S: hyper::service::Service<hyper::Request<Incoming>, Response = axum::response::Response>
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    async fn run(self, mut stopping: watch::Receiver<()>) {
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_read_timeout);
        let connection = builder
            .serve_connection(self.io, self.service)
            .with_upgrades();
        tokio::pin!(connection);
        let mut closing = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::trace!(%error, "connection ended with an error");
                    }
                    break;
                }
                _ = stopping.changed(), if !closing => {
                    // The sender is dropped on shutdown: finish the request
                    // under way, then close.
                    closing = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// After a failed accept: connection errors are the client's and need no
/// pause; anything else (too many open files) waits a moment so the loop
/// does not spin.
async fn pause_after(error: &std::io::Error) {
    use std::io::ErrorKind;
    let the_clients = matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    );
    if !the_clients {
        tracing::warn!(%error, "accepting a connection failed; pausing");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
