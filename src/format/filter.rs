//! The Bloom filter of number keys, with bits that are the same on every platform.
//!
//! The `bloomfilter` crate hashes items through Rust's `Hash` trait. A slice
//! hashes its `usize` length too, which differs between 32- and 64-bit targets,
//! so the item is always a fixed-width `u64`: the first 8 bytes of the number key,
//! little-endian. FORMAT.md spells out the exact bit derivation and
//! `fixtures/vectors.json` pins it.

use crate::format::number_key::KEY_LEN;
use bloomfilter::Bloom;

/// Layout version of the crate's serialized filter (its first byte).
pub const SECTION_VERSION: u8 = 1;
/// Bytes before the bit array in the crate's layout: version, length, k, seed.
pub const SECTION_HEADER_LEN: usize = 1 + 8 + 4 + 32;
/// Largest bit array a client accepts (1 GiB, about 300 million entries at 1e-6).
pub const MAX_FILTER_BYTES: u64 = 1 << 30;
/// Most hash functions a client accepts.
pub const MAX_HASHES: u32 = 64;
/// Filters are sized for at least this many entries: with very few entries the
/// fill of a minimal filter varies too much for the client's over-fill check.
pub const MIN_SIZING_ENTRIES: u64 = 1000;
/// Smallest and largest false-positive rate a publisher may declare. The upper
/// bound times [`FP_TOLERANCE`] stays well below 1, so a filter with every bit
/// set (estimated rate 1) is always refused.
pub const FP_RATE_RANGE: (f64, f64) = (1e-12, 0.01);
/// A client refuses a filter whose estimated false-positive rate exceeds the
/// declared rate by more than this factor (see FORMAT.md, "Over-fill check").
pub const FP_TOLERANCE: f64 = 10.0;

/// The filter item for a number key: its first 8 bytes as a little-endian `u64`.
pub fn item(key: &[u8; KEY_LEN]) -> u64 {
    u64::from_le_bytes(key[..8].try_into().expect("8 bytes"))
}

/// A Bloom filter of number keys.
#[derive(Clone)]
pub struct Filter {
    bloom: Bloom<u64>,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Filter {{ bits: {}, hashes: {} }}",
            self.bits(),
            self.hashes()
        )
    }
}

/// Why a filter section is unacceptable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The section is shorter than its own header.
    #[error("filter section of {0} bytes is shorter than its {SECTION_HEADER_LEN}-byte header")]
    TooShort(usize),
    /// The crate's layout version is not 1.
    #[error("filter section version {0} is not supported (expected 1)")]
    UnknownVersion(u8),
    /// The bit array's declared length does not match the bytes present.
    #[error("filter declares {declared} bytes of bits but {actual} are present")]
    LengthMismatch {
        /// Length from the section header.
        declared: u64,
        /// Bytes actually present.
        actual: u64,
    },
    /// Empty or larger than [`MAX_FILTER_BYTES`].
    #[error("filter of {0} bytes is outside 1..={MAX_FILTER_BYTES}")]
    BadSize(u64),
    /// Zero or more than [`MAX_HASHES`] hash functions.
    #[error("filter uses {0} hash functions, outside 1..={MAX_HASHES}")]
    BadHashCount(u32),
    /// The two SipHash keys are equal, which collapses the double hashing
    /// (every item's bits derive from one 64-bit hash; measured: 1e-2 instead of 1e-4).
    #[error("filter seed halves are equal (degenerate hashing)")]
    DegenerateSeed,
    /// A false-positive rate outside [`FP_RATE_RANGE`] (or not a number).
    #[error("false-positive rate {0} is outside {min}..={max}", min = FP_RATE_RANGE.0, max = FP_RATE_RANGE.1)]
    BadFpRate(f64),
}

fn check_seed(seed: &[u8; 32]) -> Result<(), FilterError> {
    if seed[..16] == seed[16..] {
        return Err(FilterError::DegenerateSeed);
    }
    Ok(())
}

/// Checks a declared false-positive rate.
pub fn validate_fp_rate(rate: f64) -> Result<(), FilterError> {
    if rate.is_finite() && rate >= FP_RATE_RANGE.0 && rate <= FP_RATE_RANGE.1 {
        Ok(())
    } else {
        Err(FilterError::BadFpRate(rate))
    }
}

impl Filter {
    /// An empty filter sized for `entries` at `fp_rate`, with the crate's
    /// sizing rule applied to `max(entries, MIN_SIZING_ENTRIES)`.
    pub fn new(entries: u64, fp_rate: f64, seed: &[u8; 32]) -> Result<Self, FilterError> {
        validate_fp_rate(fp_rate)?;
        check_seed(seed)?;
        let sizing = entries.max(MIN_SIZING_ENTRIES) as usize;
        let bytes = Bloom::<u64>::compute_bitmap_size(sizing, fp_rate);
        if bytes as u64 > MAX_FILTER_BYTES {
            return Err(FilterError::BadSize(bytes as u64));
        }
        let bloom = Bloom::new_with_seed(bytes, sizing, seed)
            .map_err(|_| FilterError::BadSize(bytes as u64))?;
        Ok(Filter { bloom })
    }

    /// Adds a number key.
    pub fn insert(&mut self, key: &[u8; KEY_LEN]) {
        self.bloom.set(&item(key));
    }

    /// Whether a number key may be in the filter (false positives possible).
    pub fn contains(&self, key: &[u8; KEY_LEN]) -> bool {
        self.bloom.check(&item(key))
    }

    /// Whether a filter item may be in the filter.
    pub fn contains_item(&self, item: u64) -> bool {
        self.bloom.check(&item)
    }

    /// Number of bits `m`.
    pub fn bits(&self) -> u64 {
        self.bloom.len()
    }

    /// Number of hash functions `k`.
    pub fn hashes(&self) -> u32 {
        self.bloom.number_of_hash_functions()
    }

    /// The SipHash seed (two 16-byte keys).
    pub fn seed(&self) -> [u8; 32] {
        self.bloom.seed()
    }

    /// Number of bits set.
    pub fn ones(&self) -> u64 {
        self.bit_array()
            .iter()
            .map(|b| u64::from(b.count_ones()))
            .sum()
    }

    /// The false-positive rate implied by the bits actually set: `(ones / m)^k`.
    pub fn estimated_fp_rate(&self) -> f64 {
        (self.ones() as f64 / self.bits() as f64).powi(self.hashes() as i32)
    }

    fn bit_array(&self) -> &[u8] {
        &self.bloom.as_slice()[SECTION_HEADER_LEN..]
    }

    /// The filter section as stored in a snapshot (the crate's own layout).
    pub fn as_section(&self) -> &[u8] {
        self.bloom.as_slice()
    }

    /// Parses a filter section, bounding every field before anything is allocated.
    pub fn from_section(section: &[u8]) -> Result<Self, FilterError> {
        if section.len() < SECTION_HEADER_LEN {
            return Err(FilterError::TooShort(section.len()));
        }
        if section[0] != SECTION_VERSION {
            return Err(FilterError::UnknownVersion(section[0]));
        }
        let declared = u64::from_le_bytes(section[1..9].try_into().expect("8 bytes"));
        let actual = (section.len() - SECTION_HEADER_LEN) as u64;
        if declared != actual {
            return Err(FilterError::LengthMismatch { declared, actual });
        }
        if declared == 0 || declared > MAX_FILTER_BYTES {
            return Err(FilterError::BadSize(declared));
        }
        let k = u32::from_le_bytes(section[9..13].try_into().expect("4 bytes"));
        if k == 0 || k > MAX_HASHES {
            return Err(FilterError::BadHashCount(k));
        }
        check_seed(section[13..45].try_into().expect("32 bytes"))?;
        let bloom = Bloom::from_slice(section).map_err(|_| FilterError::BadSize(declared))?;
        Ok(Filter { bloom })
    }

    /// The bit positions an item sets, derived as FORMAT.md describes; used by
    /// the test vectors so that a crate upgrade that changes bits fails CI.
    pub fn bit_positions(&self, key: &[u8; KEY_LEN]) -> Vec<u64> {
        bit_positions(&self.seed(), self.bits(), self.hashes(), item(key))
    }
}

/// Bit positions of `item` in a filter of `m` bits with `k` hashes and `seed`,
/// computed from FORMAT.md alone (independently of the crate).
pub fn bit_positions(seed: &[u8; 32], m: u64, k: u32, item: u64) -> Vec<u64> {
    use siphasher::sip::SipHasher13;
    use std::hash::Hasher;
    let sip = |key: &[u8]| {
        let mut h = SipHasher13::new_with_key(key.try_into().expect("16 bytes"));
        h.write(&item.to_le_bytes());
        h.finish()
    };
    let h0 = sip(&seed[..16]);
    let h1 = sip(&seed[16..]);
    (0..k)
        .map(|i| {
            let h = match i {
                0 => h0,
                1 => h1,
                _ => h0.wrapping_add(u64::from(i).wrapping_mul(h1)) % 0xFFFF_FFFF_FFFF_FFC5,
            };
            h % m
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> [u8; 32] {
        *blake3::hash(&[n]).as_bytes()
    }

    fn seed(n: u8) -> [u8; 32] {
        *blake3::hash(&[b's', n]).as_bytes()
    }

    #[test]
    fn inserted_keys_are_found_and_others_mostly_not() {
        let mut f = Filter::new(100, 1e-6, &seed(9)).unwrap();
        for n in 0..100 {
            f.insert(&key(n));
        }
        assert!((0..100).all(|n| f.contains(&key(n))));
        assert!((100..=255).all(|n| !f.contains(&key(n))));
    }

    #[test]
    fn documented_bit_derivation_matches_the_crate() {
        let mut f = Filter::new(10, 1e-6, &seed(5)).unwrap();
        let k = key(1);
        f.insert(&k);
        let positions = f.bit_positions(&k);
        assert_eq!(positions.len() as u32, f.hashes());
        let bits = f.bit_array();
        for p in &positions {
            assert!(
                bits[(p / 8) as usize] & (1 << (p % 8)) != 0,
                "bit {p} not set"
            );
        }
        let set: std::collections::BTreeSet<_> = positions.iter().collect();
        assert_eq!(f.ones(), set.len() as u64);
    }

    #[test]
    fn section_round_trips_and_rejects_bad_fields() {
        let mut f = Filter::new(10, 1e-3, &seed(1)).unwrap();
        f.insert(&key(1));
        let section = f.as_section().to_vec();
        let back = Filter::from_section(&section).unwrap();
        assert_eq!(back.as_section(), &section[..]);

        let mut bad = section.clone();
        bad[0] = 2;
        assert_eq!(
            Filter::from_section(&bad).unwrap_err(),
            FilterError::UnknownVersion(2)
        );
        let mut bad = section.clone();
        bad[9..13].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            Filter::from_section(&bad).unwrap_err(),
            FilterError::BadHashCount(0)
        );
        let mut bad = section.clone();
        bad.push(0);
        assert!(matches!(
            Filter::from_section(&bad),
            Err(FilterError::LengthMismatch { .. })
        ));
        assert!(matches!(
            Filter::from_section(&section[..10]),
            Err(FilterError::TooShort(10))
        ));
    }

    #[test]
    fn estimated_rate_tracks_fill() {
        let mut f = Filter::new(2000, 1e-6, &seed(2)).unwrap();
        for n in 0..2000u32 {
            f.insert(blake3::hash(&n.to_le_bytes()).as_bytes());
        }
        let est = f.estimated_fp_rate();
        assert!(
            est < 1e-6 * FP_TOLERANCE && est > 1e-6 / FP_TOLERANCE,
            "{est}"
        );
    }

    #[test]
    fn bad_fp_rates_are_refused() {
        for rate in [0.0, 0.5, f64::NAN, 1e-13] {
            assert!(Filter::new(10, rate, &seed(0)).is_err(), "{rate}");
        }
        assert_eq!(
            Filter::new(10, 1e-6, &[3; 32]).unwrap_err(),
            FilterError::DegenerateSeed
        );
    }
}
