//! Trusted comments: the signed line of every `.minisig` hushlist writes, which
//! carries the file's kind, sequence, dates and BLAKE3 digest (FORMAT.md §5).

use crate::format::time::{parse_rfc3339, rfc3339};
use std::fmt;

/// What a signed file is, as its trusted comment says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A snapshot file.
    Snapshot,
    /// A manifest.
    Manifest,
    /// A key rotation statement.
    Rotation,
}

impl FileKind {
    fn tag(self) -> &'static str {
        match self {
            FileKind::Snapshot => "hushlist-snapshot",
            FileKind::Manifest => "hushlist-manifest",
            FileKind::Rotation => "hushlist-rotation",
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Snapshot => "snapshot",
            FileKind::Manifest => "manifest",
            FileKind::Rotation => "rotation statement",
        })
    }
}

/// The facts a trusted comment carries:
/// `hushlist-snapshot v1 seq=3 created=2026-11-28T19:00:00Z expires=2026-12-28T19:00:00Z blake3=<64 hex>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedFacts {
    /// Snapshot or manifest.
    pub kind: FileKind,
    /// Sequence number.
    pub sequence: u64,
    /// Created, Unix seconds.
    pub created: i64,
    /// Expires, Unix seconds.
    pub expires: i64,
    /// BLAKE3 digest of the signed file.
    pub blake3: [u8; 32],
}

impl SignedFacts {
    /// The trusted comment text.
    pub fn to_comment(&self) -> String {
        format!(
            "{} v1 seq={} created={} expires={} blake3={}",
            self.kind.tag(),
            self.sequence,
            rfc3339(self.created),
            rfc3339(self.expires),
            hex::encode(self.blake3)
        )
    }

    /// Parses a trusted comment; the fields must appear exactly in this order.
    pub fn parse(comment: &str) -> Result<Self, String> {
        let mut words = comment.split(' ');
        let kind = match words.next() {
            Some("hushlist-snapshot") => FileKind::Snapshot,
            Some("hushlist-manifest") => FileKind::Manifest,
            Some("hushlist-rotation") => FileKind::Rotation,
            _ => return Err("not a hushlist trusted comment".into()),
        };
        if words.next() != Some("v1") {
            return Err("unknown trusted comment version".into());
        }
        let mut field = |name: &str| {
            words
                .next()
                .and_then(|w| w.strip_prefix(name))
                .and_then(|w| w.strip_prefix('='))
                .ok_or(format!("missing {name}="))
        };
        let sequence = field("seq")?.parse().map_err(|_| "bad seq")?;
        let created = parse_rfc3339(field("created")?).ok_or("bad created time")?;
        let expires = parse_rfc3339(field("expires")?).ok_or("bad expires time")?;
        let blake3 = hex::decode(field("blake3")?)
            .ok()
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
            .ok_or("bad blake3 digest")?;
        if words.next().is_some() {
            return Err("unexpected text after the digest".into());
        }
        let facts = SignedFacts {
            kind,
            sequence,
            created,
            expires,
            blake3,
        };
        // One canonical spelling (no `+1`, `01`, upper-case hex...).
        if facts.to_comment() != comment {
            return Err("not in canonical form".into());
        }
        Ok(facts)
    }
}
