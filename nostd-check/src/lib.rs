//! `brook-nostd-check`: a `#![no_std]` static library that really uses brook-engine's
//! pure layer (built with `default-features = false`), so that building it for a
//! target without a standard library (`x86_64-unknown-none`) proves that neither the
//! engine nor any of its dependencies pulls in `std`.
//!
//! It brings what a `no_std` binary must: a `#[panic_handler]` (and `panic = "abort"`
//! in every profile) and a `#[global_allocator]` — a bump allocator over a static
//! array that never frees. [`brook_nostd_check`] is exported with C linkage so that the
//! engine code it calls is part of the archive: it creates a `Keyspace`, runs commands
//! through `execute`, parses an ID, and renders replies to RESP2/RESP3.
#![no_std]

extern crate alloc;

use alloc::vec::Vec;
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};

use brook_engine::{Reply, StreamId};

use brook_engine::frontend::{Keyspace, Protocol};
use bytes::Bytes;

const HEAP_SIZE: usize = 1 << 20;

/// A bump allocator over a static 1 MiB array; `dealloc` is a no-op.
struct Bump {
    heap: UnsafeCell<[u8; HEAP_SIZE]>,
    next: AtomicUsize,
}

// SAFETY: every allocation is a distinct range of `heap`, handed out by an atomic
// bump of `next`, so no two callers ever get overlapping memory.
unsafe impl Sync for Bump {}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.heap.get() as usize;
        let mut current = self.next.load(Ordering::Relaxed);
        loop {
            let start = (base + current).next_multiple_of(layout.align()) - base;
            let end = match start.checked_add(layout.size()) {
                Some(end) if end <= HEAP_SIZE => end,
                _ => return core::ptr::null_mut(),
            };
            match self.next.compare_exchange_weak(
                current,
                end,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return (base + start) as *mut u8,
                Err(seen) => current = seen,
            }
        }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: Bump = Bump {
    heap: UnsafeCell::new([0; HEAP_SIZE]),
    next: AtomicUsize::new(0),
};

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// Runs a few commands on a fresh keyspace and returns the total number of RESP bytes
/// of their replies (plus the parsed ID's parts), or 0 if anything went wrong.
#[no_mangle]
pub extern "C" fn brook_nostd_check() -> u64 {
    let mut ks = Keyspace::new();
    let mut total = 0u64;
    let mut out = Vec::new();
    let commands: [&[&str]; 6] = [
        &["XADD", "s", "1-1", "field", "value"],
        &["XADD", "s", "MAXLEN", "~", "10", "*", "n", "42"],
        &["XRANGE", "s", "-", "+", "COUNT", "10"],
        &["XREAD", "COUNT", "1", "STREAMS", "s", "0"],
        &["XINFO", "STREAM", "s"],
        &["XTRIM", "s", "MINID", "=", "2"],
    ];
    for argv in commands {
        let reply = ks.execute_str(argv, 1_700_000_000_000);
        if reply.is_error() {
            return 0;
        }
        for proto in [Protocol::Resp2, Protocol::Resp3] {
            out.clear();
            reply.write_resp(proto, &mut out);
            total += out.len() as u64;
        }
    }
    let argv = [Bytes::from_static(b"XLEN"), Bytes::from_static(b"s")];
    if ks.execute(&argv, 1_700_000_000_001) != Reply::Integer(1) {
        return 0;
    }
    match StreamId::parse_strict(b"1700000000000-7") {
        Ok(id) => total + id.ms + id.seq,
        Err(_) => 0,
    }
}
