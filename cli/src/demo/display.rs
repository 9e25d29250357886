//! The demo's live progress line and final table.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use brook::worker::WorkerStats;
use brook::{Backend, Error, Streams};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::orders::{Orders, GROUP};

/// The live progress: an indicatif bar on a terminal; on anything else (a pipe, a
/// file) a plain line a second, without control codes.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    last_line: Instant,
}

impl Progress {
    pub fn new(total: u64) -> Progress {
        let bar = std::io::stdout().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stdout());
            let style = ProgressStyle::with_template(
                "{elapsed:>3} [{bar:16}] {pos}/{len} produced · {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        Progress {
            bar,
            total,
            last_line: Instant::now(),
        }
    }

    pub fn show(&mut self, produced: u64, s: &WorkerStats, pending: u64, len: u64) {
        let processed = s.acked; // duplicates are counted in `acked` too
        match &self.bar {
            Some(bar) => {
                // Short enough for an 80-column terminal.
                bar.set_position(produced);
                bar.set_message(format!(
                    "processed {processed} · reclaimed {} · retried {} · dead {} · pending {pending} · length {len}",
                    s.reclaimed, s.retried, s.dead_lettered
                ));
            }
            None if self.last_line.elapsed() >= Duration::from_secs(1) => {
                println!(
                    "produced {produced:>6}/{} | processed {processed:>6} | reclaimed {:>4} | retried {:>3} | dead-lettered {} | pending {pending:>5} | stream length {len:>6}",
                    self.total, s.reclaimed, s.retried, s.dead_lettered
                );
                self.last_line = Instant::now();
            }
            None => {}
        }
    }

    pub fn note(&mut self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!(">> {text}")),
            None => println!(">> {text}"),
        }
    }

    pub fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// What the run ended with.
pub struct Summary {
    stats: WorkerStats,
    committed: u64,
    revenue: u64,
    expected: (u64, u64),
    /// `--data`: entries the stream has had added, in every run (`entries-added`),
    /// and the run's orders.
    added: Option<(u64, u64)>,
    dead: u64,
    dead_key: String,
    lag: Option<u64>,
    pending: u64,
    length: u64,
    max_length: u64,
    took: Duration,
}

impl Summary {
    pub async fn read(
        b: &Backend,
        orders: &Orders,
        stats: WorkerStats,
        max_length: u64,
        took: Duration,
    ) -> Result<Summary, Error> {
        let keys = orders.keys();
        let (committed, revenue) = orders.ledger(b).await?;
        let group = b
            .xinfo_groups(keys.stream.as_bytes())
            .await?
            .into_iter()
            .find(|g| &g.name[..] == GROUP.as_bytes());
        let added = if orders.durable() {
            let info = b.xinfo_stream(keys.stream.as_bytes()).await?;
            Some((info.summary.entries_added, orders.total()))
        } else {
            None
        };
        Ok(Summary {
            added,
            stats,
            committed,
            revenue,
            expected: orders.expected(),
            dead: b.xlen(keys.dead.as_bytes()).await?,
            dead_key: keys.dead.clone(),
            lag: group.as_ref().and_then(|g| g.lag),
            pending: group.map_or(0, |g| g.pending),
            length: b.xlen(keys.stream.as_bytes()).await?,
            max_length,
            took,
        })
    }

    /// Every order took effect once, the poison order was dead-lettered once, nothing
    /// is left pending (and with `--data`, every order was added once over all runs).
    pub fn ok(&self) -> bool {
        (self.committed, self.revenue) == self.expected
            && self.dead == 1
            && self.pending == 0
            && self.added.is_none_or(|(added, total)| added == total)
    }

    pub fn print(&self) {
        let row = |k: &str, v: String| println!("  {k:<34} {v}");
        println!("\n  {:<34} result", "");
        if let Some((added, total)) = self.added {
            row(
                "orders added, over every run",
                format!("{added} of {total}"),
            );
        }
        row(
            "orders committed (effect applied)",
            format!("{} of {}", self.committed, self.expected.0),
        );
        row(
            "revenue in the ledger",
            format!("{} (expected {})", self.revenue, self.expected.1),
        );
        row(
            "redeliveries skipped as duplicates",
            self.stats.duplicates.to_string(),
        );
        row(
            "reclaimed from the killed worker",
            self.stats.reclaimed.to_string(),
        );
        row("retried after a failure", self.stats.retried.to_string());
        row(
            "dead-lettered",
            format!("{} (in {})", self.dead, self.dead_key),
        );
        row(
            "lag",
            self.lag
                .map_or_else(|| "unknown (nil)".into(), |l| l.to_string()),
        );
        row("pending", self.pending.to_string());
        row(
            "stream length (end / largest)",
            format!(
                "{} / {} (retention trims what all groups finished)",
                self.length, self.max_length
            ),
        );
        row("took", format!("{:.1?}", self.took));
        if self.ok() {
            println!("\n  every order took effect exactly once; nothing lost, nothing doubled");
        } else {
            println!("\n  MISMATCH: an order was lost or took effect twice (see the ledger above)");
        }
    }
}
