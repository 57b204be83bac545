//! Terminal plumbing shared by the subcommands: standard output, colours, progress bars,
//! the signal handler. Atomic output files are `ledgerline_atomic`.

use std::io::{IsTerminal, Write};

/// Standard output, locked, for a command's results. A reader that went away (`... | head`)
/// surfaces as a [`StdoutClosed`] error, which `main` ends quietly on; any other broken pipe
/// (a socket, a FIFO given as a file) stays an error.
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// See [`stdout`].
pub struct Stdout(std::io::StdoutLock<'static>);

/// Marks the broken pipe of standard output (see [`stdout`]).
#[derive(Debug)]
pub struct StdoutClosed;

impl std::fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

fn tag_closed(e: std::io::Error) -> std::io::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::io::Error::new(std::io::ErrorKind::BrokenPipe, StdoutClosed)
    } else {
        e
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(tag_closed)
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf).map_err(tag_closed)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(tag_closed)
    }
}

/// Whether `e` is standard output closed by its reader (see [`stdout`]).
pub fn is_stdout_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .is_some_and(|inner| inner.is::<StdoutClosed>())
    })
}

/// Whether to colour stdout.
pub fn color_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// ANSI styling that collapses to nothing when colour is off.
#[derive(Clone, Copy)]
pub struct Paint(pub bool);

impl Paint {
    pub fn red(self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
}

/// A progress bar on stderr (bytes read, rate, ETA; the caller's message adds the rows done),
/// shown only when stderr is a terminal and the work is big (or of unknown size). Hidden in
/// pipes and with `LEDGERLINE_NO_PROGRESS` set.
pub fn progress(total: Option<u64>, label: &str) -> indicatif::ProgressBar {
    const WORTH_A_BAR: u64 = 8 << 20;
    if !std::io::stderr().is_terminal()
        || std::env::var_os("LEDGERLINE_NO_PROGRESS").is_some()
        || total.is_some_and(|t| t < WORTH_A_BAR)
    {
        return indicatif::ProgressBar::hidden();
    }
    let (bar, template) = match total {
        Some(t) => (
            indicatif::ProgressBar::new(t),
            "{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        ),
        None => (
            indicatif::ProgressBar::new_spinner(),
            "{spinner} {msg} {bytes} {binary_bytes_per_sec}",
        ),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message(label.to_owned());
    bar
}

/// Installs the handler that, on SIGINT, SIGTERM or SIGHUP, removes this process's
/// temporary output files and exits with status 130 (see [`ledgerline_atomic::on_signal`]).
pub fn install_signal_cleanup() {
    let _ = ctrlc::set_handler(ledgerline_atomic::on_signal);
}

/// Width for text tables: `COLUMNS`, else the terminal's; unlimited when standard output
/// is a file or a pipe.
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n >= 20)
    {
        return n;
    }
    // Standard output is not a terminal (a file, a pipe): nothing to fit, cut nothing.
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0).max(20))
        .unwrap_or(usize::MAX)
}
