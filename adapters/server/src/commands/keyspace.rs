//! Commands that span databases: FLUSHALL empties every database, CONFIG SET applies
//! to every database's engine (CONFIG GET reads the first).

use brook_engine::Reply;
use bytes::Bytes;

use super::{engine_now, Session, Step};
use crate::Shared;

/// The server's own parameters CONFIG GET answers (read-only here): those clients
/// and tools such as redis-benchmark ask for.
fn server_params(shared: &Shared, patterns: &[Bytes]) -> Vec<(Reply, Reply)> {
    let c = &shared.config;
    let dir = std::path::absolute(&c.dir).unwrap_or_else(|_| c.dir.clone());
    let params: [(&'static str, String); 15] = [
        ("save", String::new()),
        ("appendonly", if c.appendonly { "yes" } else { "no" }.into()),
        ("appendfsync", c.appendfsync.name().into()),
        ("appenddirname", crate::APPEND_DIR.into()),
        ("dir", dir.to_string_lossy().into_owned()),
        ("databases", shared.dbs.len().to_string()),
        ("port", shared.port.to_string()),
        ("bind", c.bind.ip().to_string()),
        ("maxclients", c.maxclients.to_string()),
        ("tcp-backlog", c.tcp_backlog.to_string()),
        ("proto-max-bulk-len", c.proto_max_bulk_len.to_string()),
        (
            "client-query-buffer-limit",
            c.client_query_buffer_limit.to_string(),
        ),
        (
            "client-output-buffer-limit",
            format!(
                "normal {} slave 0 0 0 pubsub {}",
                c.client_output_buffer_limit_normal.show(),
                c.client_output_buffer_limit_pubsub.show()
            ),
        ),
        ("timeout", "0".into()),
        ("requirepass", c.requirepass.clone().unwrap_or_default()),
    ];
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for pattern in patterns {
        let is_glob = pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
        for (name, value) in &params {
            let hit = if is_glob {
                brook_engine::frontend::glob_matches(&pattern.to_ascii_lowercase(), name.as_bytes())
            } else {
                pattern.eq_ignore_ascii_case(name.as_bytes())
            };
            if hit && !seen.contains(name) {
                seen.push(*name);
                let shown = if is_glob {
                    Reply::text(name)
                } else {
                    Reply::Bulk(pattern.clone())
                };
                out.push((shown, Reply::Bulk(Bytes::from(value.clone()))));
            }
        }
    }
    out
}

/// `FLUSHALL [ASYNC|SYNC]`: the first database checks the arguments; the rest follow.
pub(super) fn flushall(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let reply = engine_now(&shared.dbs[0], argv);
    if !reply.is_error() {
        for e in &shared.dbs[1..] {
            engine_now(e, argv);
        }
    }
    sess.out.reply(&reply);
    Step::Done
}

/// `CONFIG GET|SET|RESETSTAT …`: the stream settings live in each engine; a SET that
/// the first engine accepts is applied to all.
pub(super) fn config(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    if argv[1].eq_ignore_ascii_case(b"resetstat") {
        if argv.len() != 2 {
            sess.out
                .error("ERR wrong number of arguments for 'config|resetstat' command");
        } else {
            shared.stats.reset();
            // Redis's `resetServerStats` clears the connection counters too.
            for counter in [
                &shared.connections_received,
                &shared.rejected_connections,
                &shared.output_limit_disconnections,
            ] {
                counter.store(0, std::sync::atomic::Ordering::Relaxed);
            }
            sess.out.ok();
        }
        return Step::Done;
    }
    let mut reply = engine_now(&shared.dbs[0], argv);
    if argv[1].eq_ignore_ascii_case(b"get") {
        if let brook_engine::Reply::Map(pairs) = &mut reply {
            pairs.extend(server_params(shared, &argv[2..]));
        }
    }
    if argv[1].eq_ignore_ascii_case(b"set") && !reply.is_error() {
        for e in &shared.dbs[1..] {
            engine_now(e, argv);
        }
    }
    sess.out.reply(&reply);
    Step::Done
}
