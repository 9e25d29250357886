//! The demo's orders: what the producers add, what the handler commits, and the ledger
//! that proves each order took effect exactly once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use brook::worker::Message;
use brook::{Backend, Command, CommandReply, Error, SetOptions, Streams, XAddOptions};
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
    /// `--data` only: the run the directory holds (see [`Record`]).
    pub run: String,
    /// `--data` only: how many orders each of the two producers has added, counted in
    /// the same transaction as each XADD, so a resumed run knows exactly where each
    /// producer stopped.
    pub producers: [String; 2],
}

impl Keys {
    pub fn new(stream: &str) -> Keys {
        Keys {
            stream: stream.to_string(),
            dead: format!("{stream}:dead"),
            revenue: format!("{stream}:revenue"),
            done: format!("{stream}:processed"),
            run: format!("{stream}:run"),
            producers: [0, 1].map(|p| format!("{stream}:producer:{p}")),
        }
    }

    /// The stream, the dead letters and the ledger's two counters.
    pub fn all(&self) -> [&str; 4] {
        [&self.stream, &self.dead, &self.revenue, &self.done]
    }

    /// The keys a `--data` run writes besides [`Keys::all`]: the run record and the
    /// producers' counters.
    pub fn durable(&self) -> [&str; 3] {
        [&self.run, &self.producers[0], &self.producers[1]]
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
    /// How many orders each producer had added before this process started (a
    /// resumed `--data` run); producer `p` adds orders `p`, `p + 2`, `p + 4` …
    added: [u64; 2],
    /// `--data`: each XADD counts itself in [`Keys::producers`] in the same
    /// transaction.
    durable: bool,
}

/// What a `--data` directory records of its run (the value of `NAME:run`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// The run's number (its order numbers are `<run>-<n>`).
    pub run: u64,
    /// Its number of orders.
    pub total: u64,
    /// Whether it ran to its final check.
    pub finished: bool,
}

impl Record {
    fn to_value(self) -> String {
        let end = if self.finished { " finished" } else { "" };
        format!("run={} orders={}{end}", self.run, self.total)
    }

    fn parse(value: &[u8]) -> Option<Record> {
        let text = std::str::from_utf8(value).ok()?;
        let mut words = text.split(' ');
        let run = words.next()?.strip_prefix("run=")?.parse().ok()?;
        let total = words.next()?.strip_prefix("orders=")?.parse().ok()?;
        let finished = match words.next() {
            None => false,
            Some("finished") => true,
            Some(_) => return None,
        };
        words.next().is_none().then_some(Record {
            run,
            total,
            finished,
        })
    }
}

impl Orders {
    /// A new run of `total` orders (`durable`: it records itself for `--data`).
    pub fn new(keys: Keys, total: u64, durable: bool) -> Orders {
        Orders {
            keys: Arc::new(keys),
            total,
            produced: Arc::default(),
            run: brook::engine::precise_now_ms(),
            added: [0, 0],
            durable,
        }
    }

    /// The run a `--data` directory records, if any.
    pub async fn recorded(
        b: &Backend,
        keys: &Keys,
    ) -> Result<Option<Record>, Box<dyn std::error::Error>> {
        let Some(value) = b.get(keys.run.as_bytes()).await? else {
            return Ok(None);
        };
        match Record::parse(&value) {
            Some(r) => Ok(Some(r)),
            None => Err(format!(
                "{} holds `{}`, not a demo run (`run=N orders=N [finished]`)",
                keys.run,
                String::from_utf8_lossy(&value)
            )
            .into()),
        }
    }

    /// The recorded run `r`, continuing where its producers stopped (their counters).
    pub async fn resume(b: &Backend, keys: Keys, r: Record) -> Result<Orders, Error> {
        let mut added = [0, 0];
        for (count, key) in added.iter_mut().zip(&keys.producers) {
            *count = Orders::counter(b, key).await?;
        }
        let already = added[0] + added[1];
        Ok(Orders {
            keys: Arc::new(keys),
            total: r.total,
            produced: Arc::new(AtomicU64::new(already)),
            run: r.run,
            added,
            durable: true,
        })
    }

    /// This run as `NAME:run` records it.
    pub fn record(&self, finished: bool) -> Record {
        Record {
            run: self.run,
            total: self.total,
            finished,
        }
    }

    /// Writes [`Orders::record`] to `NAME:run`.
    pub async fn write_record(&self, b: &Backend, finished: bool) -> Result<(), Error> {
        let value = self.record(finished).to_value();
        b.set(self.keys.run.as_bytes(), value, &SetOptions::default())
            .await?;
        Ok(())
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// A `--data` run (recorded, its XADDs counted).
    pub fn durable(&self) -> bool {
        self.durable
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

    /// The keys this run writes (markers aside): the four, and with `--data` the run
    /// record and the producers' counters.
    fn written(&self) -> Vec<&[u8]> {
        let durable = self.durable.then(|| self.keys.durable());
        self.keys
            .all()
            .into_iter()
            .chain(durable.into_iter().flatten())
            .map(str::as_bytes)
            .collect()
    }

    /// Removes what an earlier run left (on a server).
    pub async fn reset(&self, b: &Backend) -> Result<(), Error> {
        b.del(&self.written()).await?;
        Ok(())
    }

    /// Removes what this run wrote: the stream (and its group), the dead letters, the
    /// ledger (with `--data` the run record and the producers' counters too), and the
    /// processed-marker of each order. Returns how many of those keys and how many
    /// markers existed.
    pub async fn remove(&self, b: &Backend) -> Result<(u64, u64), Error> {
        let removed = b.del(&self.written()).await?;
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

    /// Two producers adding the orders at about `rate` per second in all (a resumed
    /// run's from where each stopped).
    pub fn produce(&self, b: &Backend, rate: u64) -> tokio::task::JoinHandle<()> {
        let (b, me) = (b.clone(), self.clone());
        tokio::spawn(async move {
            let producers: Vec<_> = (0..2u64)
                .map(|p| {
                    let (b, me) = (b.clone(), me.clone());
                    tokio::spawn(async move {
                        let per_tick = (rate / 2 / 50).max(1);
                        let mut n = p + 2 * me.added[p as usize];
                        while n < me.total {
                            for _ in 0..per_tick {
                                if n >= me.total {
                                    break;
                                }
                                if me.add(&b, p, n).await {
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

    /// Adds order `n` (producer `p`'s); true once it is in the stream. With `--data`
    /// the XADD and the producer's counter go in one MULTI/EXEC, which the append-only
    /// file keeps whole or not at all: after a kill the counter says exactly which
    /// orders the stream got.
    async fn add(&self, b: &Backend, p: u64, n: u64) -> bool {
        let fields = [
            ("order", self.order_id(n)),
            ("amount", Orders::amount(n).to_string()),
            ("customer", format!("c{}", n % 97)),
        ];
        let stream = self.keys.stream.as_bytes();
        if !self.durable {
            return b
                .xadd_with(stream, &XAddOptions::default(), &fields)
                .await
                .is_ok();
        }
        let Some(counter) = self.keys.producers.get(p as usize) else {
            return false;
        };
        let cmds = [
            Command::XAdd {
                key: Bytes::copy_from_slice(stream),
                opts: XAddOptions::default(),
                fields: fields
                    .iter()
                    .map(|(f, v)| (Bytes::from_static(f.as_bytes()), Bytes::from(v.clone())))
                    .collect(),
            },
            Command::IncrBy {
                key: Bytes::from(counter.clone()),
                by: 1,
            },
        ];
        matches!(
            b.atomic(&cmds).await.as_deref(),
            Ok([Ok(CommandReply::Id(Some(_))), Ok(CommandReply::Int(_))])
        )
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
