//! A tiny deterministic PRNG (SplitMix64) and stable hashing.
//!
//! Own implementation on purpose: the demo must produce byte-identical reports for a seed
//! across platforms and dependency upgrades, which a third-party generator does not promise.

/// FNV-1a over bytes, then a SplitMix64 finalizer: a stable 64-bit hash of a label.
pub(crate) fn hash64(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // separator, so ["ab", "c"] and ["a", "bc"] differ
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// SplitMix64.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// An independent stream for `seed` and a label path, so that adding draws in one stream
    /// never perturbs another (a new rule for one service leaves every other report alone).
    pub(crate) fn stream(seed: u64, labels: &[&str]) -> Rng {
        Rng(mix(seed ^ hash64(labels)))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (`0` when `n == 0`).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u32, hi: u32) -> u32 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = u32::try_from(items.len()).unwrap_or(u32::MAX);
        &items[self.below(len) as usize]
    }

    /// `n` lowercase hex digits.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(n);
        let mut word = 0u64;
        for i in 0..n {
            if i % 16 == 0 {
                word = self.next_u64();
            }
            s.push(char::from(DIGITS[(word & 0xf) as usize]));
            word >>= 4;
        }
        s
    }
}

/// `n` hex digits that depend only on the labels (stable ids, fingerprints, digests).
pub(crate) fn stable_hex(n: usize, labels: &[&str]) -> String {
    Rng::stream(0x005e_ed0f_d33d, labels).hex(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_independent() {
        let a: Vec<u64> = (0..4).map(|_| Rng::stream(7, &["x"]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::stream(7, &["x"]).next_u64(),
            Rng::stream(7, &["y"]).next_u64()
        );
        assert_ne!(hash64(&["ab", "c"]), hash64(&["a", "bc"]));
        let mut r = Rng::stream(1, &[]);
        for _ in 0..1000 {
            assert!(r.below(7) < 7);
            let v = r.range(3, 5);
            assert!((3..=5).contains(&v));
        }
        assert_eq!(stable_hex(40, &["a"]).len(), 40);
    }
}
