//! `aftercare serve`: the HTTP service.

use std::process::ExitCode;
use std::sync::Arc;

use aftercare_server::{AppState, Delivery, Scheduler, SchedulerOptions, ServerSettings};
use aftercare_store::{SqliteSync, Store, StoreOptions};

use super::{Failure, load_guideline};
use crate::demo;
use crate::settings::{DatabaseArgs, LogFormat, ServeArgs, SyncMode, resolve};

/// Runs the service until Ctrl-C or SIGTERM, then finishes the requests in
/// flight and closes the database.
pub async fn serve(
    database: &DatabaseArgs,
    args: &ServeArgs,
    with_demo: bool,
) -> Result<ExitCode, Failure> {
    let settings = resolve(database, args)?;
    init_logging(settings.log_format);
    let guideline = load_guideline(settings.guideline.as_deref())?;
    // A replacement guideline answers no one until it keeps every red-flag
    // floor and no more evidence lowers a probe's level, as `aftercare
    // guideline check` would demand.
    let broken = aftercare_core::safety::check_floors(&guideline);
    if let Some(first) = broken.first() {
        return Err(Failure::Usage(format!(
            "the guideline {} answers {} red-flag probe(s) below their floor (first: {first}); `aftercare guideline check` lists them",
            guideline.version,
            broken.len()
        )));
    }
    let lowered = aftercare_core::safety::check_monotonic(&guideline);
    if let Some(first) = lowered.first() {
        return Err(Failure::Usage(format!(
            "the guideline {} gives a lower level when evidence is added to a red-flag probe, {} time(s) (first: {first}); `aftercare guideline check` lists them",
            guideline.version,
            lowered.len()
        )));
    }
    let options = StoreOptions {
        migrate: true,
        sqlite_sync: match settings.sync {
            SyncMode::Normal => SqliteSync::Normal,
            SyncMode::Full => SqliteSync::Full,
        },
        checkin_limits: settings.checkin_limits,
        ..StoreOptions::default()
    };
    let store = Store::open(&settings.database_url, &options).await?;
    let guideline = Arc::new(guideline);
    if with_demo {
        demo::ensure_demo_clinic(&store, &guideline, &settings.public_url).await?;
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|error| Failure::Io {
            what: format!("cannot listen on {}", settings.listen),
            error,
        })?;
    let address = listener.local_addr().map_err(|error| Failure::Io {
        what: "cannot read the listening address".to_owned(),
        error,
    })?;
    tracing::info!(%address, backend = ?store.backend(), guideline = %guideline.version, "aftercare is serving");
    eprintln!(
        "Aftercare is serving on http://{address} (API under /api/v1, OpenAPI at /api/v1/openapi.json)"
    );
    for warning in delivery_warnings(settings.smtp.is_some(), &settings.public_url) {
        tracing::warn!("{warning}");
        eprintln!("Note: {warning}");
    }
    let state = AppState::new(
        store,
        Arc::unwrap_or_clone(guideline),
        ServerSettings {
            link_lifetime_days: settings.link_lifetime_days,
            max_body_bytes: settings.max_body_bytes,
            request_timeout: settings.request_timeout,
            public_url: settings.public_url.clone(),
            metrics: settings.metrics,
            smtp: settings.smtp.clone(),
            webhook_allow: settings.webhook_allow.clone(),
            trusted_proxies: settings.trusted_proxies.clone(),
            max_connections: settings.max_connections,
            ..ServerSettings::default()
        },
    );
    // On an empty database, the way in: a one-time link that sets up the
    // clinic. It goes to stdout, never to the logs, since it is a secret.
    if let Some(link) = aftercare_server::web::first_run_setup_link(&state).await? {
        println!("No clinic yet. Open this one-time link within 24 hours to set one up:");
        println!("  {link}");
        println!(
            "(Or create one with `aftercare clinic create NAME --owner EMAIL`, \
             or restart with --demo to explore demo data.)"
        );
    }
    let delivery = Delivery::new(
        state.settings().smtp.as_ref(),
        &state.settings().webhook_allow,
    )
    .map_err(|error| Failure::Usage(error.to_string()))?;
    let scheduler = Scheduler::new(
        state.clone(),
        delivery,
        SchedulerOptions {
            tick: settings.scheduler_tick,
            lease: settings.scheduler_lease,
            ..SchedulerOptions::default()
        },
    );
    run_beside(state, listener, scheduler).await?;
    tracing::info!("aftercare stopped");
    Ok(ExitCode::SUCCESS)
}

/// Runs the HTTP service and the scheduler side by side until Ctrl-C or
/// SIGTERM. On a signal the scheduler finishes its pass first (so nothing
/// it sent is left unmarked), then the service drains its requests and
/// closes the store. If the scheduler ends by itself, that is logged and
/// the service stops too, so a supervisor restarts the whole.
async fn run_beside(
    state: AppState,
    listener: tokio::net::TcpListener,
    scheduler: Scheduler,
) -> Result<(), Failure> {
    let stop_scheduler = Arc::new(tokio::sync::Notify::new());
    let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (scheduler_done, scheduler_stopped) = tokio::sync::oneshot::channel::<()>();
    let mut scheduler_task = tokio::spawn({
        let stop = Arc::clone(&stop_scheduler);
        async move {
            scheduler.run(async move { stop.notified().await }).await;
            let _ = scheduler_done.send(());
        }
    });
    let server_shutdown = {
        let stopping = Arc::clone(&stopping);
        async move {
            shutdown_signal().await;
            stopping.store(true, std::sync::atomic::Ordering::SeqCst);
            stop_scheduler.notify_one();
            let _ = scheduler_stopped.await;
        }
    };
    let server = aftercare_server::launch(state, listener, server_shutdown);
    tokio::pin!(server);
    let served = tokio::select! {
        served = &mut server => served,
        ended = &mut scheduler_task => {
            if stopping.load(std::sync::atomic::Ordering::SeqCst) {
                server.await
            } else {
                tracing::error!(?ended, "the scheduler stopped by itself; stopping the service");
                return Err(Failure::Io {
                    what: "the scheduler stopped".to_owned(),
                    error: std::io::Error::other("the scheduler task ended"),
                });
            }
        }
    };
    served.map_err(|error| Failure::Io {
        what: "the server stopped".to_owned(),
        error,
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Logs to stderr; `AFTERCARE_LOG` or `RUST_LOG` set the filter
/// (default `info`). Nothing personal is logged anywhere in the service.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("AFTERCARE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// What an operator should know at start-up about messages that cannot
/// reach people: no email without SMTP, and links that a phone cannot open
/// when the public address is this machine's loopback.
fn delivery_warnings(smtp_configured: bool, public_url: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    if !smtp_configured {
        warnings.push(
            "no SMTP server is set, so no email (invitation, reminder or alert) can go out; \
             clinics without a webhook must watch their dashboard, and clients must be given \
             their link by hand"
                .to_owned(),
        );
    }
    let loopback = aftercare_server::ServerSettings::is_loopback_url(public_url);
    if loopback {
        warnings.push(format!(
            "the public address is {public_url}, this machine's loopback: client links and QR \
             codes will not open on a phone; set --public-url to the address people reach"
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::delivery_warnings;

    #[test]
    fn start_up_warns_of_missing_smtp_and_a_loopback_public_address() {
        assert_eq!(delivery_warnings(true, "https://care.example.org").len(), 0);
        let both = delivery_warnings(false, "http://127.0.0.1:8080");
        assert_eq!(both.len(), 2, "{both:?}");
        assert!(both[0].contains("SMTP"));
        assert!(both[1].contains("loopback"));
        for loopback in [
            "http://localhost:8080/",
            "http://[::1]:8080",
            "http://127.1.2.3",
        ] {
            assert_eq!(delivery_warnings(true, loopback).len(), 1, "{loopback}");
        }
        for reachable in ["http://192.0.2.10:8080", "https://localhost.example.org"] {
            assert!(delivery_warnings(true, reachable).is_empty(), "{reachable}");
        }
    }
}
