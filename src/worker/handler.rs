//! The [`Handler`] a worker runs for each message, and the panic guard around it.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::message::Message;

/// Any error a handler returns: `?` works on every `std::error::Error`, and
/// `Err("text".into())` on strings.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Processes one message. `Ok` acknowledges it; an error (or a panic, or running past
/// the worker's handler timeout) leaves it pending to be retried after a backoff, and
/// dead-lettered once it was delivered `max_deliveries` times.
///
/// Closures `Fn(Message) -> impl Future<Output = Result<(), BoxError>>` are handlers.
/// A message can be delivered more than once (at-least-once: a crash between the
/// handler's effect and the acknowledgement redelivers it), so effects should be
/// idempotent.
pub trait Handler: Send + Sync + 'static {
    /// Handles `msg`.
    fn handle(&self, msg: Message) -> impl Future<Output = Result<(), BoxError>> + Send;
}

impl<F, Fut> Handler for F
where
    F: Fn(Message) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send,
{
    fn handle(&self, msg: Message) -> impl Future<Output = Result<(), BoxError>> + Send {
        self(msg)
    }
}

/// Polls a future and turns a panic inside it into `Err(panic message)`.
pub(crate) struct CatchUnwind<F>(pub(crate) Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => {
                let text = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string panic payload".to_owned());
                Poll::Ready(Err(text))
            }
        }
    }
}
