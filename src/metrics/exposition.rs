//! The Prometheus exposition: stream, group and consumer gauges under redis_exporter's
//! names, `redis_` prefix and labels (`db`, `stream`, `group`, `consumer`), so existing
//! dashboards chart brook's engine as they chart Redis; and brook's own metrics
//! redis_exporter lacks (oldest pending age, worker counters, delivery-count and
//! handler-latency histograms). A lag that Redis reports as nil is left out, never
//! shown as 0 (redis_exporter shows 0). Encoded with the `prometheus-client` crate in
//! the OpenMetrics text format, which Prometheus scrapes.

use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::snapshot::{snapshot, StreamMetrics};
use crate::worker::{WorkerHandle, WorkerStats};
use crate::{Error, StreamId, Streams, StreamsClock};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StreamLabels {
    db: String,
    stream: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GroupLabels {
    db: String,
    stream: String,
    group: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConsumerLabels {
    db: String,
    stream: String,
    group: String,
    consumer: String,
}

type FloatGauge = Gauge<f64, std::sync::atomic::AtomicU64>;

/// redis_exporter turns an ID into a number by its milliseconds part.
fn id_ms(id: StreamId) -> i64 {
    i64::try_from(id.ms).unwrap_or(i64::MAX)
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A worker whose counters the exposition shows.
struct Watched {
    stream: String,
    group: String,
    consumer: String,
    stats: tokio::sync::watch::Receiver<WorkerStats>,
}

/// Renders the exposition of some streams (and of workers) on one backend.
#[derive(Clone)]
pub struct Exporter<S> {
    backend: S,
    streams: Vec<bytes::Bytes>,
    db: String,
    workers: Arc<Mutex<Vec<Watched>>>,
}

impl<S: Streams + StreamsClock + Clone + 'static> Exporter<S> {
    /// An exporter of `streams` on `backend`, labelled `db="db0"`.
    pub fn new(backend: S, streams: &[impl AsRef<[u8]>]) -> Exporter<S> {
        Exporter {
            backend,
            streams: streams
                .iter()
                .map(|s| bytes::Bytes::copy_from_slice(s.as_ref()))
                .collect(),
            db: "db0".into(),
            workers: Arc::default(),
        }
    }

    /// Adds a worker's counters to the exposition (the histograms of every worker of
    /// the process are always in it).
    pub fn watch_worker(&self, handle: &WorkerHandle) {
        let (stream, group, consumer) = handle.names();
        let watched = Watched {
            stream: text(stream),
            group: text(group),
            consumer: text(consumer),
            stats: handle.stats_receiver(),
        };
        self.workers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(watched);
    }

    /// The exposition now (OpenMetrics text).
    pub async fn render(&self) -> Result<String, Error> {
        let snap = snapshot(&self.backend, &self.streams).await?;
        let mut registry = Registry::default();
        self.streams_into(&snap, &mut registry);
        self.workers_into(&mut registry);
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)
            .map_err(|e| Error::Server(bytes::Bytes::from(format!("ERR encoding: {e}"))))?;
        Ok(out)
    }

    fn streams_into(&self, snap: &[StreamMetrics], registry: &mut Registry) {
        let gauge = |r: &mut Registry, name: &str, help: &str| {
            let f = Family::<StreamLabels, Gauge>::default();
            r.register(name, help, f.clone());
            f
        };
        let length = gauge(
            registry,
            "redis_stream_length",
            "The number of elements of the stream",
        );
        let keys = gauge(
            registry,
            "redis_stream_radix_tree_keys",
            "Radix tree keys count",
        );
        let nodes = gauge(
            registry,
            "redis_stream_radix_tree_nodes",
            "Radix tree nodes count",
        );
        let last_gen = gauge(
            registry,
            "redis_stream_last_generated_id",
            "The epoch timestamp (ms) of the latest message on the stream",
        );
        let groups = gauge(registry, "redis_stream_groups", "Groups count of stream");
        let max_del = gauge(
            registry,
            "redis_stream_max_deleted_entry_id",
            "The epoch timestamp (ms) of last message was deleted from the stream",
        );
        let first = gauge(
            registry,
            "redis_stream_first_entry_id",
            "The epoch timestamp (ms) of the first message in the stream",
        );
        let last = gauge(
            registry,
            "redis_stream_last_entry_id",
            "The epoch timestamp (ms) of the last message in the stream",
        );
        let added = Family::<StreamLabels, Counter>::default();
        registry.register(
            "redis_stream_entries_added",
            "The count of all entries added to the stream during its lifetime",
            added.clone(),
        );
        let ggauge = |r: &mut Registry, name: &str, help: &str| {
            let f = Family::<GroupLabels, Gauge>::default();
            r.register(name, help, f.clone());
            f
        };
        let g_consumers = ggauge(
            registry,
            "redis_stream_group_consumers",
            "Consumers count of stream group",
        );
        let g_pending = ggauge(
            registry,
            "redis_stream_group_messages_pending",
            "Pending number of messages in that stream group",
        );
        let g_last = ggauge(
            registry,
            "redis_stream_group_last_delivered_id",
            "The epoch timestamp (ms) of the last delivered message",
        );
        let g_read = ggauge(
            registry,
            "redis_stream_group_entries_read",
            "Total number of entries read from the stream group",
        );
        let g_lag = ggauge(
            registry,
            "redis_stream_group_lag",
            "The number of messages waiting to be delivered to the stream group's consumers",
        );
        let g_oldest = Family::<GroupLabels, FloatGauge>::default();
        registry.register(
            "brook_stream_group_oldest_pending_age_seconds",
            "Age of the oldest pending entry of the group, from its ID's time",
            g_oldest.clone(),
        );
        let c_pending = Family::<ConsumerLabels, Gauge>::default();
        registry.register(
            "redis_stream_group_consumer_messages_pending",
            "Pending number of messages for this specific consumer",
            c_pending.clone(),
        );
        let c_idle = Family::<ConsumerLabels, FloatGauge>::default();
        registry.register(
            "redis_stream_group_consumer_idle_seconds",
            "Consumer idle time in seconds",
            c_idle.clone(),
        );
        for s in snap {
            let l = StreamLabels {
                db: self.db.clone(),
                stream: text(&s.stream),
            };
            length.get_or_create(&l).set(int(s.length));
            keys.get_or_create(&l).set(int(s.radix_tree_keys));
            nodes.get_or_create(&l).set(int(s.radix_tree_nodes));
            last_gen.get_or_create(&l).set(id_ms(s.last_generated_id));
            groups.get_or_create(&l).set(s.groups.len() as i64);
            max_del.get_or_create(&l).set(id_ms(s.max_deleted_entry_id));
            first
                .get_or_create(&l)
                .set(s.first_entry_id.map_or(0, id_ms));
            last.get_or_create(&l).set(s.last_entry_id.map_or(0, id_ms));
            added.get_or_create(&l).inc_by(s.entries_added);
            for g in &s.groups {
                let gl = GroupLabels {
                    db: self.db.clone(),
                    stream: l.stream.clone(),
                    group: text(&g.name),
                };
                g_consumers.get_or_create(&gl).set(g.consumers.len() as i64);
                g_pending.get_or_create(&gl).set(int(g.pending));
                g_last.get_or_create(&gl).set(id_ms(g.last_delivered_id));
                if let Some(r) = g.entries_read {
                    g_read.get_or_create(&gl).set(int(r));
                }
                if let Some(lag) = g.lag {
                    g_lag.get_or_create(&gl).set(int(lag));
                }
                if let Some(age) = g.oldest_pending_age_ms {
                    g_oldest.get_or_create(&gl).set(age as f64 / 1e3);
                }
                for c in &g.consumers {
                    let cl = ConsumerLabels {
                        db: self.db.clone(),
                        stream: l.stream.clone(),
                        group: gl.group.clone(),
                        consumer: text(&c.name),
                    };
                    c_pending.get_or_create(&cl).set(int(c.pending));
                    c_idle.get_or_create(&cl).set(c.idle_ms as f64 / 1e3);
                }
            }
        }
    }

    fn workers_into(&self, registry: &mut Registry) {
        let hub = super::worker::hub();
        registry.register(
            "brook_worker_handler_seconds",
            "Seconds each handler run took",
            hub.handler_seconds.clone(),
        );
        registry.register(
            "brook_worker_deliveries",
            "The delivery count of each message when its handler ran",
            hub.deliveries.clone(),
        );
        let workers = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        let counter = |r: &mut Registry, name: &str, help: &str| {
            let f = Family::<ConsumerLabels, Counter>::default();
            r.register(name, help, f.clone());
            f
        };
        let processed = counter(
            registry,
            "brook_worker_processed",
            "Handler runs that succeeded",
        );
        let failed = counter(
            registry,
            "brook_worker_failed",
            "Handler runs that failed (errors, panics, timeouts)",
        );
        let reclaimed = counter(
            registry,
            "brook_worker_reclaimed",
            "Entries taken over from other consumers with XAUTOCLAIM",
        );
        let dead = counter(
            registry,
            "brook_worker_dead_lettered",
            "Entries moved to the dead-letter stream",
        );
        let retried = counter(
            registry,
            "brook_worker_retried",
            "Retries started after a backoff",
        );
        let acked = counter(
            registry,
            "brook_worker_acked",
            "Entries acknowledged as finished (successes and duplicates)",
        );
        let dups = counter(
            registry,
            "brook_worker_duplicates",
            "Messages whose processed-marker already existed",
        );
        let in_flight = Family::<ConsumerLabels, Gauge>::default();
        registry.register(
            "brook_worker_in_flight",
            "Messages the worker holds now",
            in_flight.clone(),
        );
        for w in workers.iter() {
            let l = ConsumerLabels {
                db: self.db.clone(),
                stream: w.stream.clone(),
                group: w.group.clone(),
                consumer: w.consumer.clone(),
            };
            let s = *w.stats.borrow();
            processed.get_or_create(&l).inc_by(s.succeeded);
            failed.get_or_create(&l).inc_by(s.failed);
            reclaimed.get_or_create(&l).inc_by(s.reclaimed);
            dead.get_or_create(&l).inc_by(s.dead_lettered);
            retried.get_or_create(&l).inc_by(s.retried);
            acked.get_or_create(&l).inc_by(s.acked);
            dups.get_or_create(&l).inc_by(s.duplicates);
            in_flight.get_or_create(&l).set(int(s.in_flight));
        }
    }
}
