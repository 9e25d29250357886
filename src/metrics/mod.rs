//! Metrics: a `snapshot` of streams, groups and consumers; a Prometheus `Exporter`
//! under the names redis_exporter uses (feature `metrics`), plus each worker's own
//! metrics ([`WorkerMetrics`], feature `worker`);
//! and, with the `metrics-http` feature, `serve`, a small HTTP endpoint for `/metrics`
//! (plain tokio, no HTTP framework).
//!
//! ```ignore
//! // with the `metrics-http` feature
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let backend = brook::connect("mem://orders").await?;
//! let exporter = brook::metrics::Exporter::new(backend, &["orders"]);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9121").await?;
//! let server = brook::metrics::serve(exporter, listener);
//! # server.abort(); Ok(()) }
//! ```

#[cfg(feature = "metrics")]
mod exposition;
#[cfg(feature = "metrics-http")]
mod http;
#[cfg(feature = "metrics")]
mod snapshot;
mod worker;

#[cfg(feature = "metrics")]
pub use exposition::Exporter;
#[cfg(feature = "metrics-http")]
pub use http::serve;
#[cfg(feature = "metrics")]
pub use snapshot::{snapshot, ConsumerMetrics, GroupMetrics, StreamMetrics};
pub use worker::WorkerMetrics;
