//! What workers record for the exposition beyond their counters: histograms of handler
//! latency and of the delivery count each message had when its handler ran. They live
//! in two process-wide families labelled by stream, group and consumer (a worker keeps
//! clones of its own histograms), so an exporter shows every worker of the process.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};

/// Delivery-count buckets: first delivery, the first retries, then coarser.
const DELIVERY_BUCKETS: [f64; 7] = [1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 20.0];

/// A worker's labels.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct WorkerLabels {
    pub(crate) stream: String,
    pub(crate) group: String,
    pub(crate) consumer: String,
}

type Hist = Family<WorkerLabels, Histogram, fn() -> Histogram>;

/// The process-wide histogram families.
pub(crate) struct Hub {
    pub(crate) handler_seconds: Hist,
    pub(crate) deliveries: Hist,
}

fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 4.0, 10))
}

fn deliveries() -> Histogram {
    Histogram::new(DELIVERY_BUCKETS)
}

pub(crate) fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| Hub {
        handler_seconds: Family::new_with_constructor(latency),
        deliveries: Family::new_with_constructor(deliveries),
    })
}

/// One worker's histograms (clones share them).
#[derive(Clone, Debug)]
pub struct WorkerMetrics {
    /// Seconds each handler run took (errors, panics and timeouts included).
    pub handler_seconds: Histogram,
    /// The delivery count of each message when its handler ran.
    pub deliveries: Histogram,
}

impl WorkerMetrics {
    /// The histograms of the worker consuming `stream` in `group` as `consumer`.
    pub(crate) fn for_worker(stream: &[u8], group: &[u8], consumer: &[u8]) -> WorkerMetrics {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let labels = WorkerLabels {
            stream: text(stream),
            group: text(group),
            consumer: text(consumer),
        };
        let h = hub();
        WorkerMetrics {
            handler_seconds: h.handler_seconds.get_or_create(&labels).clone(),
            deliveries: h.deliveries.get_or_create(&labels).clone(),
        }
    }
}
