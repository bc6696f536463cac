//! Progress on stderr for long phases: a bar with rate and ETA on a
//! terminal, a plain line every few seconds otherwise, nothing with --quiet.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

/// Progress on stderr: a bar with rate and ETA on a terminal, plain lines
/// every few seconds otherwise.
pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    plain: bool,
    start: Instant,
    last: Instant,
    done: u64,
    total: u64,
    what: &'static str,
    unit: &'static str,
}

impl Progress {
    pub(crate) fn new(total: u64, what: &'static str, unit: &'static str, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (terminal && !quiet).then(|| {
            let b = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
                "{{msg}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit}, {{per_sec}}, ETA {{eta}}"
            )) {
                b.set_style(style.progress_chars("=> "));
            }
            b.set_message(what);
            b
        });
        Progress {
            bar,
            plain: !terminal && !quiet,
            start: Instant::now(),
            last: Instant::now(),
            done: 0,
            total,
            what,
            unit,
        }
    }

    pub(crate) fn inc(&mut self, n: u64) {
        self.done += n;
        if let Some(b) = &self.bar {
            b.inc(n);
        } else if self.plain && self.last.elapsed() >= Duration::from_secs(2) {
            self.last = Instant::now();
            let secs = self.start.elapsed().as_secs_f64().max(1e-6);
            let rate = self.done as f64 / secs;
            let eta = if rate > 0.0 {
                (self.total.saturating_sub(self.done)) as f64 / rate
            } else {
                0.0
            };
            eprintln!(
                "{}: {} of {} {} ({:.0}/s, ETA {:.0}s)",
                self.what, self.done, self.total, self.unit, rate, eta
            );
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
