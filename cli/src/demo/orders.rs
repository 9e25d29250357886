//! The demo's orders: what the producers add, what the handler commits, and the ledger
//! that proves each order took effect exactly once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use brook::worker::Message;
use brook::{Backend, Error, Streams, XAddOptions};
use bytes::Bytes;

/// The stream (a hash tag keeps every key of the demo in one cluster slot).
pub const STREAM: &str = "{orders}";
/// The group.
pub const GROUP: &str = "billing";
/// The dead-letter stream.
pub const DEAD: &str = "{orders}:dead";
/// Revenue committed by the handler.
pub const REVENUE: &str = "{orders}:revenue";
/// Orders committed by the handler.
pub const DONE: &str = "{orders}:processed";

/// The order number that always fails (a poison message).
const POISON: u64 = 4_242;

/// The orders of one run.
#[derive(Clone)]
pub struct Orders {
    total: u64,
    produced: Arc<AtomicU64>,
    /// Order numbers are `<run>-<n>`: a run's processed-markers (kept ten minutes)
    /// never match another run's orders.
    run: u64,
}

impl Orders {
    pub fn new(total: u64) -> Orders {
        Orders {
            total,
            produced: Arc::default(),
            run: brook::engine::precise_now_ms(),
        }
    }

    fn order_id(&self, n: u64) -> String {
        format!("{}-{n}", self.run)
    }

    fn poison(&self) -> u64 {
        POISON % self.total
    }

    /// The amount of order `n` (1 to 100).
    fn amount(n: u64) -> u64 {
        n.wrapping_mul(2_654_435_761) % 100 + 1
    }

    /// Orders expected to take effect, and their revenue.
    pub fn expected(&self) -> (u64, u64) {
        let revenue = (0..self.total)
            .filter(|n| *n != self.poison())
            .map(Orders::amount)
            .sum();
        (self.total - 1, revenue)
    }

    /// Removes what an earlier run left (on a server).
    pub async fn reset(&self, b: &Backend) -> Result<(), Error> {
        b.del(&[
            STREAM.as_bytes(),
            DEAD.as_bytes(),
            REVENUE.as_bytes(),
            DONE.as_bytes(),
        ])
        .await?;
        Ok(())
    }

    pub fn produced(&self) -> u64 {
        self.produced.load(Ordering::Relaxed)
    }

    /// Two producers adding the orders at about `rate` per second in all.
    pub fn produce(&self, b: &Backend, rate: u64) -> tokio::task::JoinHandle<()> {
        let (b, me) = (b.clone(), self.clone());
        tokio::spawn(async move {
            let producers: Vec<_> = (0..2u64)
                .map(|p| {
                    let (b, me) = (b.clone(), me.clone());
                    tokio::spawn(async move {
                        let per_tick = (rate / 2 / 50).max(1);
                        let mut n = p;
                        while n < me.total {
                            for _ in 0..per_tick {
                                if n >= me.total {
                                    break;
                                }
                                let fields = [
                                    ("order", me.order_id(n)),
                                    ("amount", Orders::amount(n).to_string()),
                                    ("customer", format!("c{}", n % 97)),
                                ];
                                if b.xadd(STREAM.as_bytes(), &XAddOptions::default(), &fields)
                                    .await
                                    .is_ok()
                                {
                                    me.produced.fetch_add(1, Ordering::Relaxed);
                                    n += 2;
                                }
                            }
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    })
                })
                .collect();
            for p in producers {
                let _ = p.await;
            }
        })
    }

    /// The handler: the poison order fails; every other order adds its amount to the
    /// revenue ledger and one to the processed counter — effects the worker commits
    /// with the acknowledgement, once per order.
    pub fn handler(&self) -> impl brook::worker::Handler {
        let poison = Bytes::from(self.order_id(self.poison()));
        move |m: Message| {
            let poisoned = m.field("order") == Some(&poison);
            async move {
                // Two milliseconds of "work" per order (charging a card, say).
                tokio::time::sleep(Duration::from_millis(2)).await;
                if poisoned {
                    return Err("card declined: poison order".into());
                }
                let amount = m
                    .field("amount")
                    .and_then(|a| std::str::from_utf8(a).ok()?.parse::<i64>().ok())
                    .ok_or("no amount")?;
                m.effects.incr_by(REVENUE, amount);
                m.effects.incr_by(DONE, 1);
                Ok(())
            }
        }
    }

    async fn counter(b: &Backend, key: &str) -> Result<u64, Error> {
        Ok(b.get(key.as_bytes())
            .await?
            .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok())
            .unwrap_or(0))
    }

    /// The ledger: orders committed and revenue.
    pub async fn ledger(b: &Backend) -> Result<(u64, u64), Error> {
        Ok((
            Orders::counter(b, DONE).await?,
            Orders::counter(b, REVENUE).await?,
        ))
    }

    /// True once every order that can take effect has.
    pub async fn settled(&self, b: &Backend) -> Result<bool, Error> {
        Ok(Orders::ledger(b).await?.0 >= self.expected().0)
    }
}
