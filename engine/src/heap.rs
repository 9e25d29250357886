//! What the memory accounting needs of the standard collections: the heap counters
//! (`MEMORY USAGE`, `used_memory`) count capacities, so a clone must keep them.

use alloc::vec::Vec;

/// `v` cloned with its capacity: the accounting counts capacities, and a clone must
/// hold (and count) what the original does.
pub(crate) fn clone_with_capacity<T: Clone>(v: &Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(v.capacity());
    out.extend_from_slice(v);
    out
}
