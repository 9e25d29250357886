//! The demo's orders: what the producers add, what the handler commits, and the ledger
//! that proves each order took effect exactly once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use brook::worker::Message;
use brook::{Backend, Error, Streams, XAddOptions};
use bytes::Bytes;

/// The default stream (a hash tag keeps every key of the demo in one cluster slot).
pub const STREAM: &str = "{orders}";
/// The group.
pub const GROUP: &str = "billing";

/// The keys of one run, named after its stream.
pub struct Keys {
    /// The stream.
    pub stream: String,
    /// The dead-letter stream.
    pub dead: String,
    /// Revenue committed by the handler.
    pub revenue: String,
    /// Orders committed by the handler.
    pub done: String,
}

impl Keys {
    pub fn new(stream: &str) -> Keys {
        Keys {
            stream: stream.to_string(),
            dead: format!("{stream}:dead"),
            revenue: format!("{stream}:revenue"),
            done: format!("{stream}:processed"),
        }
    }

    /// The stream, the dead letters and the ledger's two counters.
    pub fn all(&self) -> [&str; 4] {
        [&self.stream, &self.dead, &self.revenue, &self.done]
    }

    /// The worker's processed-marker of an order (`<stream>:done:<group>:<order>`).
    fn marker(&self, order: &str) -> String {
        format!("{}:done:{GROUP}:{order}", self.stream)
    }
}

/// The order number that always fails (a poison message).
const POISON: u64 = 4_242;

/// The orders of one run.
#[derive(Clone)]
pub struct Orders {
    keys: Arc<Keys>,
    total: u64,
    produced: Arc<AtomicU64>,
    /// Order numbers are `<run>-<n>`: a run's processed-markers (kept ten minutes)
    /// never match another run's orders.
    run: u64,
}

impl Orders {
    pub fn new(keys: Keys, total: u64) -> Orders {
        Orders {
            keys: Arc::new(keys),
            total,
            produced: Arc::default(),
            run: brook::engine::precise_now_ms(),
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
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
        let keys: Vec<&[u8]> = self.keys.all().iter().map(|k| k.as_bytes()).collect();
        b.del(&keys).await?;
        Ok(())
    }

    /// Removes what this run wrote: the stream (and its group), the dead letters, the
    /// ledger, and the processed-marker of each order. Returns how many of the four
    /// keys and how many markers existed.
    pub async fn remove(&self, b: &Backend) -> Result<(u64, u64), Error> {
        let keys: Vec<&[u8]> = self.keys.all().iter().map(|k| k.as_bytes()).collect();
        let removed = b.del(&keys).await?;
        let mut markers = 0;
        let ids: Vec<u64> = (0..self.total).collect();
        for chunk in ids.chunks(1_000) {
            let names: Vec<String> = chunk
                .iter()
                .map(|n| self.keys.marker(&self.order_id(*n)))
                .collect();
            let names: Vec<&[u8]> = names.iter().map(|k| k.as_bytes()).collect();
            markers += b.del(&names).await?;
        }
        Ok((removed, markers))
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
                                let stream = me.keys.stream.as_bytes();
                                if b.xadd_with(stream, &XAddOptions::default(), &fields)
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
        let keys = self.keys.clone();
        move |m: Message| {
            let poisoned = m.field("order") == Some(&poison);
            let keys = keys.clone();
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
                m.effects.incr_by(&keys.revenue, amount);
                m.effects.incr_by(&keys.done, 1);
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
    pub async fn ledger(&self, b: &Backend) -> Result<(u64, u64), Error> {
        Ok((
            Orders::counter(b, &self.keys.done).await?,
            Orders::counter(b, &self.keys.revenue).await?,
        ))
    }

    /// True once every order that can take effect has.
    pub async fn settled(&self, b: &Backend) -> Result<bool, Error> {
        Ok(self.ledger(b).await?.0 >= self.expected().0)
    }
}
