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

/// FNV-1a over two independent 64-bit lanes, with length-prefixed fields so that
/// `("ab","c")` and `("a","bc")` differ.
#[derive(Clone, Debug)]
pub struct KeyHasher {
    a: u64,
    b: u64,
}

const PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for KeyHasher {
    fn default() -> Self {
        KeyHasher {
            a: 0xcbf2_9ce4_8422_2325,
            b: 0x8422_2325_cbf2_9ce4,
        }
    }
}

impl KeyHasher {
    pub fn new(domain: &str) -> Self {
        let mut h = KeyHasher::default();
        h.str(domain);
        h
    }

    fn byte(&mut self, x: u8) {
        self.a = (self.a ^ x as u64).wrapping_mul(PRIME);
        self.b = (self.b ^ (x.rotate_left(3) as u64)).wrapping_mul(PRIME.rotate_left(7) | 1);
    }

    pub fn bytes(&mut self, data: &[u8]) -> &mut Self {
        for b in (data.len() as u64).to_le_bytes() {
            self.byte(b);
        }
        for &x in data {
            self.byte(x);
        }
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    pub fn u64(&mut self, x: u64) -> &mut Self {
        self.bytes(&x.to_le_bytes())
    }

    pub fn id(&mut self, id: Id) -> &mut Self {
        self.bytes(&id.0.to_le_bytes())
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

/// Hash of a single string in a domain.
pub fn id_of(domain: &str, s: &str) -> Id {
    KeyHasher::new(domain).str(s).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

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
