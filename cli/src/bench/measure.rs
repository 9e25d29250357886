//! Timing one run of a workload: throughput and per-call latency percentiles.

use std::time::{Duration, Instant};

/// One call in this many is timed by [`Sample::call`].
pub const SAMPLE_EVERY: u64 = 16;

/// Latencies of each call (one operation, or one pipeline) and the run's wall time.
pub struct Sample {
    /// Operations done.
    pub ops: u64,
    /// Wall time of the whole run.
    pub wall: Duration,
    /// Each call's latency, in nanoseconds.
    pub calls: Vec<u64>,
}

impl Sample {
    pub fn new(ops_hint: usize) -> Sample {
        Sample {
            ops: 0,
            wall: Duration::ZERO,
            calls: Vec::with_capacity(ops_hint),
        }
    }

    /// Runs `f`, one operation; every [`SAMPLE_EVERY`]th call is timed (timing each
    /// call of a 50 ns operation would cost as much as the operation), the throughput
    /// counts them all.
    #[inline]
    pub fn call<T>(&mut self, f: impl FnOnce() -> T) -> T {
        self.ops += 1;
        if !self.ops.is_multiple_of(SAMPLE_EVERY) {
            return f();
        }
        let t = Instant::now();
        let out = f();
        self.calls.push(t.elapsed().as_nanos() as u64);
        out
    }

    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// The `q`-quantile of call latency in µs (`None` when calls were not timed).
    pub fn quantile_us(&mut self, q: f64) -> Option<f64> {
        if self.calls.is_empty() {
            return None;
        }
        self.calls.sort_unstable();
        let i = ((self.calls.len() as f64 - 1.0) * q).round() as usize;
        self.calls.get(i).map(|ns| *ns as f64 / 1e3)
    }
}
