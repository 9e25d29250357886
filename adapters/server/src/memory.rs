//! The server's memory figures, as `INFO memory` and `MEMORY STATS` report them.
//!
//! brook counts what it holds rather than asking an allocator: `used_memory` is the
//! engines' exact accounting of every key ([`brook_engine::frontend::Keyspace::used_memory`]:
//! streams with their node index, groups, PELs, consumers and IDMP state; strings; the
//! key names and table slots) plus every connection's buffers as `CLIENT LIST` shows
//! them (`tot-mem`: the query buffer with its spare room and the reply buffer). The
//! process's code, the runtime and other fixed structures are not counted, so
//! `used_memory_startup` is 0 and an empty server reports only its clients' buffers.
//!
//! Reading the figures costs one lock per database (O(1) each) and one pass over the
//! connected clients, as Redis's `CLIENT LIST` does. The peak is kept as Redis keeps
//! it: checked every 100 ms by the server's cron ([`crate::Server::start`]) and
//! whenever INFO or MEMORY reads the figures.

use std::sync::atomic::Ordering;

use crate::Shared;

/// One database's share of the figures (MEMORY STATS' `db.<n>`, INFO keyspace).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbMemory {
    /// The database's index (`db.<n>`).
    pub index: usize,
    /// Its keys.
    pub keys: u64,
    /// Its keys' heap bytes ([`brook_engine::frontend::Keyspace::used_memory`]).
    pub bytes: u64,
}

/// What the server holds, in bytes, at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryFigures {
    /// Every key of every database with its value (`used_memory_dataset`,
    /// `dataset.bytes`): the sum of `MEMORY USAGE` over all keys.
    pub dataset: u64,
    /// The connections' buffers (`mem_clients_normal`, `clients.normal`): the sum of
    /// `CLIENT LIST`'s `tot-mem`.
    pub clients: u64,
    /// The largest `used` seen (`used_memory_peak`, `peak.allocated`).
    pub peak: u64,
    /// When the peak was reached, Unix seconds (`used_memory_peak_time`).
    pub peak_time: u64,
    /// The non-empty databases.
    pub dbs: Vec<DbMemory>,
}

impl MemoryFigures {
    /// `used_memory` / `total.allocated`: the dataset plus the clients' buffers.
    pub fn used(&self) -> u64 {
        self.dataset + self.overhead()
    }

    /// `used_memory_overhead` / `overhead.total`: what is not the dataset — the
    /// clients' buffers (brook has no replication backlog, AOF buffer or script cache,
    /// and counts each key's table slot in the dataset).
    pub fn overhead(&self) -> u64 {
        self.clients
    }

    /// `keys.count`: keys in all databases.
    pub fn keys(&self) -> u64 {
        self.dbs.iter().map(|d| d.keys).sum()
    }

    /// `used_memory_peak_perc` / `peak.percentage`: `used` as a percentage of the peak.
    pub fn peak_perc(&self) -> f64 {
        self.used() as f64 * 100.0 / self.peak.max(1) as f64
    }

    /// `used_memory_dataset_perc` / `dataset.percentage`: the dataset as a percentage
    /// of what was added since startup (all of `used`: startup is 0).
    pub fn dataset_perc(&self) -> f64 {
        self.dataset as f64 * 100.0 / self.used().max(1) as f64
    }

    /// `keys.bytes-per-key`: the dataset over the keys (0 without keys).
    pub fn bytes_per_key(&self) -> u64 {
        self.dataset.checked_div(self.keys()).unwrap_or(0)
    }
}

impl Shared {
    /// The memory figures now; raises the peak if `used` is above it.
    pub fn memory(&self) -> MemoryFigures {
        let dbs: Vec<DbMemory> = self
            .dbs
            .iter()
            .enumerate()
            .map(|(index, e)| {
                let (keys, bytes) = e.with_keyspace(|ks, _| (ks.len() as u64, ks.used_memory()));
                DbMemory { index, keys, bytes }
            })
            .filter(|d| d.keys > 0)
            .collect();
        let clients = self
            .registry
            .all()
            .iter()
            .map(|c| {
                let b = c.meta().buffers;
                (b.query + b.query_free + b.output) as u64
            })
            .sum();
        let mut f = MemoryFigures {
            dataset: dbs.iter().map(|d| d.bytes).sum(),
            clients,
            dbs,
            ..MemoryFigures::default()
        };
        let used = f.used();
        let before = self.peak_memory.fetch_max(used, Ordering::Relaxed);
        if used > before {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            self.peak_memory_time.store(now, Ordering::Relaxed);
        }
        f.peak = before.max(used);
        f.peak_time = self.peak_memory_time.load(Ordering::Relaxed);
        f
    }
}

/// A byte count as Redis's `bytesToHuman` writes it: `100B`, then two decimals and
/// `K`, `M`, `G`, `T`, `P` (powers of 1024); bytes again beyond that.
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u32, &str); 5] = [(1, "K"), (2, "M"), (3, "G"), (4, "T"), (5, "P")];
    if n < 1024 {
        return format!("{n}B");
    }
    for (power, unit) in UNITS {
        if n < 1u64 << (10 * (power + 1)) {
            return format!("{:.2}{unit}", n as f64 / (1u64 << (10 * power)) as f64);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::bytes_to_human;

    #[test]
    fn human_sizes_as_redis_writes_them() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(1_500_000), "1.43M");
        assert_eq!(bytes_to_human(3 << 30), "3.00G");
        assert_eq!(bytes_to_human(5 << 40), "5.00T");
        assert_eq!(bytes_to_human(7 << 50), "7.00P");
        assert_eq!(bytes_to_human(1 << 60), format!("{}B", 1u64 << 60));
    }
}
