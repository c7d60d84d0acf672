//! Sorting for the wasm bundle's sake.
//!
//! Every call of `slice::sort*` with a new element type or comparator instantiates the
//! standard library's sort again: 2–4 KB of wasm each after wasm-opt, a dozen of them in
//! the playground. In wasm the functions here sort a vector of indices with one shared
//! instance (the comparator behind `&dyn Fn`) and then move the elements into place, so
//! each call site costs only that small permutation loop. Natively (the CLI, benchmarks,
//! tests) they call the standard sort directly: there speed matters, not size. Both give
//! the same order: [`sort_by`] is stable everywhere, and the `unstable` variants are only
//! used where equal elements are indistinguishable.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`.
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    {
        shared::sort_by(v, &cmp)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        v.sort_by(cmp)
    }
}

/// Sorts `v` stably by a key.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)))
}

/// Sorts `v` in ascending order (equal elements must be interchangeable).
pub fn sort_unstable<T: Ord>(v: &mut [T]) {
    #[cfg(target_arch = "wasm32")]
    {
        shared::sort_by(v, &T::cmp)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        v.sort_unstable()
    }
}

/// Sorts `v` by `cmp` (equal elements must be interchangeable).
pub fn sort_unstable_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    {
        shared::sort_by(v, &cmp)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        v.sort_unstable_by(cmp)
    }
}

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod shared {
    use std::cmp::Ordering;

    /// Stable: sorts indices (one sort instance for the whole program), then permutes.
    pub fn sort_by<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
        if v.windows(2).all(|w| cmp(&w[0], &w[1]) != Ordering::Greater) {
            return;
        }
        let mut order = sorted_order(v.len(), &|a, b| cmp(&v[a], &v[b]));
        permute(v, &mut order);
    }

    /// The stable sorting permutation: `order[i]` is the index of the element that belongs
    /// at position `i`.
    #[inline(never)]
    pub fn sorted_order(len: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
        let mut order: Vec<usize> = (0..len).collect();
        order.sort_by(|&a, &b| cmp(a, b));
        order
    }

    /// Moves `v[order[i]]` to position `i` for every `i`, in place, cycle by cycle
    /// (`order` is consumed: entries are marked done).
    pub fn permute<T>(v: &mut [T], order: &mut [usize]) {
        const DONE: usize = usize::MAX;
        for i in 0..order.len() {
            if order[i] == DONE {
                continue;
            }
            let mut j = i;
            loop {
                let src = order[j];
                order[j] = DONE;
                if src == i {
                    break;
                }
                v.swap(j, src);
                j = src;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shared;
    use std::cmp::Ordering;

    /// A tiny deterministic generator (no dependency, no clock).
    fn numbers(seed: u64, n: usize, modulo: u64) -> Vec<u64> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x % modulo
            })
            .collect()
    }

    #[test]
    fn the_shared_sort_orders_like_the_standard_stable_sort() {
        for (seed, n, modulo) in [(1, 0, 5), (2, 1, 5), (3, 2, 2), (4, 50, 7), (5, 1000, 30)] {
            // Pairs (key, original position): stability is visible in the positions.
            let v: Vec<(u64, usize)> = numbers(seed, n, modulo)
                .into_iter()
                .enumerate()
                .map(|(i, k)| (k, i))
                .collect();
            let cmp = |a: &(u64, usize), b: &(u64, usize)| a.0.cmp(&b.0);
            let mut ours = v.clone();
            shared::sort_by(&mut ours, &cmp);
            let mut std = v.clone();
            std.sort_by(cmp);
            assert_eq!(ours, std, "seed {seed}, {n} elements");
        }
    }

    #[test]
    fn permute_moves_every_element_to_its_place() {
        let mut v = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        // Two cycles (0 2 4) and (1 5), and a fixed point 3.
        let mut order = vec![2, 5, 4, 3, 0, 1];
        shared::permute(&mut v, &mut order);
        assert_eq!(v, ['c', 'f', 'e', 'd', 'a', 'b']);
    }

    #[test]
    fn sorted_input_is_left_alone_and_reversed_input_is_sorted() {
        let mut v: Vec<u32> = (0..100).collect();
        shared::sort_by(&mut v, &u32::cmp);
        assert!(v.windows(2).all(|w| w[0] < w[1]));
        v.reverse();
        shared::sort_by(&mut v, &|a: &u32, b: &u32| a.cmp(b));
        assert!(v.windows(2).all(|w| w[0].cmp(&w[1]) == Ordering::Less));
    }
}
