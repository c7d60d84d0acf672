//! A small, stable, dependency-free 128-bit hash for cache-key identities.
//!
//! Not cryptographic: keys only need to be equal when their inputs are equal and, with
//! overwhelming probability, different otherwise, identically on native and wasm32.

/// Opaque identity of a cache key, a layer's content, or a file's content.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(pub u128);

impl Id {
    /// Short hex form for display (`3f2a9c1b`).
    pub fn short(self) -> String {
        format!("{:08x}", (self.0 >> 96) as u32)
    }
}

/// A word-at-a-time multiply-rotate hash over two independent 64-bit lanes, with
/// length-prefixed fields so that `("ab","c")` and `("a","bc")` differ.
#[derive(Clone, Debug)]
pub struct KeyHasher {
    a: u64,
    b: u64,
}

const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;

impl Default for KeyHasher {
    fn default() -> Self {
        KeyHasher {
            a: 0xcbf2_9ce4_8422_2325,
            b: 0x8422_2325_cbf2_9ce4,
        }
    }
}

/// One word into the two lanes (shared by the runtime and the `const` path).
#[inline]
const fn mix(a: u64, b: u64, w: u64) -> (u64, u64) {
    let a = (a ^ w).wrapping_mul(K1).rotate_left(29);
    let b = (b ^ w.rotate_left(32)).wrapping_mul(K2).rotate_left(31) ^ a;
    (a, b)
}

impl KeyHasher {
    /// A hasher that has read `domain` (as [`KeyHasher::str`] reads it). A `const fn`, so
    /// that hot paths can hash their fixed domain at compile time:
    /// `const H: KeyHasher = KeyHasher::new("step-inputs");`.
    pub const fn new(domain: &str) -> Self {
        let d = domain.as_bytes();
        let (mut a, mut b) = (0xcbf2_9ce4_8422_2325, 0x8422_2325_cbf2_9ce4);
        (a, b) = mix(a, b, d.len() as u64);
        let mut i = 0;
        while i + 8 <= d.len() {
            let mut w = 0u64;
            let mut k = 0;
            while k < 8 {
                w |= (d[i + k] as u64) << (8 * k);
                k += 1;
            }
            (a, b) = mix(a, b, w);
            i += 8;
        }
        if i < d.len() {
            let mut w = 0u64;
            let mut k = 0;
            while i + k < d.len() {
                w |= (d[i + k] as u64) << (8 * k);
                k += 1;
            }
            (a, b) = mix(a, b, w ^ 0xff);
        }
        KeyHasher { a, b }
    }

    #[inline]
    fn word(&mut self, w: u64) {
        (self.a, self.b) = mix(self.a, self.b, w);
    }

    pub fn bytes(&mut self, data: &[u8]) -> &mut Self {
        self.word(data.len() as u64);
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // Little-endian, byte by byte: a `copy_from_slice` of 1–7 bytes is a `memcpy` call.
            let mut w = 0u64;
            for (i, &b) in rest.iter().enumerate() {
                w |= (b as u64) << (8 * i);
            }
            self.word(w ^ 0xff);
        }
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    pub fn u64(&mut self, x: u64) -> &mut Self {
        self.word(x);
        self
    }

    pub fn id(&mut self, id: Id) -> &mut Self {
        self.word(id.0 as u64);
        self.word((id.0 >> 64) as u64);
        self
    }

    pub fn finish(&self) -> Id {
        // Final avalanche so that similar inputs spread over all bits.
        let mix = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Id(((mix(self.a) as u128) << 64) | mix(self.b ^ self.a.rotate_left(17)) as u128)
    }
}

/// FxHash's word mixing, for the engine's in-memory maps: a key of a few short strings or
/// an [`Id`] hashes in tens of instructions instead of SipHash's hundreds (the keys are
/// ours, not an attacker's). Not stable across versions; never persisted.
#[derive(Clone, Copy, Default)]
pub struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let mut w = 0u64;
        for (i, &b) in chunks.remainder().iter().enumerate() {
            w |= (b as u64) << (8 * i);
        }
        self.add(w);
    }
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
/// A `HashSet` with [`FxHasher`].
pub type FxHashSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<FxHasher>>;

/// Hash of a single string in a domain.
pub fn id_of(domain: &str, s: &str) -> Id {
    KeyHasher::new(domain).str(s).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn const_domain_is_the_runtime_hash() {
        let text = "step-inputs and more text, \u{e9}";
        for end in (0..=text.len()).filter(|&e| text.is_char_boundary(e)) {
            let d = &text[..end];
            let mut rt = KeyHasher::default();
            rt.str(d);
            assert_eq!(KeyHasher::new(d).finish(), rt.finish(), "{d:?}");
            assert_eq!(
                KeyHasher::new(d).str("x").finish(),
                rt.str("x").finish(),
                "{d:?}"
            );
        }
        const H: KeyHasher = KeyHasher::new("step-inputs");
        assert_eq!(H.finish(), KeyHasher::default().str("step-inputs").finish());
    }

    #[test]
    fn fields_are_length_prefixed() {
        let x = KeyHasher::new("t").str("ab").str("c").finish();
        let y = KeyHasher::new("t").str("a").str("bc").finish();
        assert_ne!(x, y);
    }

    #[test]
    fn domain_separates() {
        assert_ne!(id_of("a", "x"), id_of("b", "x"));
        assert_eq!(id_of("a", "x"), id_of("a", "x"));
    }
}
