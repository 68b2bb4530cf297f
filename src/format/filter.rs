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
/// Largest bit array the format allows (1 GiB, about 150 million entries at
/// 1e-12). Clients accept less by default (see
/// [`crate::published::DEFAULT_MAX_SNAPSHOT_LEN`]).
pub const MAX_FILTER_BYTES: u64 = 1 << 30;
/// Most hash functions a client accepts.
pub const MAX_HASHES: u32 = 64;
/// Filters are sized for at least this many entries: with very few entries the
/// fill of a minimal filter varies too much for the client's over-fill check.
pub const MIN_SIZING_ENTRIES: u64 = 1000;
/// Smallest and largest false-positive rate a publisher may declare (the rate
/// the filter was sized for). The client never trusts it: see [`MaxFpRate`].
pub const FP_RATE_RANGE: (f64, f64) = (1e-15, 0.01);
/// The rate publishers size filters for by default: at 10^6 numbers checked,
/// about one false match in a million runs, so a match is exact in practice.
pub const DEFAULT_FP_RATE: f64 = 1e-12;
/// Domain of the filter seed's derivation from the salt (FORMAT.md section 4).
pub const SEED_DOMAIN: &str = "hushlist v2 filter seed";

/// The filter seed of a snapshot: `BLAKE3-derive-key(SEED_DOMAIN, salt)`.
///
/// A seed the publisher could draw freely would let it grind seeds until a
/// chosen number becomes a false positive of an otherwise honest filter, at the
/// cost of cheap re-insertions. Derived from the salt, each attempt needs a new
/// salt, hence every number key of the list again: one full slow-hash rebuild.
pub fn seed_from_salt(salt: &[u8; KEY_LEN]) -> [u8; 32] {
    blake3::derive_key(SEED_DOMAIN, salt)
}

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
    /// No memory for the filter: refused instead of aborting.
    #[error("no memory for a filter of {0} bytes")]
    OutOfMemory(u64),
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

    /// Adds a filter item (see [`item`]).
    pub fn insert_item(&mut self, item: u64) {
        self.bloom.set(&item);
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
        check_section(section)?;
        let mut owned = Vec::new();
        owned
            .try_reserve_exact(section.len())
            .map_err(|_| FilterError::OutOfMemory(section.len() as u64))?;
        owned.extend_from_slice(section);
        Self::from_section_vec(owned)
    }

    /// Parses a filter section it takes ownership of, so that the largest
    /// filter is held in memory once, not twice.
    pub fn from_section_vec(section: Vec<u8>) -> Result<Self, FilterError> {
        let declared = check_section(&section)?;
        let bloom = Bloom::from_bytes(section).map_err(|_| FilterError::BadSize(declared))?;
        Ok(Filter { bloom })
    }

    /// The bit positions an item sets, derived as FORMAT.md describes; used by
    /// the test vectors so that a crate upgrade that changes bits fails CI.
    pub fn bit_positions(&self, key: &[u8; KEY_LEN]) -> Vec<u64> {
        bit_positions(&self.seed(), self.bits(), self.hashes(), item(key))
    }
}

/// The largest false-positive rate a client accepts, as an exact fraction
/// `num / den`, judged from the bits actually set (FORMAT.md section 4,
/// "Over-fill check"). Default 1e-4; never above 1e-2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxFpRate {
    num: u64,
    den: u64,
}

impl Default for MaxFpRate {
    fn default() -> Self {
        MaxFpRate {
            num: 1,
            den: 10_000,
        }
    }
}

impl std::fmt::Display for MaxFpRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:e}", self.num as f64 / self.den as f64)
    }
}

impl std::str::FromStr for MaxFpRate {
    type Err = String;

    /// Reads a decimal rate exactly (`0.0001`, `1e-4`, `2.5e-3`): never through
    /// a binary float, so every reader compares against the same fraction.
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a rate like 1e-4 or 0.0001");
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().map_err(|_| bad())?),
            None => (text, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
            || int.len() + frac.len() > 18
        {
            return Err(bad());
        }
        let mut num: u64 = format!("{int}{frac}").parse().map_err(|_| bad())?;
        let scale = exponent - frac.len() as i32;
        let mut den: u64 = 1;
        if scale >= 0 {
            for _ in 0..scale {
                num = num.checked_mul(10).ok_or_else(bad)?;
            }
        } else {
            for _ in 0..-scale {
                den = den.checked_mul(10).ok_or_else(bad)?;
            }
        }
        MaxFpRate::new(num, den)
    }
}

impl MaxFpRate {
    /// The hard ceiling: a client never accepts a filter that flags more than
    /// one number in a hundred, whatever it is configured to accept.
    pub const CEILING: MaxFpRate = MaxFpRate { num: 1, den: 100 };

    /// `num / den`, refused when zero or above [`MaxFpRate::CEILING`].
    pub fn new(num: u64, den: u64) -> Result<Self, String> {
        if num == 0 || den == 0 {
            return Err("the maximum false-positive rate must be above 0".into());
        }
        if u128::from(num) * 100 > u128::from(den) {
            return Err(format!(
                "the maximum false-positive rate {} is above the ceiling of 1e-2",
                num as f64 / den as f64
            ));
        }
        Ok(MaxFpRate { num, den })
    }

    /// The fraction `(num, den)`.
    pub fn fraction(&self) -> (u64, u64) {
        (self.num, self.den)
    }

    /// Whether a filter of `bits` bits, `ones` of them set, with `hashes` hash
    /// functions, flags more numbers than this rate allows:
    /// `ones^k * den > num * bits^k`, in exact integers.
    pub fn exceeded_by(&self, ones: u64, bits: u64, hashes: u32) -> bool {
        let mut lhs = Big::from(self.den);
        let mut rhs = Big::from(self.num);
        for _ in 0..hashes {
            lhs.mul(ones);
            rhs.mul(bits);
        }
        lhs.cmp(&rhs) == std::cmp::Ordering::Greater
    }
}

/// Whether `entries` distinct numbers can have set exactly `ones` bits with
/// `hashes` hash functions: at most `entries * k`, and at least half of that
/// (an honest filter, sized for at least its entries, sets about 72% of
/// `entries * k`; fewer means the declared count is not the filter's).
pub fn entries_consistent(entries: u64, ones: u64, hashes: u32) -> bool {
    let most = u128::from(entries) * u128::from(hashes);
    let ones = u128::from(ones);
    ones <= most && 2 * ones >= most
}

/// A non-negative integer as little-endian 64-bit limbs: only what the exact
/// over-fill comparison needs (at most 64 factors of at most 2^33).
#[derive(Debug)]
struct Big(Vec<u64>);

impl From<u64> for Big {
    fn from(v: u64) -> Self {
        Big(vec![v])
    }
}

impl Big {
    fn mul(&mut self, factor: u64) {
        let mut carry = 0u128;
        for limb in self.0.iter_mut() {
            let product = u128::from(*limb) * u128::from(factor) + carry;
            *limb = product as u64;
            carry = product >> 64;
        }
        if carry != 0 {
            self.0.push(carry as u64);
        }
    }

    fn significant(&self) -> &[u64] {
        let len = self.0.iter().rposition(|&l| l != 0).map_or(0, |i| i + 1);
        &self.0[..len]
    }

    fn cmp(&self, other: &Big) -> std::cmp::Ordering {
        let (a, b) = (self.significant(), other.significant());
        a.len()
            .cmp(&b.len())
            .then_with(|| a.iter().rev().cmp(b.iter().rev()))
    }
}

/// Checks a filter section's header fields (FORMAT.md section 4, "Filter
/// section") and returns the declared length of the bit array.
fn check_section(section: &[u8]) -> Result<u64, FilterError> {
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
    Ok(declared)
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
    fn estimated_rate_tracks_fill_and_an_honest_filter_is_consistent() {
        let mut f = Filter::new(2000, 1e-6, &seed(2)).unwrap();
        for n in 0..2000u32 {
            f.insert(blake3::hash(&n.to_le_bytes()).as_bytes());
        }
        let est = f.estimated_fp_rate();
        assert!(est < 1e-5 && est > 1e-7, "{est}");
        assert!(entries_consistent(2000, f.ones(), f.hashes()));
        assert!(
            !entries_consistent(1000, f.ones(), f.hashes()),
            "too many bits"
        );
        assert!(
            !entries_consistent(1 << 40, f.ones(), f.hashes()),
            "too few bits"
        );
        assert!(!MaxFpRate::default().exceeded_by(f.ones(), f.bits(), f.hashes()));
    }

    #[test]
    fn the_over_fill_boundary_is_exact() {
        let max = MaxFpRate::default();
        // (1/10000)^1 is exactly the limit: accepted; one more bit: refused.
        assert!(!max.exceeded_by(1, 10_000, 1));
        assert!(max.exceeded_by(2, 10_000, 1));
        // (100/1000)^4 = 1e-4 exactly; binary floating point says 1.0000000000000005e-4.
        assert!((100f64 / 1000.0).powi(4) > 1e-4);
        assert!(!max.exceeded_by(100, 1000, 4));
        assert!(max.exceeded_by(101, 1000, 4));
        // Large: 2^33 bits, k = 64, half set: 2^-64, far below.
        assert!(!max.exceeded_by(1 << 32, 1 << 33, 64));
        // Every bit set is refused at any allowed maximum.
        assert!(MaxFpRate::CEILING.exceeded_by(1 << 33, 1 << 33, 1));
    }

    #[test]
    fn maximum_rates_parse_exactly_and_respect_the_ceiling() {
        let parse = |t: &str| t.parse::<MaxFpRate>().map(|r| r.fraction());
        assert_eq!(parse("1e-4"), Ok((1, 10_000)));
        assert_eq!(parse("0.0001"), Ok((1, 10_000)));
        assert_eq!(parse("2.5e-3"), Ok((25, 10_000)));
        assert_eq!(parse("1e-2"), Ok((1, 100)));
        for bad in ["0.02", "1", "0", "", "e-4", "1e", "-1e-4", "0x1", "1e-30"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(MaxFpRate::default().to_string(), "1e-4");
    }

    #[test]
    fn the_seed_derives_from_the_salt() {
        let a = seed_from_salt(&[1; 32]);
        assert_eq!(a, blake3::derive_key("hushlist v2 filter seed", &[1; 32]));
        assert_ne!(a, seed_from_salt(&[2; 32]));
    }

    #[test]
    fn an_owned_section_is_not_copied() {
        let f = Filter::new(10, 1e-3, &seed(1)).unwrap();
        let section = f.as_section().to_vec();
        let at = section.as_ptr();
        let back = Filter::from_section_vec(section).unwrap();
        assert_eq!(back.as_section().as_ptr(), at);
    }

    #[test]
    fn bad_fp_rates_are_refused() {
        for rate in [0.0, 0.5, f64::NAN, 1e-16] {
            assert!(Filter::new(10, rate, &seed(0)).is_err(), "{rate}");
        }
        assert_eq!(
            Filter::new(10, 1e-6, &[3; 32]).unwrap_err(),
            FilterError::DegenerateSeed
        );
    }
}
