//! Progress of long work (an ingest: bytes read, occurrences parsed and identified, the
//! store's write), for a front end that shows it.
//!
//! Why a hook and not a parameter: the steps are deep in the ingest (reading, parsing,
//! identity, the store), called from the CLI, the server and the benchmarks alike; only the
//! CLI on a terminal shows progress. The binary installs one process-wide hook
//! ([`set_hook`]); without one (the server, tests, a pipe) [`report`] is a load and a branch.

use std::sync::OnceLock;

/// One step of the work.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// `done` of `total` bytes of `file` read.
    Reading {
        file: &'a str,
        done: u64,
        total: u64,
    },
    /// `file` is being parsed as `format`.
    Parsing {
        file: &'a str,
        format: &'a str,
        bytes: u64,
    },
    /// `file` parsed: `items` occurrences.
    Parsed { file: &'a str, items: usize },
    /// The identity of `items` occurrences computed.
    Identified { items: usize },
    /// `items` occurrences being written in one transaction.
    Storing { items: usize },
    /// The write committed.
    Stored { items: usize },
}

type Hook = Box<dyn Fn(&Progress<'_>) + Send + Sync>;

static HOOK: OnceLock<Hook> = OnceLock::new();

/// Installs the process's progress hook (once; later calls answer false and change nothing).
pub fn set_hook(hook: Hook) -> bool {
    HOOK.set(hook).is_ok()
}

/// Tells the hook, if any, where the work is.
pub fn report(step: Progress<'_>) {
    if let Some(hook) = HOOK.get() {
        hook(&step);
    }
}
