//! The scan's progress bar: requests sent out of requests planned, drawn on
//! standard error only when it is a terminal and `--quiet` is not given, so
//! that logs and pipes get no control characters.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing when hidden.
#[derive(Debug)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `total` requests; hidden when `quiet` or when standard
    /// error is not a terminal.
    pub fn new(total: u64, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} requests {msg}",
        ) {
            bar.set_style(style);
        }
        Progress { bar: Some(bar) }
    }

    /// A hidden bar.
    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    /// One more request sent; `step` names what is running.
    pub fn inc(&self, step: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(step.chars().take(60).collect::<String>());
            bar.inc(1);
        }
    }

    /// Runs `f` (which writes to the terminal) with the bar out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
