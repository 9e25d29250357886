//! treebench: std BTreeMap vs blart TreeMap (ART) as the macro-node index of a stream.
//! Keys = stream ID of a node's first entry, (ms << 64 | seq) as u128 or its 16-byte BE form.
//! Values = 96-byte stand-in for a node. Hand-rolled harness: ns/op = median over ROUNDS
//! (structures interleaved) of the median of SAMPLES timed runs.
//! Usage: treebench [ADV] [N...]   ADV = mean entries per ms tick (default 4; e.g. 2000 = burst)
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};
use std::time::Instant;

// ---------- counting allocator: live bytes and live allocations ----------
struct Counting;
static BYTES: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicIsize = AtomicIsize::new(0);
static COUNT: AtomicBool = AtomicBool::new(false); // only on while measuring memory (no RMW in timings)
fn count(bytes: isize, allocs: isize) {
    if COUNT.load(Relaxed) { BYTES.fetch_add(bytes, Relaxed); ALLOCS.fetch_add(allocs, Relaxed); }
}
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() { count(l.size() as isize, 1) }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        count(-(l.size() as isize), -1);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, n) };
        if !q.is_null() { count(n as isize - l.size() as isize, 0) }
        q
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

type V = [u64; 12]; // 96 bytes, stands in for a macro-node
const SAMPLES: usize = 3; // per round; structures are interleaved over ROUNDS
const ROUNDS: usize = 5;

// ---------- key generation ----------
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 { // xorshift64*
        self.0 ^= self.0 >> 12; self.0 ^= self.0 << 25; self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}
/// Node keys = every 100th entry ID of a stream whose clock ticks (ms += 1, seq = 0)
/// with probability 1/adv per entry, else seq += 1.
fn node_keys(n: usize, adv: u64) -> Vec<u128> {
    let (mut rng, mut ms, mut seq) = (Rng(0x9E37_79B9_7F4A_7C15), 1_795_000_000_000u64, 0u64);
    let mut out = Vec::with_capacity(n);
    for i in 0..n * 100 {
        if i > 0 { if rng.next() % adv == 0 { ms += 1; seq = 0 } else { seq += 1 } }
        if i % 100 == 0 { out.push((ms as u128) << 64 | seq as u128) }
    }
    out
}
fn probes(keys: &[u128], count: usize) -> Vec<u128> {
    let (lo, hi) = ((keys[0] >> 64) as u64, (keys[keys.len() - 1] >> 64) as u64);
    let mut rng = Rng(0xDEAD_BEEF_1234_5678);
    (0..count).map(|_| {
        let ms = lo + rng.next() % (hi - lo + 1);
        ((ms as u128) << 64 | (rng.next() % 1024) as u128).max(keys[0]) // always has a predecessor
    }).collect()
}
fn val(k: u128) -> V { let mut v = [0u64; 12]; v[0] = k as u64; v[1] = (k >> 64) as u64; v }

// ---------- uniform interface over the candidate maps ----------
trait Index: Sized {
    const NAME: &'static str;
    fn new() -> Self;
    fn ins(&mut self, k: u128);
    fn seek(&self, p: u128) -> u64; // predecessor of p, then it + 3 following nodes
    fn pop_first(&mut self) -> bool;
    fn pop_last(&mut self) -> bool;
    fn last(&self) -> u64;
    fn last_mut(&mut self) -> u64;
    fn ordered_ids(&self) -> Vec<u128>; // keys in the map's iteration order, as u128
}
macro_rules! index_impl {
    ($ty:ty, $name:expr, $to:expr, $from:expr) => {
        impl Index for $ty {
            const NAME: &'static str = $name;
            fn new() -> Self { <$ty>::new() }
            #[inline] fn ins(&mut self, k: u128) { self.insert($to(k), val(k)); }
            #[inline] fn seek(&self, p: u128) -> u64 {
                let Some((k, _)) = self.range(..=$to(p)).next_back() else { return 0 };
                self.range(*k..).take(4).fold(0, |a, (_, v)| a.wrapping_add(v[0] ^ v[1]))
            }
            #[inline] fn pop_first(&mut self) -> bool { self.pop_first().is_some() }
            #[inline] fn pop_last(&mut self) -> bool { self.pop_last().is_some() }
            #[inline] fn last(&self) -> u64 { self.last_key_value().map_or(0, |(_, v)| v[0]) }
            #[inline] fn last_mut(&mut self) -> u64 {
                self.iter_mut().next_back().map_or(0, |(_, v)| { v[2] += 1; v[2] })
            }
            fn ordered_ids(&self) -> Vec<u128> { self.iter().map(|(k, _)| $from(*k)).collect() }
        }
    };
}
index_impl!(BTreeMap<u128, V>, "BTreeMap<u128>", |k: u128| k, |k: u128| k);
index_impl!(BTreeMap<[u8; 16], V>, "BTreeMap<[u8;16]>", u128::to_be_bytes, u128::from_be_bytes);
index_impl!(blart::TreeMap<[u8; 16], V>, "blart<[u8;16]>", u128::to_be_bytes, u128::from_be_bytes);
index_impl!(blart::TreeMap<u128, V>, "blart<u128>*", |k: u128| k, |k: u128| k);

// ---------- harness ----------
fn median(mut v: Vec<f64>) -> f64 { v.sort_by(|a, b| a.partial_cmp(b).unwrap()); v[v.len() / 2] }
/// `setup` builds untimed state; `run` is timed and returns the number of ops performed.
fn measure<S>(mut setup: impl FnMut() -> S, mut run: impl FnMut(&mut S) -> usize) -> f64 {
    let mut s = setup(); run(&mut s); drop(s); // warm-up
    median((0..SAMPLES).map(|_| {
        let mut s = setup();
        let t = Instant::now();
        let ops = run(&mut s);
        let ns = t.elapsed().as_nanos() as f64 / ops as f64;
        drop(s); // dropping is never timed
        ns
    }).collect())
}
fn build<M: Index>(keys: &[u128]) -> M { let mut m = M::new(); for &k in keys { m.ins(k) } m }

type Row = [f64; 10];
fn bench<M: Index>(n: usize, keys: &[u128], extra: &[u128], probes: &[u128], reference: &mut Option<u64>) -> Row {
    let reps = (200_000 / n).max(1); // >= 2e5 ops per sample where possible
    // a) monotone append into empty maps
    let append = measure(|| Vec::with_capacity(reps), |v: &mut Vec<M>| {
        for _ in 0..reps { let mut m = M::new(); for &k in keys { m.ins(black_box(k)) } v.push(m) }
        reps * n
    });
    // b) memory: live heap bytes / allocations attributable to the full map
    let (b0, a0) = (BYTES.load(Relaxed), ALLOCS.load(Relaxed));
    COUNT.store(true, Relaxed);
    let mut map: M = build(keys);
    COUNT.store(false, Relaxed);
    let bytes = (BYTES.load(Relaxed) - b0) as f64 / n as f64;
    let allocs = (ALLOCS.load(Relaxed) - a0) as f64 / n as f64;
    let ids = map.ordered_ids();
    let ordered = ids.len() == n && ids.iter().zip(keys).all(|(a, b)| a == b);
    // c) range seek: predecessor + iterate forward 3
    let mut chk = 0u64;
    let seek = measure(|| (), |_| {
        for &p in probes { chk = chk.wrapping_add(map.seek(black_box(p))) }
        probes.len()
    });
    let seek_ok = match reference { None => { *reference = Some(chk); true } Some(r) => *r == chk };
    // d) tail lookups (XADD path), then head trimming / tail removal
    const L: usize = 1_000_000;
    let last = measure(|| (), |_| { for _ in 0..L { black_box(black_box(&map).last()); } L });
    let last_mut = measure(|| (), |_| { for _ in 0..L { black_box(black_box(&mut map).last_mut()); } L });
    let popf = measure(|| (0..reps).map(|_| build::<M>(keys)).collect::<Vec<_>>(), |v| {
        for m in v.iter_mut() { while m.pop_first() {} } reps * n
    });
    let popl = measure(|| (0..reps).map(|_| build::<M>(keys)).collect::<Vec<_>>(), |v| {
        for m in v.iter_mut() { while m.pop_last() {} } reps * n
    });
    // e) steady-state MAXLEN window: append new tail node + trim head node
    let window = measure(|| build::<M>(keys), |m| {
        for &k in extra { m.ins(black_box(k)); m.pop_first(); } extra.len()
    });
    [append, bytes, allocs, seek, last, last_mut, popf, popl, window, (ordered && seek_ok) as u8 as f64]
}
fn report(n: usize, name: &str, rows: &[Row], stat: fn(Vec<f64>) -> f64) {
    let c: Vec<f64> = (0..10).map(|i| stat(rows.iter().map(|r| r[i]).collect())).collect();
    let ok = rows.iter().all(|r| r[9] == 1.0);
    println!("{:>8} {:<18} {:>7.1} {:>7.1} {:>5.2} {:>7.1} {:>6.1} {:>6.1} {:>7.1} {:>7.1} {:>7.1} {}",
        n, name, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], if ok { "ok" } else { "WRONG ORDER" });
}

unsafe extern "C" { fn mallopt(param: i32, value: i32) -> i32; } // glibc
fn main() {
    // keep freed memory in the process (M_TRIM_THRESHOLD) so timings see a warm heap, not page faults
    unsafe { mallopt(-1, i32::MAX) };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let adv: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(4);
    let ns: Vec<usize> = if args.len() > 1 { args[1..].iter().map(|a| a.parse().unwrap()).collect() }
                         else { vec![1_000, 100_000, 1_000_000] };
    println!("key pattern: clock tick prob 1/{adv} per entry, node key every 100th entry; V = 96 B");
    let mut table = Vec::new();
    for &n in &ns {
        let extra_n = n.min(100_000);
        let all = node_keys(n + extra_n, adv);
        let (keys, extra) = all.split_at(n);
        let pr = probes(keys, 200_000);
        let (mut reference, mut rows) = (None, vec![Vec::new(); 4]);
        for _ in 0..ROUNDS { // interleave structures so host noise hits all of them alike
            rows[0].push(bench::<BTreeMap<u128, V>>(n, keys, extra, &pr, &mut reference));
            rows[1].push(bench::<BTreeMap<[u8; 16], V>>(n, keys, extra, &pr, &mut reference));
            rows[2].push(bench::<blart::TreeMap<[u8; 16], V>>(n, keys, extra, &pr, &mut reference));
            rows[3].push(bench::<blart::TreeMap<u128, V>>(n, keys, extra, &pr, &mut reference));
        }
        table.push((n, rows));
    }
    let names = [<BTreeMap<u128, V>>::NAME, <BTreeMap<[u8; 16], V>>::NAME,
                 <blart::TreeMap<[u8; 16], V>>::NAME, <blart::TreeMap<u128, V>>::NAME];
    for (label, stat) in [("MEDIAN", median as fn(Vec<f64>) -> f64),
                          ("MIN (least disturbed)", |v: Vec<f64>| v.into_iter().fold(f64::MAX, f64::min))] {
        println!("-- {label} over {ROUNDS} interleaved rounds");
        println!("{:>8} {:<18} {:>7} {:>7} {:>5} {:>7} {:>6} {:>6} {:>7} {:>7} {:>7} {}", "N", "map",
            "app ns", "B/key", "al/k", "seek ns", "last", "lastmu", "popF ns", "popL ns", "win ns", "check");
        for (n, rows) in &table { for (i, r) in rows.iter().enumerate() { report(*n, names[i], r, stat) } }
    }
    println!("* blart<u128> uses native-endian (LE) key bytes: its order is not numeric order.");
}
