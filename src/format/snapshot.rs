//! Snapshot format v1: a fixed 155-byte header followed by the filter section.
//!
//! Every field is specified in FORMAT.md ("Snapshot file"); the offsets below
//! are the ones given there. Decoding is strict: the exact length is known from
//! the header before anything is allocated, reserved bits must be zero, and
//! trailing bytes are refused. Decoding alone proves nothing about origin:
//! verify the signature and digest first (see [`crate::verify`]).

use crate::format::filter::{self, Filter, FilterError};
use crate::format::normalize;
use crate::format::number_key::{BadKdfParams, Kdf, KEY_LEN};

/// The first 8 bytes of every snapshot.
pub const MAGIC: [u8; 8] = *b"HUSHLIST";
/// The format version this code reads and writes.
pub const VERSION: u16 = 1;
/// Header length, up to the start of the filter section.
pub const HEADER_LEN: usize = 155;
/// Width of the metadata-version field (ASCII, NUL-padded).
pub const METADATA_FIELD_LEN: usize = 16;
/// Largest entry count a client accepts.
pub const MAX_ENTRIES: u64 = 1 << 40;

const KDF_ARGON2ID: u8 = 1;
const KDF_BLAKE3: u8 = 2;

/// The signed facts about a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Header {
    /// Strictly increasing publication number, starting at 1.
    pub sequence: u64,
    /// Creation time, Unix seconds (UTC).
    pub created: i64,
    /// Expiry time, Unix seconds (UTC); clients refuse the snapshot afterwards.
    pub expires: i64,
    /// BLAKE3 digest of the previous snapshot file, zeros for the first.
    pub previous: [u8; 32],
    /// Distinct numbers inserted.
    pub entries: u64,
    /// Normalization scheme (see [`normalize::SCHEME`]).
    pub normalization: u16,
    /// libphonenumber metadata version the publisher normalized with.
    pub metadata_version: String,
    /// Key-derivation function and parameters.
    pub kdf: Kdf,
    /// The per-snapshot salt.
    pub salt: [u8; KEY_LEN],
    /// The false-positive rate the filter was sized for.
    pub fp_rate: f64,
}

/// A decoded snapshot: header and filter.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The header.
    pub header: Header,
    /// The filter.
    pub filter: Filter,
}

/// Why bytes are not a well-formed v1 snapshot.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Fewer bytes than the fixed header.
    #[error("truncated: {0} bytes is shorter than the {HEADER_LEN}-byte header")]
    TruncatedHeader(usize),
    /// Not a hushlist snapshot at all.
    #[error("not a hushlist snapshot (bad magic bytes)")]
    BadMagic,
    /// A version this build does not know.
    #[error("unknown snapshot format version {0} (this build reads version {VERSION}); upgrade hushlist")]
    UnknownVersion(u16),
    /// Reserved flag bits set.
    #[error("reserved flags {0:#06x} are set")]
    ReservedFlags(u16),
    /// Sequence 0.
    #[error("sequence number 0 is not allowed")]
    ZeroSequence,
    /// Expiry not after creation, or a time outside 1970..=9999.
    #[error("times out of order or range: created {created}, expires {expires}")]
    BadTimes {
        /// Created, Unix seconds.
        created: i64,
        /// Expires, Unix seconds.
        expires: i64,
    },
    /// Entry count above [`MAX_ENTRIES`].
    #[error("entry count {0} is above the limit")]
    TooManyEntries(u64),
    /// A normalization scheme this build does not implement.
    #[error("unknown normalization scheme {0} (this build implements scheme {scheme})", scheme = normalize::SCHEME)]
    UnknownNormalization(u16),
    /// The metadata-version field is not digits and dots, NUL-padded.
    #[error("malformed metadata version field")]
    BadMetadataVersion,
    /// An unknown hash algorithm id.
    #[error("unknown hash algorithm id {0}")]
    UnknownKdf(u8),
    /// Hash parameters out of bounds.
    #[error(transparent)]
    BadKdf(#[from] BadKdfParams),
    /// The filter section length does not match the bytes that follow.
    #[error("filter section declared as {declared} bytes but {actual} follow the header")]
    SectionLength {
        /// Declared in the header.
        declared: u64,
        /// Present after the header.
        actual: u64,
    },
    /// The filter section is malformed.
    #[error("filter: {0}")]
    Filter(#[from] FilterError),
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().expect("2 bytes"))
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}
fn array_at<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
    b[at..at + N].try_into().expect("N bytes")
}

impl Snapshot {
    /// Encodes the snapshot (header, then the filter section).
    pub fn encode(&self) -> Vec<u8> {
        let section = self.filter.as_section();
        let mut out = Vec::with_capacity(HEADER_LEN + section.len());
        out.extend_from_slice(&self.encode_header());
        out.extend_from_slice(section); // 155
        out
    }

    /// The 155-byte header.
    fn encode_header(&self) -> Vec<u8> {
        let h = &self.header;
        let section_len = self.filter.as_section().len() as u64;
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(&MAGIC); // 0
        out.extend_from_slice(&VERSION.to_le_bytes()); // 8
        out.extend_from_slice(&0u16.to_le_bytes()); // 10 flags
        out.extend_from_slice(&h.sequence.to_le_bytes()); // 12
        out.extend_from_slice(&h.created.to_le_bytes()); // 20
        out.extend_from_slice(&h.expires.to_le_bytes()); // 28
        out.extend_from_slice(&h.previous); // 36
        out.extend_from_slice(&h.entries.to_le_bytes()); // 68
        out.extend_from_slice(&h.normalization.to_le_bytes()); // 76
        let mut meta = [0u8; METADATA_FIELD_LEN]; // 78
        meta[..h.metadata_version.len()].copy_from_slice(h.metadata_version.as_bytes());
        out.extend_from_slice(&meta);
        let (id, m, t, p) = match h.kdf {
            Kdf::Argon2id { m_kib, t, p } => (KDF_ARGON2ID, m_kib, t, p),
            Kdf::Blake3 => (KDF_BLAKE3, 0, 0, 0),
        };
        out.push(id); // 94
        out.extend_from_slice(&m.to_le_bytes()); // 95
        out.extend_from_slice(&t.to_le_bytes()); // 99
        out.extend_from_slice(&p.to_le_bytes()); // 103
        out.extend_from_slice(&h.salt); // 107
        out.extend_from_slice(&h.fp_rate.to_le_bytes()); // 139
        out.extend_from_slice(&section_len.to_le_bytes()); // 147
        debug_assert_eq!(out.len(), HEADER_LEN);
        out
    }

    /// Header bytes 94..139: hash algorithm, parameters and salt (what a number's
    /// key depends on besides the number).
    pub fn encode_header_kdf_and_salt(&self) -> Vec<u8> {
        self.encode_header()[94..139].to_vec()
    }

    /// Decodes and checks every field, in file order, as FORMAT.md lists them.
    pub fn decode(bytes: &[u8]) -> Result<Self, FormatError> {
        if bytes.len() >= 8 && bytes[..8] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        if bytes.len() >= 10 && u16_at(bytes, 8) != VERSION {
            // Named before the length check: a newer version may have another header size.
            return Err(FormatError::UnknownVersion(u16_at(bytes, 8)));
        }
        if bytes.len() < HEADER_LEN {
            return Err(FormatError::TruncatedHeader(bytes.len()));
        }
        let flags = u16_at(bytes, 10);
        if flags != 0 {
            return Err(FormatError::ReservedFlags(flags));
        }
        let sequence = u64_at(bytes, 12);
        if sequence == 0 {
            return Err(FormatError::ZeroSequence);
        }
        let created = u64_at(bytes, 20) as i64;
        let expires = u64_at(bytes, 28) as i64;
        if expires <= created || created < 0 || expires > crate::format::time::MAX_TIME {
            return Err(FormatError::BadTimes { created, expires });
        }
        let entries = u64_at(bytes, 68);
        if entries > MAX_ENTRIES {
            return Err(FormatError::TooManyEntries(entries));
        }
        let normalization = u16_at(bytes, 76);
        if normalization != normalize::SCHEME {
            return Err(FormatError::UnknownNormalization(normalization));
        }
        let metadata_version = parse_metadata_field(&bytes[78..78 + METADATA_FIELD_LEN])?;
        let kdf = match bytes[94] {
            KDF_ARGON2ID => Kdf::Argon2id {
                m_kib: u32_at(bytes, 95),
                t: u32_at(bytes, 99),
                p: u32_at(bytes, 103),
            },
            KDF_BLAKE3 if bytes[95..107].iter().all(|&b| b == 0) => Kdf::Blake3,
            KDF_BLAKE3 => {
                return Err(
                    BadKdfParams("blake3 takes no parameters; they must be zero".into()).into(),
                )
            }
            other => return Err(FormatError::UnknownKdf(other)),
        };
        kdf.validate()?;
        let fp_rate = f64::from_le_bytes(array_at(bytes, 139));
        filter::validate_fp_rate(fp_rate)?;
        let declared = u64_at(bytes, 147);
        let actual = (bytes.len() - HEADER_LEN) as u64;
        if declared != actual {
            return Err(FormatError::SectionLength { declared, actual });
        }
        let filter = Filter::from_section(&bytes[HEADER_LEN..])?;
        Ok(Snapshot {
            header: Header {
                sequence,
                created,
                expires,
                previous: array_at(bytes, 36),
                entries,
                normalization,
                metadata_version,
                kdf,
                salt: array_at(bytes, 107),
                fp_rate,
            },
            filter,
        })
    }
}

/// Checks a metadata version for the header: 1 to 16 characters of digits and dots.
pub fn valid_metadata_version(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= METADATA_FIELD_LEN
        && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn parse_metadata_field(field: &[u8]) -> Result<String, FormatError> {
    let len = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let (text, padding) = field.split_at(len);
    let text = std::str::from_utf8(text).map_err(|_| FormatError::BadMetadataVersion)?;
    if !valid_metadata_version(text) || padding.iter().any(|&b| b != 0) {
        return Err(FormatError::BadMetadataVersion);
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        let mut filter = Filter::new(3, 1e-6, blake3::hash(b"seed").as_bytes()).unwrap();
        filter.insert(&[1; 32]);
        Snapshot {
            header: Header {
                sequence: 7,
                created: 1_800_000_000,
                expires: 1_900_000_000,
                previous: [0xAB; 32],
                entries: 1,
                normalization: normalize::SCHEME,
                metadata_version: "9.0.42".into(),
                kdf: Kdf::default(),
                salt: [0x11; 32],
                fp_rate: 1e-6,
            },
            filter,
        }
    }

    #[test]
    fn round_trip_is_exact() {
        let bytes = sample().encode();
        let back = Snapshot::decode(&bytes).unwrap();
        assert_eq!(back.header, sample().header);
        assert_eq!(back.encode(), bytes);
        assert_eq!(&bytes[..8], b"HUSHLIST");
        assert_eq!(bytes[94], KDF_ARGON2ID);
    }

    fn patched(at: usize, with: &[u8]) -> Result<Snapshot, FormatError> {
        let mut b = sample().encode();
        b[at..at + with.len()].copy_from_slice(with);
        Snapshot::decode(&b)
    }

    #[test]
    fn every_field_is_checked() {
        assert_eq!(patched(0, b"X").unwrap_err(), FormatError::BadMagic);
        assert_eq!(
            patched(8, &2u16.to_le_bytes()).unwrap_err(),
            FormatError::UnknownVersion(2)
        );
        assert_eq!(
            patched(10, &1u16.to_le_bytes()).unwrap_err(),
            FormatError::ReservedFlags(1)
        );
        assert_eq!(
            patched(12, &0u64.to_le_bytes()).unwrap_err(),
            FormatError::ZeroSequence
        );
        assert!(matches!(
            patched(28, &0u64.to_le_bytes()),
            Err(FormatError::BadTimes { .. })
        ));
        assert!(matches!(
            patched(68, &u64::MAX.to_le_bytes()),
            Err(FormatError::TooManyEntries(_))
        ));
        assert_eq!(
            patched(76, &9u16.to_le_bytes()).unwrap_err(),
            FormatError::UnknownNormalization(9)
        );
        assert_eq!(
            patched(78, b"9x").unwrap_err(),
            FormatError::BadMetadataVersion
        );
        assert_eq!(patched(94, &[9]).unwrap_err(), FormatError::UnknownKdf(9));
        assert!(matches!(
            patched(95, &u32::MAX.to_le_bytes()),
            Err(FormatError::BadKdf(_))
        ));
        assert!(matches!(
            patched(139, &0.9f64.to_le_bytes()),
            Err(FormatError::Filter(_))
        ));
        assert!(matches!(
            patched(147, &1u64.to_le_bytes()),
            Err(FormatError::SectionLength { .. })
        ));
    }

    #[test]
    fn truncation_and_trailing_bytes_are_refused() {
        let bytes = sample().encode();
        assert_eq!(
            Snapshot::decode(&bytes[..100]).unwrap_err(),
            FormatError::TruncatedHeader(100)
        );
        assert!(matches!(
            Snapshot::decode(&bytes[..bytes.len() - 1]),
            Err(FormatError::SectionLength { .. })
        ));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            Snapshot::decode(&longer),
            Err(FormatError::SectionLength { .. })
        ));
    }

    #[test]
    fn unknown_version_is_named_even_when_short() {
        let mut b = b"HUSHLIST".to_vec();
        b.extend_from_slice(&2u16.to_le_bytes());
        assert_eq!(
            Snapshot::decode(&b).unwrap_err(),
            FormatError::UnknownVersion(2)
        );
    }
}
