//! Progress on a terminal (issue 22): a long ingest shows where it is (bytes read, occurrences
//! parsed and identified, the store's write) on one line of stderr, redrawn a few times a
//! second with the time spent in the step, and erased before the command prints its result.
//! Nothing is drawn when stderr is not a terminal (a pipe, a CI log, a file) or when the work
//! ends within half a second. No dependency: `std::io::IsTerminal` and an ANSI erase.

use posture_app::progress::{Progress, set_hook};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the line says.
struct Line {
    text: String,
    /// When the step began.
    since: Instant,
    /// When the work began (nothing is drawn in its first half second).
    started: Instant,
    /// A step is under way.
    active: bool,
    /// Something is on the screen to erase.
    drawn: bool,
}

static LINE: Mutex<Option<Line>> = Mutex::new(None);

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn describe(step: &Progress<'_>) -> (String, bool) {
    match *step {
        Progress::Reading { file, done, total } => (
            format!("reading {file}: {:.1} of {:.1} MiB", mib(done), mib(total)),
            true,
        ),
        Progress::Parsing {
            file,
            format,
            bytes,
        } => (
            format!("parsing {file} ({format}, {:.1} MiB)", mib(bytes)),
            true,
        ),
        Progress::Parsed { file, items } => (
            format!("{file}: {items} occurrences parsed; identifying"),
            true,
        ),
        Progress::Identified { items } => (format!("{items} occurrences identified"), true),
        Progress::Storing { items } => (format!("storing {items} occurrences"), true),
        Progress::Stored { items } => (format!("{items} occurrences stored"), false),
    }
}

fn draw(line: &mut Line, err: &mut impl Write) {
    if line.started.elapsed() < Duration::from_millis(500) {
        return;
    }
    let secs = line.since.elapsed().as_secs_f64();
    let _ = write!(err, "\r\x1b[2Kposture: {} ({secs:.1} s)", line.text);
    let _ = err.flush();
    line.drawn = true;
}

/// Shows progress on stderr when it is a terminal (call once, before the work; only by a
/// command that prints nothing else meanwhile: `posture ingest`, never `posture serve`).
pub fn install() {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let installed = set_hook(Box::new(|step| {
        let (text, active) = describe(step);
        let mut guard = LINE.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let line = guard.get_or_insert_with(|| Line {
            text: String::new(),
            since: now,
            started: now,
            active: false,
            drawn: false,
        });
        if line.text != text {
            line.since = now;
        }
        line.text = text;
        line.active = active;
        if active {
            draw(line, &mut std::io::stderr());
        } else {
            erase(line);
        }
    }));
    if !installed {
        return;
    }
    // Redraw the elapsed time while a step is under way (the parse or the write of a large
    // report takes seconds without a step of its own).
    std::thread::spawn(|| {
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let mut guard = LINE.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(line) = guard.as_mut().filter(|l| l.active) {
                draw(line, &mut std::io::stderr());
            }
        }
    });
}

fn erase(line: &mut Line) {
    line.active = false;
    if line.drawn {
        let mut err = std::io::stderr();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
        line.drawn = false;
    }
}

/// Erases the line, if drawn, before the command's own output or error.
pub fn finish() {
    let mut guard = LINE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(line) = guard.as_mut() {
        erase(line);
    }
}
