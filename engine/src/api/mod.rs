//! The [`Streams`] trait: Redis stream commands as async methods, implemented by the
//! in-process [`crate::Engine`] and by the Redis adapter (`brook-redis`), so the same
//! consumer code runs on either; [`StreamsClock`], the backend's time; [`WorkerOps`],
//! the conditional operations brook's worker builds on.
//!
//! Options and replies are the engine's typed ones, named after Redis (`XAddOptions`,
//! `XPendingSummary`, `XAutoClaimReply` …); errors are [`Error`](crate::Error) variants whose text is
//! Redis's own, whichever backend answered. Every future is `Send`.
//!
//! The [`crate::Engine`] has the same methods, with the same arguments and replies, in
//! synchronous form; in method-call syntax on an `Engine` those win, so code written
//! against the trait is generic (`S: Streams`) or calls `Streams::xadd(&engine, …)`.
//!
//! ```
//! use brook_engine::{Engine, Error, GroupReadId, GroupStart, Streams, XReadGroupOptions};
//!
//! async fn produce_and_consume<S: Streams>(s: &S) -> Result<usize, Error> {
//!     s.xgroup_create("jobs", "workers", GroupStart::Last, true, None).await?;
//!     s.xadd("jobs", &[("task", "resize")]).await?;
//!     let opts = XReadGroupOptions::default().count(10);
//!     let got = s
//!         .xreadgroup("workers", "w1", &[("jobs", GroupReadId::New)], &opts, None)
//!         .await?;
//!     let ids: Vec<_> = got[0].entries.iter().map(|e| e.id).collect();
//!     Ok(s.xack("jobs", "workers", &ids).await? as usize)
//! }
//!
//! // Any executor runs it: tokio, async-std, or (here) the minimal `pollster`.
//! let engine = Engine::new();
//! let acked = pollster::block_on(produce_and_consume(&engine)).unwrap();
//! assert_eq!(acked, 1);
//! ```

#[cfg(feature = "std")]
mod engine_impl;
mod mark_and_ack;
mod pubsub;
mod streams;
mod streams_clock;
mod worker_ops;

pub use crate::cmd::{Command, CommandReply, XReadGroupReply, XReadReply};
pub use mark_and_ack::EffectReplies;
pub use pubsub::{PubSub, PubSubMessage, Subscription};
pub use streams::Streams;
pub use streams_clock::StreamsClock;
pub use worker_ops::WorkerOps;
