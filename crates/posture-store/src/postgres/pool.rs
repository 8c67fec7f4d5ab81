//! A small blocking connection pool: at most `max` connections, opened on demand, reused, and
//! dropped when the server closed them.
//!
//! Why our own: the store is synchronous and needs only borrow-and-return; a caller that finds
//! every connection busy waits (up to [`WAIT`]) instead of opening more than the database
//! allows. Waiters are served first come, first served (a ticket queue): with a plain
//! condition variable a caller could lose every race for a returned connection and give up
//! after [`WAIT`] while later callers got through (uploads failed that way under load). A
//! connection is returned only if it is still usable and no transaction is left open on it
//! (the driver's `Transaction` rolls back when dropped).

use super::tls::MakeRustls;
use crate::StoreError;
use postgres::{Client, Config};
use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a caller waits for a free connection before giving up.
const WAIT: Duration = Duration::from_secs(60);

/// A connection idle at least this long is checked (an empty query) before it is lent.
const CHECK_IDLE_AFTER: Duration = Duration::from_millis(500);

/// How long that check may take before the connection is taken for dead.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) struct Pool {
    config: Config,
    tls: MakeRustls,
    /// The URL without its password, for messages.
    name: String,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    /// Idle connections, with when each was given back.
    idle: Vec<(Client, Instant)>,
    /// Connections open now, idle or lent.
    open: usize,
    /// Tickets of the callers waiting for a connection, oldest first: only the oldest may
    /// take one.
    queue: VecDeque<u64>,
    next_ticket: u64,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Corrupt("a previous database call panicked".to_string())
}

impl Pool {
    pub(crate) fn new(config: Config, tls: MakeRustls, name: String, max: usize) -> Self {
        Pool {
            config,
            tls,
            name,
            max,
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
                queue: VecDeque::new(),
                next_ticket: 0,
            }),
            freed: Condvar::new(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Borrows a connection: an idle one, a new one while fewer than `max` are open, or the
    /// next one returned, in the order callers asked.
    pub(crate) fn get(&self) -> Result<PooledClient<'_>, StoreError> {
        let mut state = self.state.lock().map_err(poisoned)?;
        let deadline = std::time::Instant::now() + WAIT;
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push_back(ticket);
        loop {
            if state.queue.front() == Some(&ticket) {
                while let Some((mut client, since)) = state.idle.pop() {
                    if client.is_closed() {
                        state.open = state.open.saturating_sub(1);
                        continue;
                    }
                    state.queue.pop_front();
                    drop(state);
                    // the next in line may find another idle connection
                    self.freed.notify_all();
                    // A connection idle for a while may have been closed by the server (a
                    // restart, a fail-over, pg_terminate_backend, a proxy's idle timeout)
                    // without the client knowing: check it with an empty query, and open a
                    // fresh one in its place rather than failing the caller's request.
                    if since.elapsed() >= CHECK_IDLE_AFTER
                        && client.is_valid(CHECK_TIMEOUT).is_err()
                    {
                        drop(client);
                        return self.connect();
                    }
                    return Ok(PooledClient {
                        client: Some(client),
                        pool: self,
                    });
                }
                if state.open < self.max {
                    state.open += 1;
                    state.queue.pop_front();
                    drop(state);
                    self.freed.notify_all();
                    return self.connect();
                }
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                state.queue.retain(|t| *t != ticket);
                drop(state);
                self.freed.notify_all();
                return Err(StoreError::Unsupported(format!(
                    "no free connection to {} after {} s ({} in use)",
                    self.name,
                    WAIT.as_secs(),
                    self.max
                )));
            }
            state = self
                .freed
                .wait_timeout(state, deadline - now)
                .map_err(poisoned)?
                .0;
        }
    }

    /// Opens a connection counted in `open` already.
    fn connect(&self) -> Result<PooledClient<'_>, StoreError> {
        match self.config.connect(self.tls.clone()) {
            Ok(client) => Ok(PooledClient {
                client: Some(client),
                pool: self,
            }),
            Err(e) => {
                if let Ok(mut state) = self.state.lock() {
                    state.open = state.open.saturating_sub(1);
                }
                self.freed.notify_all();
                Err(StoreError::Database {
                    context: "connecting to PostgreSQL",
                    source: Box::new(crate::error::PgMessage(format!(
                        "{}: {}",
                        self.name,
                        crate::error::pg_message(&e)
                    ))),
                })
            }
        }
    }

    fn give_back(&self, client: Client) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if client.is_closed() {
            state.open = state.open.saturating_sub(1);
        } else {
            state.idle.push((client, Instant::now()));
        }
        drop(state);
        // wake everyone: only the oldest waiter may take it, and it must be woken
        self.freed.notify_all();
    }
}

/// A borrowed connection, returned to the pool when dropped.
pub(crate) struct PooledClient<'a> {
    client: Option<Client>,
    pool: &'a Pool,
}

impl Deref for PooledClient<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        // `client` is `Some` from creation until drop
        self.client.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for PooledClient<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for PooledClient<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            self.pool.give_back(client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waiters get connections in the order they asked (a plain condition variable let a
    /// caller lose every race and give up after [`WAIT`]).
    #[test]
    fn waiters_are_served_first_come_first_served() {
        let Some(db) = crate::testing::TestBackend::postgres("pool_fifo") else {
            return;
        };
        let config: Config = db.location().parse().expect("url");
        let settings = crate::postgres::tls::split_url(db.location(), |_| None).expect("url");
        let tls = crate::postgres::tls::connector(&settings).expect("tls");
        let pool = Pool::new(config, tls, "test".into(), 1);
        let held = pool.get().expect("first connection");
        let order = Mutex::new(Vec::new());
        let queued = |n: usize| {
            for _ in 0..1000 {
                if pool.state.lock().map(|s| s.queue.len()).unwrap_or(0) == n {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            panic!("{n} waiters never queued");
        };
        std::thread::scope(|s| {
            for i in 0..5 {
                let (pool, order) = (&pool, &order);
                s.spawn(move || {
                    let client = pool.get().expect("a connection");
                    order.lock().expect("order").push(i);
                    std::thread::sleep(Duration::from_millis(20));
                    drop(client);
                });
                queued(i + 1);
            }
            drop(held);
        });
        assert_eq!(*order.lock().expect("order"), vec![0, 1, 2, 3, 4]);
        assert_eq!(pool.state.lock().expect("state").open, 1);
    }
}
