//! `INFO [section …]`: the server, clients, memory, persistence, stats, replication,
//! cpu, commandstats (with `all`/`everything` or by name), errorstats, cluster and
//! keyspace sections, with the fields clients and exporters read.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::{Session, Step};
use crate::Shared;

/// Every section, in Redis's order.
const ALL: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "commandstats",
    "errorstats",
    "cluster",
    "keyspace",
];

/// The sections of a bare `INFO` (and `INFO default`): all but commandstats.
const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "errorstats",
    "cluster",
    "keyspace",
];

/// `INFO`.
pub(super) fn run(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let mut wanted: Vec<String> = Vec::new();
    for a in &argv[1..] {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "all" | "everything" => wanted.extend(ALL.iter().map(|s| s.to_string())),
            "default" => wanted.extend(DEFAULT.iter().map(|s| s.to_string())),
            _ => wanted.push(a),
        }
    }
    if wanted.is_empty() {
        wanted.extend(DEFAULT.iter().map(|s| s.to_string()));
    }
    let mut text = String::new();
    for name in ALL {
        if !wanted.iter().any(|w| w == name) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        section(shared, name, &mut text);
    }
    sess.out.verbatim(text.as_bytes());
    Step::Done
}

fn kv(s: &mut String, k: &str, v: impl std::fmt::Display) {
    let _ = write!(s, "{k}:{v}\r\n");
}

/// `# Memory`: Redis's fields brook can know, in Redis's order and formats (see
/// [`crate::memory`] for what is counted). Left out: the allocator's and the
/// process's own figures (`used_memory_rss`, `allocator_*`, fragmentation ratios,
/// `total_system_memory`), scripting (`used_memory_lua`, `used_memory_vm_*`,
/// `used_memory_scripts*`, functions) and replication, cluster and AOF buffers, which
/// brook does not have.
fn memory(shared: &Shared, s: &mut String) {
    use crate::memory::bytes_to_human as human;
    let m = shared.memory();
    s.push_str("# Memory\r\n");
    kv(s, "used_memory", m.used());
    kv(s, "used_memory_human", human(m.used()));
    kv(s, "used_memory_peak", m.peak);
    kv(s, "used_memory_peak_human", human(m.peak));
    kv(s, "used_memory_peak_time", m.peak_time);
    kv(s, "used_memory_peak_perc", format!("{:.2}%", m.peak_perc()));
    kv(s, "used_memory_overhead", m.overhead());
    kv(s, "used_memory_startup", 0);
    kv(s, "used_memory_dataset", m.dataset);
    kv(
        s,
        "used_memory_dataset_perc",
        format!("{:.2}%", m.dataset_perc()),
    );
    kv(s, "maxmemory", 0);
    kv(s, "maxmemory_human", human(0));
    kv(s, "maxmemory_policy", "noeviction");
    kv(s, "mem_clients_slaves", 0);
    kv(s, "mem_clients_normal", m.clients);
}

fn section(shared: &Shared, name: &str, s: &mut String) {
    match name {
        "server" => {
            let up = shared.started.elapsed().as_secs();
            s.push_str("# Server\r\n");
            kv(s, "redis_version", crate::REDIS_VERSION);
            kv(s, "redis_mode", "standalone");
            kv(s, "server_name", "brook");
            kv(s, "brook_version", env!("CARGO_PKG_VERSION"));
            kv(s, "os", std::env::consts::OS);
            kv(s, "arch_bits", usize::BITS);
            kv(s, "process_id", std::process::id());
            kv(s, "tcp_port", shared.port);
            kv(s, "uptime_in_seconds", up);
            kv(s, "uptime_in_days", up / 86_400);
            let clock = if shared.clock.is_some() {
                "manual"
            } else {
                "system"
            };
            kv(s, "brook_clock", clock);
        }
        "clients" => {
            let all = shared.registry.all();
            let blocked = all.iter().filter(|c| c.meta().blocked).count();
            let pubsub = all.iter().filter(|c| c.subscriptions() > 0).count();
            s.push_str("# Clients\r\n");
            kv(s, "connected_clients", all.len());
            kv(s, "maxclients", shared.config.maxclients);
            kv(s, "blocked_clients", blocked);
            kv(s, "pubsub_clients", pubsub);
        }
        "memory" => memory(shared, s),
        "persistence" => {
            s.push_str("# Persistence\r\n");
            kv(s, "loading", 0);
            kv(s, "rdb_changes_since_last_save", shared.dirty());
            super::persistence::info(shared, s);
        }
        "stats" => {
            s.push_str("# Stats\r\n");
            let n = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
            kv(
                s,
                "total_connections_received",
                n(&shared.connections_received),
            );
            kv(
                s,
                "total_commands_processed",
                shared.stats.commands_processed(),
            );
            kv(s, "rejected_connections", n(&shared.rejected_connections));
            kv(s, "total_error_replies", shared.stats.error_replies());
            kv(
                s,
                "client_output_buffer_limit_disconnections",
                n(&shared.output_limit_disconnections),
            );
        }
        "replication" => {
            s.push_str("# Replication\r\n");
            kv(s, "role", "master");
            kv(s, "connected_slaves", 0);
        }
        "cpu" => s.push_str("# CPU\r\n"),
        "commandstats" => {
            s.push_str("# Commandstats\r\n");
            shared.stats.write_commandstats(s);
        }
        "errorstats" => {
            s.push_str("# Errorstats\r\n");
            shared.stats.write_errorstats(s);
        }
        "cluster" => {
            s.push_str("# Cluster\r\n");
            kv(s, "cluster_enabled", 0);
        }
        _ => {
            s.push_str("# Keyspace\r\n");
            for (i, e) in shared.dbs.iter().enumerate() {
                let (keys, expires) = e.with_keyspace(|ks, _| (ks.len(), ks.expiring_keys()));
                if keys > 0 {
                    let _ = write!(
                        s,
                        "db{i}:keys={keys},expires={expires},avg_ttl=0,subexpiry=0\r\n"
                    );
                }
            }
        }
    }
}
