//! Snapshot format v2: a fixed 218-byte header, the publisher's contact, then
//! the filter section.
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
/// The format version of snapshots whose epochs are both unsealed.
pub const VERSION: u16 = 2;
/// The format version of snapshots with a sealed epoch (current or next): a
/// sealed block follows the contact.
pub const VERSION_SEALED: u16 = 3;
/// The sealed block's fixed part: two OPRF public keys and the URL's length.
pub const SEALED_FIXED_LEN: usize = 32 + 32 + 2;
/// Longest evaluation URL, in bytes.
pub const MAX_EVALUATION_URL_LEN: usize = 300;
/// Header length, up to the start of the contact section.
pub const HEADER_LEN: usize = 218;
/// Width of the metadata-version field (ASCII, NUL-padded).
pub const METADATA_FIELD_LEN: usize = 16;
/// Largest entry count a client accepts.
pub const MAX_ENTRIES: u64 = 1 << 40;
/// Largest contact section.
pub const MAX_CONTACT_LEN: usize =
    8 + CONTACT_FIELD_MAX[0] + CONTACT_FIELD_MAX[1] + CONTACT_FIELD_MAX[2] + CONTACT_FIELD_MAX[3];
/// Longest value of each contact field, in bytes: name, contact, confirmation
/// URL, confirmation text.
pub const CONTACT_FIELD_MAX: [usize; 4] = [200, 200, 300, 1000];

const KDF_ARGON2ID: u8 = 1;
const KDF_BLAKE3: u8 = 2;
const KDF_VOPRF: u8 = 3;
/// Bytes of a hash algorithm, its parameters and a salt, as stored (id, m, t, p, salt).
pub const KDF_AND_SALT_LEN: usize = 1 + 12 + KEY_LEN;

/// `https://` followed by at least one character, none of them white space
/// (Unicode White_Space) or a control character: the rule for every URL a
/// header carries.
pub fn https_url(url: &str) -> bool {
    let spaced = |c: char| c.is_whitespace() || c.is_control();
    url.strip_prefix("https://")
        .is_some_and(|r| !r.is_empty() && !r.chars().any(spaced))
}

/// Who published a snapshot and how to confirm a match with them. Empty
/// fields were not given; every field is printable text (no control
/// characters), so it is safe to show on a terminal.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// The publisher's name.
    #[serde(default)]
    pub name: String,
    /// How to reach them (e-mail address or telephone number).
    #[serde(default)]
    pub contact: String,
    /// Where the confirmation procedure is described (`https://` only).
    #[serde(default)]
    pub confirm_url: String,
    /// The confirmation procedure in a few sentences.
    #[serde(default)]
    pub confirm_text: String,
}

impl Contact {
    fn fields(&self) -> [&str; 4] {
        [
            &self.name,
            &self.contact,
            &self.confirm_url,
            &self.confirm_text,
        ]
    }

    /// Whether the publisher gave nothing.
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|f| f.is_empty())
    }

    /// Checks every field against FORMAT.md's rules (lengths, printable text,
    /// an `https://` URL).
    pub fn validate(&self) -> Result<(), String> {
        const NAMES: [&str; 4] = ["name", "contact", "confirmation URL", "confirmation text"];
        for ((value, max), name) in self.fields().iter().zip(CONTACT_FIELD_MAX).zip(NAMES) {
            if value.len() > max {
                return Err(format!(
                    "publisher {name} is {} bytes, more than {max}",
                    value.len()
                ));
            }
            if value.chars().any(char::is_control) {
                return Err(format!("publisher {name} holds a control character"));
            }
            if value.trim() != *value {
                return Err(format!("publisher {name} starts or ends with white space"));
            }
        }
        let url = &self.confirm_url;
        if !url.is_empty() && !https_url(url) {
            return Err(format!(
                "confirmation URL {url:?} must be https:// and a host, with no white space \
                 (Unicode White_Space) or control character"
            ));
        }
        Ok(())
    }

    /// The contact section: each field as a u16 length and UTF-8 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for field in self.fields() {
            out.extend_from_slice(&(field.len() as u16).to_le_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out
    }

    fn decode(section: &[u8]) -> Result<Self, FormatError> {
        let bad = |why: &str| FormatError::BadContact(why.to_string());
        let mut fields = Vec::with_capacity(4);
        let mut rest = section;
        for _ in 0..4 {
            if rest.len() < 2 {
                return Err(bad("field length cut off"));
            }
            let len = usize::from(u16_at(rest, 0));
            if rest.len() < 2 + len {
                return Err(bad("field cut off"));
            }
            let text = std::str::from_utf8(&rest[2..2 + len]).map_err(|_| bad("not UTF-8"))?;
            fields.push(text.to_string());
            rest = &rest[2 + len..];
        }
        if !rest.is_empty() {
            return Err(bad("bytes after the fourth field"));
        }
        let [name, contact, confirm_url, confirm_text]: [String; 4] =
            fields.try_into().expect("4 fields");
        let c = Contact {
            name,
            contact,
            confirm_url,
            confirm_text,
        };
        c.validate().map_err(FormatError::BadContact)?;
        Ok(c)
    }
}

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
    /// The salt of the current salt epoch (the filter seed derives from it).
    pub salt: [u8; KEY_LEN],
    /// The false-positive rate the filter was sized for (informational: clients
    /// judge the filter by its bits).
    pub fp_rate: f64,
    /// When this salt came into use, Unix seconds.
    pub epoch_start: i64,
    /// When the publisher switches to the next salt, Unix seconds.
    pub next_epoch_start: i64,
    /// The next epoch's hash function and parameters, announced ahead.
    pub next_kdf: Kdf,
    /// The next epoch's salt, announced ahead so clients can hash their
    /// numbers before the switch.
    pub next_salt: [u8; KEY_LEN],
    /// Who published it and how to confirm a match.
    pub contact: Contact,
    /// Where clients ask for evaluations when an epoch is sealed
    /// ([`Kdf::Voprf`]); empty otherwise.
    pub evaluation_url: String,
}

impl Header {
    /// Whether the current or the next epoch is sealed (format version 3).
    pub fn has_sealed_epoch(&self) -> bool {
        self.kdf.is_sealed() || self.next_kdf.is_sealed()
    }

    /// The format version this header is written in.
    pub fn version(&self) -> u16 {
        if self.has_sealed_epoch() {
            VERSION_SEALED
        } else {
            VERSION
        }
    }
}

/// A decoded snapshot: header and filter.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The header.
    pub header: Header,
    /// The filter.
    pub filter: Filter,
}

/// Why bytes are not a well-formed v2 snapshot.
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
    #[error("unknown snapshot format version {0} (this build reads versions {VERSION} and {VERSION_SEALED}); upgrade hushlist")]
    UnknownVersion(u16),
    /// An older version this build no longer reads.
    #[error(
        "snapshot format version {0} is no longer accepted (this build reads versions {VERSION} and {VERSION_SEALED}: \
         derived filter seeds, salt epochs, the publisher's contact); \
         the publisher must rebuild it with a current hushlist-publish"
    )]
    OldVersion(u16),
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
    /// A sealed epoch (hash id 3) in a version 2 header, or a version 3
    /// header with no sealed epoch: each content has one encoding.
    #[error("format version {version} with {what}")]
    SealedVersion {
        /// The version read.
        version: u16,
        /// What does not belong in it.
        what: &'static str,
    },
    /// The sealed block (OPRF public keys, evaluation URL) is malformed.
    #[error("sealed block: {0}")]
    BadSealed(String),
    /// Hash parameters out of bounds.
    #[error(transparent)]
    BadKdf(#[from] BadKdfParams),
    /// The salt epoch does not contain the creation time, or the next salt
    /// repeats the current one.
    #[error("salt epoch out of order: starts {start}, created {created}, next epoch {next}")]
    BadEpoch {
        /// Epoch start, Unix seconds.
        start: i64,
        /// Created, Unix seconds.
        created: i64,
        /// Next epoch start, Unix seconds.
        next: i64,
    },
    /// The next epoch's salt equals the current one.
    #[error("the announced next salt equals the current salt")]
    NextSaltRepeats,
    /// The contact section is malformed.
    #[error("publisher contact: {0}")]
    BadContact(String),
    /// The section lengths do not match the bytes that follow.
    #[error(
        "filter section declared as {declared} bytes but {actual} follow the header and contact"
    )]
    SectionLength {
        /// Declared in the header.
        declared: u64,
        /// Present after the header.
        actual: u64,
    },
    /// The filter section is malformed.
    #[error("filter: {0}")]
    Filter(#[from] FilterError),
    /// The filter seed is not the one derived from the salt.
    #[error(
        "filter seed {found} is not derived from the salt (expected {expected}): \
         a seed chosen freely could make a chosen number a false match"
    )]
    SeedNotDerived {
        /// The seed in the filter section, hex.
        found: String,
        /// BLAKE3-derive-key of the salt, hex.
        expected: String,
    },
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

/// A hash algorithm, its parameters and a salt, as the header stores them (45
/// bytes: id, m, t, p, salt). A number's key depends on nothing else but the number.
pub fn kdf_and_salt_bytes(kdf: Kdf, salt: &[u8; KEY_LEN]) -> [u8; KDF_AND_SALT_LEN] {
    let (id, m, t, p) = match kdf {
        Kdf::Argon2id { m_kib, t, p } => (KDF_ARGON2ID, m_kib, t, p),
        Kdf::Blake3 => (KDF_BLAKE3, 0, 0, 0),
        // The public key is in the sealed block.
        Kdf::Voprf { .. } => (KDF_VOPRF, 0, 0, 0),
    };
    let mut out = [0u8; KDF_AND_SALT_LEN];
    out[0] = id;
    out[1..5].copy_from_slice(&m.to_le_bytes());
    out[5..9].copy_from_slice(&t.to_le_bytes());
    out[9..13].copy_from_slice(&p.to_le_bytes());
    out[13..].copy_from_slice(salt);
    out
}

/// The hash algorithm at `b`. A sealed one's public key is read later, from
/// the sealed block, and checked there: it is left zero here.
fn parse_kdf(b: &[u8], version: u16) -> Result<Kdf, FormatError> {
    let kdf = match b[0] {
        KDF_VOPRF if version < VERSION_SEALED => {
            return Err(FormatError::SealedVersion {
                version,
                what: "a sealed epoch (hash algorithm id 3 needs format version 3)",
            })
        }
        KDF_VOPRF if b[1..13].iter().all(|&b| b == 0) => {
            return Ok(Kdf::Voprf {
                public_key: [0; 32],
            })
        }
        KDF_VOPRF => {
            return Err(BadKdfParams("voprf takes no parameters; they must be zero".into()).into())
        }
        KDF_ARGON2ID => Kdf::Argon2id {
            m_kib: u32_at(b, 1),
            t: u32_at(b, 5),
            p: u32_at(b, 9),
        },
        KDF_BLAKE3 if b[1..13].iter().all(|&b| b == 0) => Kdf::Blake3,
        KDF_BLAKE3 => {
            return Err(BadKdfParams("blake3 takes no parameters; they must be zero".into()).into())
        }
        other => return Err(FormatError::UnknownKdf(other)),
    };
    kdf.validate()?;
    Ok(kdf)
}

impl Snapshot {
    /// Encodes the snapshot (header, contact, then the filter section).
    pub fn encode(&self) -> Vec<u8> {
        let contact = self.header.contact.encode();
        let section = self.filter.as_section();
        let mut out = Vec::with_capacity(HEADER_LEN + contact.len() + section.len());
        out.extend_from_slice(&self.encode_header(contact.len()));
        out.extend_from_slice(&contact); // 218
        out.extend_from_slice(&self.header.encode_sealed_block()); // 218 + C
        out.extend_from_slice(section); // 218 + C + S
        out
    }

    /// The 218-byte header.
    fn encode_header(&self, contact_len: usize) -> Vec<u8> {
        let h = &self.header;
        let section_len = self.filter.as_section().len() as u64;
        let mut out = Vec::with_capacity(HEADER_LEN);
        out.extend_from_slice(&MAGIC); // 0
        out.extend_from_slice(&h.version().to_le_bytes()); // 8
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
        out.extend_from_slice(&kdf_and_salt_bytes(h.kdf, &h.salt)); // 94
        out.extend_from_slice(&h.fp_rate.to_le_bytes()); // 139
        out.extend_from_slice(&section_len.to_le_bytes()); // 147
        out.extend_from_slice(&h.epoch_start.to_le_bytes()); // 155
        out.extend_from_slice(&h.next_epoch_start.to_le_bytes()); // 163
        out.extend_from_slice(&kdf_and_salt_bytes(h.next_kdf, &h.next_salt)); // 171
        out.extend_from_slice(&(contact_len as u16).to_le_bytes()); // 216
        debug_assert_eq!(out.len(), HEADER_LEN);
        out
    }

    /// Header bytes 94..139: hash algorithm, parameters and salt (what a number's
    /// key depends on besides the number).
    pub fn encode_header_kdf_and_salt(&self) -> Vec<u8> {
        kdf_and_salt_bytes(self.header.kdf, &self.header.salt).to_vec()
    }

    /// Decodes and checks every field, in file order, as FORMAT.md lists them.
    pub fn decode(bytes: &[u8]) -> Result<Self, FormatError> {
        let (header, start) = decode_header(bytes)?;
        let filter = Filter::from_section(&bytes[start..])?;
        finish(header, filter)
    }

    /// As [`Snapshot::decode`], taking ownership of the bytes so that the
    /// filter is held in memory once (the header is moved out of the way, the
    /// bit array is not copied to a new allocation).
    pub fn decode_vec(mut bytes: Vec<u8>) -> Result<Self, FormatError> {
        let (header, start) = decode_header(&bytes)?;
        bytes.drain(..start);
        let filter = Filter::from_section_vec(bytes)?;
        finish(header, filter)
    }
}

fn finish(header: Header, filter: Filter) -> Result<Snapshot, FormatError> {
    let expected = filter::seed_from_salt(&header.salt);
    if filter.seed() != expected {
        return Err(FormatError::SeedNotDerived {
            found: hex::encode(filter.seed()),
            expected: hex::encode(expected),
        });
    }
    Ok(Snapshot { header, filter })
}

/// Decodes the header and the contact section; returns where the filter
/// section starts.
fn decode_header(bytes: &[u8]) -> Result<(Header, usize), FormatError> {
    if bytes.len() >= 8 && bytes[..8] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    if bytes.len() >= 10 {
        // Named before the length check: another version may have another header size.
        match u16_at(bytes, 8) {
            VERSION | VERSION_SEALED => {}
            old @ 1 => return Err(FormatError::OldVersion(old)),
            other => return Err(FormatError::UnknownVersion(other)),
        }
    }
    if bytes.len() < HEADER_LEN {
        return Err(FormatError::TruncatedHeader(bytes.len()));
    }
    let version = u16_at(bytes, 8);
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
    let mut kdf = parse_kdf(&bytes[94..107], version)?;
    let fp_rate = f64::from_le_bytes(array_at(bytes, 139));
    filter::validate_fp_rate(fp_rate)?;
    let section_len = u64_at(bytes, 147);
    let epoch_start = u64_at(bytes, 155) as i64;
    let next_epoch_start = u64_at(bytes, 163) as i64;
    if !(epoch_start >= 0
        && epoch_start <= created
        && created < next_epoch_start
        && next_epoch_start <= crate::format::time::MAX_TIME)
    {
        return Err(FormatError::BadEpoch {
            start: epoch_start,
            created,
            next: next_epoch_start,
        });
    }
    let mut next_kdf = parse_kdf(&bytes[171..184], version)?;
    if version == VERSION_SEALED && !kdf.is_sealed() && !next_kdf.is_sealed() {
        return Err(FormatError::SealedVersion {
            version,
            what: "no sealed epoch (version 3 is for sealed snapshots only)",
        });
    }
    let salt: [u8; KEY_LEN] = array_at(bytes, 107);
    let next_salt: [u8; KEY_LEN] = array_at(bytes, 184);
    if next_salt == salt {
        return Err(FormatError::NextSaltRepeats);
    }
    let contact_len = usize::from(u16_at(bytes, 216));
    if contact_len > MAX_CONTACT_LEN {
        return Err(FormatError::BadContact(format!(
            "{contact_len} bytes, more than {MAX_CONTACT_LEN}"
        )));
    }
    let contact_end = HEADER_LEN + contact_len;
    if bytes.len() < contact_end {
        return Err(FormatError::BadContact("cut off".into()));
    }
    let filter_start = contact_end + sealed_block_len(bytes, contact_end, version)?;
    let actual = (bytes.len() - filter_start) as u64;
    if section_len != actual {
        return Err(FormatError::SectionLength {
            declared: section_len,
            actual,
        });
    }
    let contact = Contact::decode(&bytes[HEADER_LEN..contact_end])?;
    let evaluation_url =
        decode_sealed_block(&bytes[contact_end..filter_start], &mut kdf, &mut next_kdf)?;
    Ok((
        Header {
            sequence,
            created,
            expires,
            previous: array_at(bytes, 36),
            entries,
            normalization,
            metadata_version,
            kdf,
            salt,
            fp_rate,
            epoch_start,
            next_epoch_start,
            next_kdf,
            next_salt,
            contact,
            evaluation_url,
        },
        filter_start,
    ))
}

impl Header {
    /// The sealed block (format version 3 only; empty otherwise): the OPRF
    /// public keys of the current and next epochs (zeros for an unsealed
    /// one), then the evaluation URL as a u16 length and UTF-8.
    fn encode_sealed_block(&self) -> Vec<u8> {
        if !self.has_sealed_epoch() {
            debug_assert!(self.evaluation_url.is_empty());
            return Vec::new();
        }
        let key = |kdf: Kdf| match kdf {
            Kdf::Voprf { public_key } => public_key,
            _ => [0; 32],
        };
        let mut out = Vec::with_capacity(SEALED_FIXED_LEN + self.evaluation_url.len());
        out.extend_from_slice(&key(self.kdf));
        out.extend_from_slice(&key(self.next_kdf));
        out.extend_from_slice(&(self.evaluation_url.len() as u16).to_le_bytes());
        out.extend_from_slice(self.evaluation_url.as_bytes());
        out
    }
}

/// The length of the sealed block starting at `at` (0 in version 2).
fn sealed_block_len(bytes: &[u8], at: usize, version: u16) -> Result<usize, FormatError> {
    if version < VERSION_SEALED {
        return Ok(0);
    }
    if bytes.len() < at + SEALED_FIXED_LEN {
        return Err(FormatError::BadSealed("cut off".into()));
    }
    let url_len = usize::from(u16_at(bytes, at + 64));
    if url_len > MAX_EVALUATION_URL_LEN {
        return Err(FormatError::BadSealed(format!(
            "evaluation URL of {url_len} bytes, more than {MAX_EVALUATION_URL_LEN}"
        )));
    }
    if bytes.len() < at + SEALED_FIXED_LEN + url_len {
        return Err(FormatError::BadSealed("evaluation URL cut off".into()));
    }
    Ok(SEALED_FIXED_LEN + url_len)
}

/// Reads the sealed block into the epochs' public keys; the evaluation URL.
fn decode_sealed_block(
    block: &[u8],
    kdf: &mut Kdf,
    next_kdf: &mut Kdf,
) -> Result<String, FormatError> {
    if block.is_empty() {
        return Ok(String::new());
    }
    for (kdf, at, which) in [(kdf, 0, "current"), (next_kdf, 32, "next")] {
        let bytes: [u8; 32] = array_at(block, at);
        match kdf {
            Kdf::Voprf { public_key } => {
                *public_key = bytes;
                kdf.validate().map_err(|e| {
                    FormatError::BadSealed(format!("the {which} epoch's public key: {}", e.0))
                })?;
            }
            _ if bytes != [0; 32] => {
                return Err(FormatError::BadSealed(format!(
                    "the {which} epoch is not sealed, so its public key must be 32 zero bytes"
                )))
            }
            _ => {}
        }
    }
    let url = std::str::from_utf8(&block[SEALED_FIXED_LEN..])
        .map_err(|_| FormatError::BadSealed("evaluation URL is not UTF-8".into()))?;
    if !https_url(url) {
        return Err(FormatError::BadSealed(format!(
            "evaluation URL {url:?} must be https:// and a host, with no white space \
             (Unicode White_Space) or control character"
        )));
    }
    Ok(url.to_string())
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
        let salt = [0x11; 32];
        let mut filter = Filter::new(3, 1e-6, &filter::seed_from_salt(&salt)).unwrap();
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
                salt,
                fp_rate: 1e-6,
                epoch_start: 1_799_000_000,
                next_epoch_start: 1_801_000_000,
                next_kdf: Kdf::Blake3,
                next_salt: [0x22; 32],
                contact: Contact {
                    name: "Example Helpline".into(),
                    contact: "confirm@example.org".into(),
                    confirm_url: "https://example.org/confirm".into(),
                    confirm_text: "Call us with the number and the date.".into(),
                },
                evaluation_url: String::new(),
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
        assert_eq!(bytes[171], KDF_BLAKE3);
        let owned = Snapshot::decode_vec(bytes.clone()).unwrap();
        assert_eq!(owned.encode(), bytes);
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
            patched(8, &4u16.to_le_bytes()).unwrap_err(),
            FormatError::UnknownVersion(4)
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
        assert!(matches!(
            patched(155, &1_800_000_001u64.to_le_bytes()),
            Err(FormatError::BadEpoch { .. })
        ));
        assert!(matches!(
            patched(163, &1_800_000_000u64.to_le_bytes()),
            Err(FormatError::BadEpoch { .. })
        ));
        assert_eq!(patched(171, &[7]).unwrap_err(), FormatError::UnknownKdf(7));
        assert_eq!(
            patched(184, &[0x11; 32]).unwrap_err(),
            FormatError::NextSaltRepeats
        );
        assert!(matches!(
            patched(216, &0u16.to_le_bytes()),
            Err(FormatError::SectionLength { .. })
        ));
        assert!(matches!(
            patched(216, &u16::MAX.to_le_bytes()),
            Err(FormatError::BadContact(_))
        ));
        // The name's first byte becomes an escape character.
        assert!(matches!(
            patched(HEADER_LEN + 2, &[0x1b]),
            Err(FormatError::BadContact(_))
        ));
    }

    #[test]
    fn version_1_is_refused_with_its_own_message() {
        let err = patched(8, &1u16.to_le_bytes()).unwrap_err();
        assert_eq!(err, FormatError::OldVersion(1));
        assert!(err.to_string().contains("must rebuild"), "{err}");
        let mut short = b"HUSHLIST".to_vec();
        short.extend_from_slice(&1u16.to_le_bytes());
        assert_eq!(
            Snapshot::decode(&short).unwrap_err(),
            FormatError::OldVersion(1)
        );
    }

    #[test]
    fn a_seed_not_derived_from_the_salt_is_refused() {
        let mut s = sample();
        let mut free = Filter::new(3, 1e-6, blake3::hash(b"free").as_bytes()).unwrap();
        free.insert(&[1; 32]);
        s.filter = free;
        assert!(matches!(
            Snapshot::decode(&s.encode()),
            Err(FormatError::SeedNotDerived { .. })
        ));
    }

    #[test]
    fn contact_rules() {
        let ok = sample().header.contact;
        assert!(ok.validate().is_ok());
        assert!(Contact::default().validate().is_ok() && Contact::default().is_empty());
        for bad in [
            Contact {
                name: "a\u{1b}[31m".into(),
                ..ok.clone()
            },
            Contact {
                confirm_url: "http://example.org".into(),
                ..ok.clone()
            },
            Contact {
                contact: " x".into(),
                ..ok.clone()
            },
            Contact {
                confirm_text: "x".repeat(1001),
                ..ok.clone()
            },
            Contact {
                name: "line\nbreak".into(),
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
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
        b.extend_from_slice(&4u16.to_le_bytes());
        assert_eq!(
            Snapshot::decode(&b).unwrap_err(),
            FormatError::UnknownVersion(4)
        );
    }

    fn sealed_sample() -> Snapshot {
        let mut s = sample();
        let seed = crate::format::sealed::OprfSeed::from_bytes([9; 32]);
        s.header.kdf = Kdf::Voprf {
            public_key: seed.epoch_key(&s.header.salt).public_key(),
        };
        s.header.evaluation_url = "https://list.example.org/evaluate".into();
        s
    }

    #[test]
    fn a_sealed_header_is_version_3_with_its_block_after_the_contact() {
        let snapshot = sealed_sample();
        let bytes = snapshot.encode();
        assert_eq!(u16_at(&bytes, 8), VERSION_SEALED);
        assert_eq!(bytes[94], KDF_VOPRF);
        assert!(bytes[95..107].iter().all(|&b| b == 0));
        let contact_len = usize::from(u16_at(&bytes, 216));
        let block = HEADER_LEN + contact_len;
        let Kdf::Voprf { public_key } = snapshot.header.kdf else {
            unreachable!()
        };
        assert_eq!(&bytes[block..block + 32], &public_key);
        assert_eq!(
            &bytes[block + 32..block + 64],
            &[0; 32],
            "next epoch unsealed"
        );
        let url = b"https://list.example.org/evaluate";
        assert_eq!(usize::from(u16_at(&bytes, block + 64)), url.len());
        assert_eq!(&bytes[block + 66..block + 66 + url.len()], url);
        let back = Snapshot::decode(&bytes).unwrap();
        assert_eq!(back.header, snapshot.header);
        assert_eq!(back.encode(), bytes);
        // An unsealed snapshot is still written as version 2, with no block.
        assert_eq!(u16_at(&sample().encode(), 8), VERSION);
    }

    #[test]
    fn sealed_rules_are_checked() {
        let good = sealed_sample().encode();
        let block = HEADER_LEN + usize::from(u16_at(&good, 216));
        let with = |at: usize, patch: &[u8]| {
            let mut b = good.clone();
            b[at..at + patch.len()].copy_from_slice(patch);
            Snapshot::decode(&b).unwrap_err()
        };
        // A sealed id in a version 2 file; a version 3 file with no sealed epoch.
        assert!(matches!(
            with(8, &2u16.to_le_bytes()),
            FormatError::SealedVersion { version: 2, .. }
        ));
        assert!(matches!(
            with(94, &[KDF_BLAKE3]),
            FormatError::SealedVersion { version: 3, .. }
        ));
        // Parameters must be zero for voprf.
        assert!(matches!(with(95, &[1]), FormatError::BadKdf(_)));
        // An unsealed epoch's key must be zero; a sealed one must be a valid
        // encoding of a group element other than the identity.
        assert!(matches!(with(block + 32, &[1]), FormatError::BadSealed(_)));
        assert!(matches!(with(block, &[0; 32]), FormatError::BadSealed(_)));
        assert!(matches!(
            with(block, &[0xFF; 32]),
            FormatError::BadSealed(_)
        ));
        // The URL: https only, and its length bounded.
        assert!(matches!(
            with(block + 66, b"http:"),
            FormatError::BadSealed(_)
        ));
        assert!(matches!(
            with(block + 64, &301u16.to_le_bytes()),
            FormatError::BadSealed(_)
        ));
        // A URL longer than what follows is cut off, not read into the filter.
        assert!(matches!(
            with(block + 64, &300u16.to_le_bytes()),
            FormatError::BadSealed(_) | FormatError::SectionLength { .. }
        ));
    }
}
