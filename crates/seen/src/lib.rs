//! # ledgerline-seen
//!
//! [`SeenMap`]: what a conversion remembers of every report and journal it has met, so a
//! report that comes back later in a file (not contiguous), or a journal that a second
//! input of the run carries again, is caught. A file holds millions of reports, and a hash
//! map of them was most of a conversion's memory on large inputs (a 10 GB extract, 2
//! million reports: three maps of 64-bit keys, about 200 MB with their spare capacity and
//! the copies made while they grow). A `SeenMap` keeps its keys in one sorted vector and
//! their values in another (so a 32-bit value takes 4 bytes, not the 8 that a `(u64, u32)`
//! pair pads to, and a set's values take none), both grown exactly, and the latest entries
//! (up to a thirty-second as many) in a small hash map merged into them now and then: its
//! size is close to the entries' own (12 bytes for a key and a 32-bit value), and a lookup
//! is a short binary search, which at one lookup per report costs nothing measurable.
//!
//! ```
//! use ledgerline_seen::SeenMap;
//! let mut seen = SeenMap::new();
//! assert_eq!(seen.insert(42, 7), None);
//! assert_eq!(seen.insert(42, 8), Some(7));
//! assert_eq!(seen.get(42), Some(8));
//! assert_eq!(seen.get(43), None);
//! assert_eq!(seen.len(), 1);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Entries held in the hash map before they are merged into the sorted vector (a few in
/// the unit tests, so they merge often).
const RECENT: usize = if cfg!(test) { 64 } else { 4096 };

/// The keys are hashes already: the recent map uses them as they are.
#[derive(Debug, Clone, Copy, Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map from 64-bit keys (hashes of ids) to small values, compact in memory. See the
/// crate documentation.
///
/// Keys are expected to be hashes (uniformly spread): a directory by their top bits, one
/// entry for four to eight keys, takes a lookup straight to a handful of sorted entries
/// instead of a binary search through all of them (a cache miss per step: that made a
/// 2-million report conversion 13% slower than with hash maps). Other keys give the same
/// answers, only slower.
#[derive(Debug, Clone)]
pub struct SeenMap<V: Copy> {
    /// Sorted, each key once.
    keys: Vec<u64>,
    /// `vals[i]` is the value of `keys[i]`.
    vals: Vec<V>,
    /// `dir[b]` is the first index in `keys` whose top `bits` bits are at least
    /// `b`; `dir` has `2^bits + 1` entries (empty, with `bits` 0, for a small map).
    dir: Vec<u32>,
    bits: u32,
    /// Keys not in `keys`.
    recent: HashMap<u64, V, BuildHasherDefault<KeyHasher>>,
}

impl<V: Copy> Default for SeenMap<V> {
    fn default() -> Self {
        SeenMap::new()
    }
}

impl<V: Copy> SeenMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        SeenMap {
            keys: Vec::new(),
            vals: Vec::new(),
            dir: Vec::new(),
            bits: 0,
            recent: HashMap::default(),
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len() + self.recent.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `key`, if it was inserted.
    pub fn get(&self, key: u64) -> Option<V> {
        if let Some(v) = self.recent.get(&key) {
            return Some(*v);
        }
        self.find(key).ok().map(|i| self.vals[i])
    }

    /// Where `key` is in `keys` (`Ok`), or would go (`Err`).
    fn find(&self, key: u64) -> Result<usize, usize> {
        if self.dir.is_empty() {
            return self.keys.binary_search(&key);
        }
        let b = (key >> (64 - self.bits)) as usize;
        let (lo, hi) = (self.dir[b] as usize, self.dir[b + 1] as usize);
        self.keys[lo..hi]
            .binary_search(&key)
            .map(|i| lo + i)
            .map_err(|i| lo + i)
    }

    /// Rebuilds the directory for the sorted entries (after a merge).
    fn index(&mut self) {
        let n = self.keys.len();
        self.dir.clear();
        self.bits = 0;
        if n < 64 || u32::try_from(n).is_err() {
            return; // small (a binary search is as good), or too large for u32 indexes
        }
        // Four to eight entries per directory slot.
        let bits = (usize::BITS - 1 - n.leading_zeros())
            .saturating_sub(2)
            .max(1);
        self.bits = bits;
        let slots = 1usize << bits;
        self.dir.reserve_exact(slots + 1);
        let mut i = 0usize;
        for b in 0..slots {
            while i < n && ((self.keys[i] >> (64 - bits)) as usize) < b {
                i += 1;
            }
            self.dir.push(i as u32);
        }
        self.dir.push(n as u32);
    }

    /// Whether `key` was inserted.
    pub fn contains(&self, key: u64) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`; returns the value it had, if any.
    pub fn insert(&mut self, key: u64, value: V) -> Option<V> {
        if let Ok(i) = self.find(key) {
            return Some(std::mem::replace(&mut self.vals[i], value));
        }
        let old = self.recent.insert(key, value);
        // Merged when the recent keys reach a thirty-second of the sorted ones (at least
        // `RECENT`): each merge moves the whole vector, so a fixed batch would make
        // inserting n keys cost n² / RECENT moves; this way it is about 33 n (a few
        // hundred MB moved for 2 million keys, a fraction of a second), and the hash
        // map, which keeps its capacity between merges, stays small.
        if self.recent.len() >= RECENT.max(self.keys.len() / 32) {
            self.merge();
        }
        old
    }

    /// Moves the recent keys into the sorted vectors: grown by exactly their number, and
    /// merged from the back, so no second copy of them is ever made.
    fn merge(&mut self) {
        let mut batch: Vec<(u64, V)> = self.recent.drain().collect();
        batch.sort_unstable_by_key(|e| e.0);
        let Some(&(fill_key, fill_val)) = batch.first() else {
            return;
        };
        let n = self.keys.len();
        self.keys.reserve_exact(batch.len());
        self.vals.reserve_exact(batch.len());
        self.keys.resize(n + batch.len(), fill_key);
        self.vals.resize(n + batch.len(), fill_val);
        // Merge `[..n]` and `batch` into the vectors, largest first.
        let (mut i, mut j, mut k) = (n, batch.len(), n + batch.len());
        while j > 0 {
            k -= 1;
            if i > 0 && self.keys[i - 1] > batch[j - 1].0 {
                self.keys[k] = self.keys[i - 1];
                self.vals[k] = self.vals[i - 1];
                i -= 1;
            } else {
                (self.keys[k], self.vals[k]) = batch[j - 1];
                j -= 1;
            }
        }
        self.index();
    }
}

impl SeenMap<()> {
    /// Adds `key`; false when it was there already (a set's `insert`).
    pub fn add(&mut self, key: u64) -> bool {
        self.insert(key, ()).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same answers as a `HashMap`, across many merges.
        #[test]
        fn behaves_as_a_hash_map(ops in proptest::collection::vec((0u64..3_000, any::<u32>(), any::<bool>()), 0..4_000)) {
            let mut seen = SeenMap::new();
            let mut model = HashMap::new();
            for (k, v, lookup) in ops {
                // Keys spread over the whole range too, not only small ones.
                let key = k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                if lookup {
                    prop_assert_eq!(seen.get(key), model.get(&key).copied());
                } else {
                    prop_assert_eq!(seen.insert(key, v), model.insert(key, v));
                }
                prop_assert_eq!(seen.len(), model.len());
            }
            for (k, v) in &model {
                prop_assert_eq!(seen.get(*k), Some(*v));
            }
            prop_assert!(seen.keys.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(seen.keys.len(), seen.vals.len());
        }
    }

    #[test]
    fn a_set_says_whether_a_key_is_new() {
        let mut s = SeenMap::new();
        for k in 0..10_000u64 {
            assert!(s.add(k * 7));
        }
        for k in 0..10_000u64 {
            assert!(!s.add(k * 7));
            assert!(!s.contains(k * 7 + 1));
        }
        // Entries take their own size, not a hash table's spare capacity.
        assert!(s.keys.capacity() <= s.len());
        // Small keys (not hashes) all fall in the directory's first slot: still found.
        assert!(!s.dir.is_empty());
    }
}
