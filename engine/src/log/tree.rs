//! The ordered index of a stream's nodes, keyed like Redis's rax by the 16-byte
//! big-endian master ID of each node.
//!
//! Closed nodes live in a `BTreeMap<u128, Node>` (the `u128` orders exactly as the
//! 16-byte big-endian key); the tail — the node with the greatest key, the only one XADD
//! appends to, as Redis appends to the last node of its rax — is kept outside the map so
//! an append touches no tree at all. When the tail goes away (XDEL of its last live
//! entry, trimming) the greatest closed node becomes the tail again.
//!
//! Keys and entries are normally in the same order, but not always: once XSETID has moved
//! the last ID below the tombstones of a node that lost all its live entries (see
//! [`crate::log::node`]), new entries can be smaller than that node's key, and a node created
//! for them gets a key below the tail's. Seeks therefore follow Redis's iterator: start
//! at the node with the greatest key ≤ the bound, or at the first (last) node when there
//! is none, and decide on entries, not keys, when to stop.
//!
//! Why a B-tree and not a radix tree: nodes hold ~100 entries, so the index sees one
//! operation per hundred appends; what matters is memory per node, predecessor seeks and
//! head removal. Measured with `tools/tree-choice` (96-byte values, node keys of a
//! high-rate stream, 10³–10⁶ keys, on this project's 2-core VM): `blart` 0.6 (an
//! adaptive radix tree) uses ~30% less index memory (145 vs 210 B per node, i.e. 1.5 vs
//! 2.1 B per entry) and reads the last key faster, but appends are a tie, seeks are
//! within ±25% either way, and `pop_first` (trimming) is 2× slower (200–330 vs ~100 ns);
//! it also brings ~25k lines of `unsafe` code, an unmaintained dependency, and `u128`
//! keys that silently sort little-endian. std's B-tree with `u128` keys (15–35% faster
//! than `[u8; 16]` keys) wins on the operations streams do; the tail lookup blart is
//! fast at is avoided altogether by keeping the tail node outside the map.
//!
//! Redis reports the number of rax nodes (`radix-tree-nodes`), which depends only on the
//! set of keys; [`NodeTree::rax_nodes`] computes it from the keys (reference §1.6).

use alloc::collections::BTreeMap;

use crate::entry::FieldValues;
use crate::id::StreamId;
use crate::log::node::{Node, NodeLimits};

/// The nodes of one stream, in ID order.
#[derive(Clone, Debug, Default)]
pub struct NodeTree {
    closed: BTreeMap<u128, Node>,
    tail: Option<Node>,
    /// Sum of the nodes' buffer capacities, kept current by every mutation.
    buf_bytes: usize,
    /// The number the next node gets ([`Node::serial`]).
    next_serial: u64,
}

impl NodeTree {
    /// Number of nodes (Redis's `radix-tree-keys`).
    pub fn len(&self) -> usize {
        self.closed.len() + usize::from(self.tail.is_some())
    }

    /// Appends an entry with an ID above every live entry: to the tail node if Redis
    /// would (see [`Node::accepts`]), else to a new node. `total` is the byte length of
    /// all fields and values.
    pub fn append<F: FieldValues + ?Sized>(
        &mut self,
        id: StreamId,
        fields: &F,
        total: u64,
        limits: &NodeLimits,
    ) {
        match &mut self.tail {
            Some(tail) if tail.accepts(total, limits) => {
                let before = tail.heap_bytes();
                tail.append(id, fields, total, limits);
                self.buf_bytes = self.buf_bytes + tail.heap_bytes() - before;
            }
            _ => self.push(Node::new(id, fields)),
        }
    }

    /// Adds a new node. Normally its key is the greatest and it becomes the tail (the
    /// previous tail is sealed into the map); a node keyed below the tail (see the module
    /// docs) is sealed into the map at once, and the tail stays the tail, as in Redis.
    fn push(&mut self, mut node: Node) {
        self.next_serial += 1;
        node.set_serial(self.next_serial);
        if matches!(&self.tail, Some(t) if node.master() < t.master()) {
            node.seal();
            self.buf_bytes += node.heap_bytes();
            self.closed.insert(node.master().to_u128(), node);
            return;
        }
        self.buf_bytes += node.heap_bytes();
        if let Some(mut old) = self.tail.replace(node) {
            let before = old.heap_bytes();
            old.seal();
            self.buf_bytes = self.buf_bytes + old.heap_bytes() - before;
            self.closed.insert(old.master().to_u128(), old);
        }
    }

    /// All nodes in ID order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Node> + '_ {
        self.closed.values().chain(self.tail.iter())
    }

    /// Where a forward scan from `id` starts, as Redis's stream iterator seeks: the node
    /// with the greatest key ≤ `id`, or the first node when there is none; then every
    /// later node, in key order.
    pub fn iter_from(&self, id: StreamId) -> impl Iterator<Item = &Node> + '_ {
        let in_tail = matches!(&self.tail, Some(t) if t.master() <= id);
        let closed = if in_tail {
            None
        } else {
            let from = self
                .closed
                .range(..=id.to_u128())
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(0);
            Some(self.closed.range(from..).map(|(_, n)| n))
        };
        closed.into_iter().flatten().chain(self.tail.iter())
    }

    /// Where a backward scan from `id` starts: the node with the greatest key ≤ `id`, or
    /// the last node when there is none; then every earlier node, in descending key order.
    pub fn iter_back_from(&self, id: StreamId) -> impl Iterator<Item = &Node> + '_ {
        let k = id.to_u128();
        let any_at_or_below = matches!(&self.tail, Some(t) if t.master() <= id)
            || self.closed.range(..=k).next_back().is_some();
        let bound = if any_at_or_below { k } else { u128::MAX };
        let tail = self
            .tail
            .iter()
            .filter(move |t| t.master().to_u128() <= bound);
        let closed = self.closed.range(..=bound).rev().map(|(_, n)| n);
        tail.chain(closed)
    }

    /// The node keyed `master`, mutably.
    pub fn get_mut(&mut self, master: StreamId) -> Option<&mut Node> {
        match &mut self.tail {
            Some(t) if t.master() == master => Some(t),
            _ => self.closed.get_mut(&master.to_u128()),
        }
    }

    /// The first node whose master ID is > `after` (or the first node when `after` is
    /// `None`), mutably.
    pub fn next_mut(&mut self, after: Option<StreamId>) -> Option<&mut Node> {
        let in_closed = match after {
            None => self.closed.values_mut().next(),
            Some(a) => match a.to_u128().checked_add(1) {
                Some(k) => self.closed.range_mut(k..).next().map(|(_, n)| n),
                None => None,
            },
        };
        match in_closed {
            Some(n) => Some(n),
            None => match &mut self.tail {
                Some(t) if after.is_none_or(|a| t.master() > a) => Some(t),
                _ => None,
            },
        }
    }

    /// Removes the node with master ID `master`. If it was the tail, the greatest closed
    /// node becomes the tail.
    pub fn remove(&mut self, master: StreamId) -> Option<Node> {
        let removed = if matches!(&self.tail, Some(t) if t.master() == master) {
            let removed = self.tail.take();
            self.tail = self.closed.pop_last().map(|(_, n)| n);
            removed
        } else {
            self.closed.remove(&master.to_u128())
        };
        if let Some(n) = &removed {
            self.buf_bytes -= n.heap_bytes();
        }
        removed
    }

    /// Bytes of node buffer capacity (what the engine's byte cap counts).
    pub fn heap_bytes_of_nodes(&self) -> usize {
        self.buf_bytes
    }

    /// Heap bytes held by the index and its nodes: node buffers plus the B-tree's own
    /// nodes (estimated from std's layout: leaves of up to 11 key/value pairs).
    pub fn heap_bytes(&self) -> usize {
        let per_slot = core::mem::size_of::<u128>() + core::mem::size_of::<Node>();
        // std's B-tree keeps leaves between half and fully occupied; appends in order
        // leave them about 6/11 full. Count the leaf storage for that fill plus the
        // internal nodes (one per ~6 leaves, each holding 12 child pointers).
        let slots = self.closed.len() * 11 / 6;
        let leaves = slots * per_slot + (slots / 11) * 16;
        let internal = (self.closed.len() / 36 + usize::from(!self.closed.is_empty()))
            * (11 * per_slot + 12 * core::mem::size_of::<usize>());
        self.buf_bytes + leaves + internal
    }

    /// Redis's `radix-tree-nodes` for the current set of node keys: the root, every key,
    /// every branching position of the 16-byte key trie and every child of a branching
    /// position (reference §1.6).
    ///
    /// One pass over the keys in order, O(nodes), no allocation beyond a 16-slot stack:
    /// for the greatest key `a` so far it keeps `spine`, the distinct lengths of the
    /// common prefix of `a` with every smaller key. Adding the next key `k` with
    /// `l = lcp(a, k)` creates `k`, the child of the branch at depth `l` on `k`'s side,
    /// and — unless already present — the child on `a`'s side and the branch itself.
    pub fn rax_nodes(&self) -> u64 {
        let mut keys = self.iter().map(|n| n.master().to_u128());
        let Some(mut a) = keys.next() else {
            return 1;
        };
        let mut count: u64 = 2; // the root and the first key
        let mut spine = [0u32; 16];
        let mut depth = 0usize; // spine[..depth], ascending
        for k in keys {
            let l = ((a ^ k).leading_zeros() / 8).min(15);
            let has = |d: u32| spine[..depth].contains(&d);
            count += 1; // k
            if l + 1 < 16 {
                count += 1; // k's child of the branch at l (new: no key shares it)
            }
            // a's child of the branch: a key, a branch, or a child of a branch already?
            if !(l + 1 == 16 || has(l + 1) || has(l)) {
                count += 1;
            }
            // The branch at depth l (the root when l = 0): a branch or a child already?
            if l > 0 && !(has(l) || has(l - 1)) {
                count += 1;
            }
            while depth > 0 && spine[depth - 1] >= l {
                depth -= 1;
            }
            spine[depth] = l;
            depth += 1;
            a = k;
        }
        count
    }

    /// Checks that keys equal masters, nodes are ordered and disjoint, and every node is
    /// well-formed.
    pub fn check(&self) -> Result<(), alloc::string::String> {
        use alloc::format;
        for (k, n) in &self.closed {
            if *k != n.master().to_u128() {
                return Err(format!("key {k} holds node {}", n.master()));
            }
        }
        let buf_bytes: usize = self.iter().map(Node::heap_bytes).sum();
        if buf_bytes != self.buf_bytes {
            return Err(format!(
                "buffers hold {buf_bytes} bytes, tracked {}",
                self.buf_bytes
            ));
        }
        if self.tail.is_none() && !self.closed.is_empty() {
            return Err(format!("{} closed nodes but no tail", self.closed.len()));
        }
        if let (Some(t), Some((k, _))) = (&self.tail, self.closed.iter().next_back()) {
            if t.master().to_u128() <= *k {
                return Err(format!("tail {} is not the greatest key", t.master()));
            }
        }
        for n in self.iter() {
            n.check()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_of(ids: &[(u64, u64)]) -> NodeTree {
        let mut t = NodeTree::default();
        for &(ms, seq) in ids {
            t.append(
                StreamId::new(ms, seq),
                &[("f", "v")],
                2,
                &NodeLimits {
                    max_bytes: 0,
                    max_entries: 1,
                },
            );
        }
        t
    }

    /// The reference's definition, by brute force: the set of trie positions.
    fn rax_nodes_by_definition(keys: &[u128]) -> u64 {
        let mut positions: Vec<(u32, u128)> = keys.iter().map(|&k| (16, k)).collect();
        for pair in keys.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let lcp = (a ^ b).leading_zeros() / 8;
            if lcp > 0 {
                positions.push((lcp, prefix(a, lcp)));
            }
            positions.push((lcp + 1, prefix(a, lcp + 1)));
            positions.push((lcp + 1, prefix(b, lcp + 1)));
        }
        positions.sort_unstable();
        positions.dedup();
        1 + positions.len() as u64
    }

    fn prefix(k: u128, bytes: u32) -> u128 {
        match bytes {
            0 => 0,
            16.. => k,
            b => k & (u128::MAX << (128 - 8 * b)),
        }
    }

    #[test]
    fn rax_nodes_match_the_definition() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for case in 0..400 {
            let n = 1 + (next() % 60) as usize;
            let mut keys: Vec<u128> = (0..n)
                .map(|_| {
                    // Keys that share long prefixes, as stream node keys do.
                    let ms = 1_700_000_000_000 + next() % (1 + case * 37);
                    let seq = match next() % 4 {
                        0 => 0,
                        1 => next() % 256,
                        2 => next() % 70_000,
                        _ => next(),
                    };
                    StreamId::new(ms, seq).to_u128()
                })
                .collect();
            keys.sort_unstable();
            keys.dedup();
            let mut t = NodeTree::default();
            for &k in &keys {
                t.append(
                    StreamId::from_u128(k),
                    &[("f", "v")],
                    2,
                    &NodeLimits {
                        max_bytes: 0,
                        max_entries: 1,
                    },
                );
            }
            assert_eq!(
                t.rax_nodes(),
                rax_nodes_by_definition(&keys),
                "keys {keys:x?}"
            );
        }
    }

    #[test]
    fn rax_node_counts_from_the_reference() {
        assert_eq!(tree_of(&[]).rax_nodes(), 1);
        assert_eq!(tree_of(&[(1, 1)]).rax_nodes(), 2);
        assert_eq!(
            tree_of(&[(1, 1), (1, 6), (1, 11), (1, 16), (1, 21)]).rax_nodes(),
            7
        );
        // Two keys differing in byte 8 (the seq's first byte): root, branch, two
        // children, two keys.
        assert_eq!(tree_of(&[(1, 1), (1, 1 << 63)]).rax_nodes(), 6);
    }

    #[test]
    fn navigation() {
        let mut t = tree_of(&[(1, 0), (5, 0), (9, 0)]);
        let masters = |it: &mut dyn Iterator<Item = &Node>| -> Vec<u64> {
            it.map(|n| n.master().ms).collect()
        };
        assert_eq!(masters(&mut t.iter_from(StreamId::new(6, 0))), [5, 9]);
        assert_eq!(masters(&mut t.iter_from(StreamId::new(0, 0))), [1, 5, 9]);
        assert_eq!(masters(&mut t.iter_from(StreamId::new(9, 1))), [9]);
        assert_eq!(masters(&mut t.iter_back_from(StreamId::new(6, 0))), [5, 1]);
        assert_eq!(masters(&mut t.iter_back_from(StreamId::MAX)), [9, 5, 1]);
        assert_eq!(
            t.next_mut(Some(StreamId::new(1, 0))).map(|n| n.master().ms),
            Some(5)
        );
        assert_eq!(
            t.next_mut(Some(StreamId::new(5, 0))).map(|n| n.master().ms),
            Some(9)
        );
        assert!(t.next_mut(Some(StreamId::new(9, 0))).is_none());
        assert!(t.remove(StreamId::new(9, 0)).is_some());
        assert_eq!(t.iter().next_back().map(|n| n.master().ms), Some(5));
        assert_eq!(t.len(), 2);
        t.check().expect("well-formed");
    }
}
