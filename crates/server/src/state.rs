//! What every handler shares: the store, the guideline, the settings, the
//! metrics and the clock.

use std::sync::Arc;

use aftercare_core::Guideline;
use aftercare_store::{Millis, Store};

use crate::metrics::Metrics;
use crate::settings::ServerSettings;

/// The current time as Unix milliseconds, injectable so that tests can move
/// time (link expiry) without sleeping.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Millis + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(aftercare_store::now_millis))
    }

    /// A clock that asks `now` for the time.
    pub fn from_fn(now: impl Fn() -> Millis + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> Millis {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock(…)")
    }
}

/// The application's shared state; cheap to clone: one reference count.
///
/// Every request clones it several times (each middleware that reads it,
/// and the handler's extractor). Held field by field, that was a score of
/// reference counts moved up and down per clone, shared by every core, and
/// a measurable part of each request's time (`docs/PERFORMANCE.md`).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds; its fields read through `AppState` itself.
#[derive(Clone, Debug)]
pub struct Shared {
    pub(crate) store: Store,
    pub(crate) guideline: Arc<Guideline>,
    pub(crate) settings: Arc<ServerSettings>,
    pub(crate) metrics: Metrics,
    pub(crate) clock: Clock,
    /// Wakes the scheduler when the API stored something it should act on
    /// (a treatment, a check-in), so invitations and alerts go out at once
    /// instead of at the next tick.
    wake: Arc<tokio::sync::Notify>,
    /// Passwords hashed or checked at once. Each takes argon2's memory
    /// (19 MiB) and a core for tens of milliseconds; without a cap, a
    /// burst of sign-ins would take every core and much memory.
    password_work: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// State over a store and a guideline, with the system clock.
    pub fn new(store: Store, guideline: Guideline, settings: ServerSettings) -> AppState {
        AppState(Arc::new(Shared {
            store,
            guideline: Arc::new(guideline),
            settings: Arc::new(settings),
            metrics: Metrics::new(),
            clock: Clock::system(),
            wake: Arc::new(tokio::sync::Notify::new()),
            password_work: Arc::new(tokio::sync::Semaphore::new(password_work_permits())),
        }))
    }

    /// The same state with another clock.
    #[must_use]
    pub fn with_clock(self, clock: Clock) -> AppState {
        let shared = Arc::unwrap_or_clone(self.0);
        AppState(Arc::new(Shared { clock, ..shared }))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The settings.
    pub fn settings(&self) -> &ServerSettings {
        &self.settings
    }

    /// Tells the scheduler there is new work; call after the commit.
    pub(crate) fn wake_scheduler(&self) {
        self.wake.notify_one();
    }

    /// What the scheduler waits on between ticks.
    pub(crate) fn scheduler_wake(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.wake)
    }

    /// Waits for a turn to hash or check a password; hold the permit
    /// while argon2 runs.
    pub(crate) async fn password_turn(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.password_work
            .acquire()
            .await
            .unwrap_or_else(|_| unreachable!("the semaphore is never closed"))
    }

    /// The current time by this state's clock.
    pub(crate) fn now(&self) -> Millis {
        self.clock.now()
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Password checks at once: one per core, at most four.
fn password_work_permits() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().clamp(1, 4))
}
