//! The salt-epoch rule (FORMAT.md §8, step 10): a snapshot's salt is the
//! one of the snapshot before it, or the one that snapshot announced;
//! nothing else. A salt chosen once the list is known could be ground until
//! a chosen number's bits are set (a targeted false match as good as a true
//! one with the fast hash); a salt announced an epoch ahead cannot.

use crate::format::snapshot::Header;

/// How `next` follows `previous` under the salt-epoch rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochStep {
    /// The same salt, hash and announcement.
    Same,
    /// The salt `previous` announced.
    Switched,
    /// Snapshots in between were not seen and `next` is in a later epoch
    /// than the one `previous` announced: its salt cannot be judged here
    /// (an audit of the whole history judges it).
    Unjudged,
}

/// Checks that `next` (a later snapshot) keeps `previous`'s salt and
/// announcement, or switches to the announced salt; `Err` says what broke.
pub fn check_epoch_step(previous: &Header, next: &Header) -> Result<EpochStep, String> {
    let (p, n) = (previous, next);
    if n.salt == p.salt {
        let same = n.kdf == p.kdf
            && n.epoch_start == p.epoch_start
            && n.next_epoch_start == p.next_epoch_start
            && n.next_kdf == p.next_kdf
            && n.next_salt == p.next_salt;
        return if same {
            Ok(EpochStep::Same)
        } else {
            Err(format!(
                "salt epoch: snapshot #{} keeps #{}'s salt but changes its hash or the next \
                 epoch it announced (an announcement is fixed for the whole epoch)",
                n.sequence, p.sequence
            ))
        };
    }
    if n.salt == p.next_salt {
        return if n.next_salt == n.salt {
            Err(format!(
                "salt epoch: snapshot #{} announces its own salt as the next one",
                n.sequence
            ))
        } else {
            Ok(EpochStep::Switched)
        };
    }
    if n.sequence > p.sequence + 1 && n.epoch_start > p.next_epoch_start {
        return Ok(EpochStep::Unjudged);
    }
    Err(format!(
        "salt epoch: snapshot #{} uses a salt that is neither #{}'s nor the one #{} announced \
         (a salt chosen after the list was known could be ground for a targeted false match)",
        n.sequence, p.sequence, p.sequence
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::number_key::Kdf;
    use crate::format::snapshot::Contact;

    fn header(sequence: u64, salt: u8, next_salt: u8, epoch_start: i64, next_start: i64) -> Header {
        Header {
            sequence,
            created: epoch_start,
            expires: epoch_start + 10,
            previous: [0; 32],
            entries: 1,
            normalization: 2,
            metadata_version: "test".into(),
            kdf: Kdf::Blake3,
            salt: [salt; 32],
            fp_rate: 1e-12,
            epoch_start,
            next_epoch_start: next_start,
            next_kdf: Kdf::Blake3,
            next_salt: [next_salt; 32],
            contact: Contact::default(),
            evaluation_url: String::new(),
        }
    }

    #[test]
    fn a_salt_is_kept_or_switched_to_the_announced_one_and_nothing_else() {
        let p = header(1, 1, 2, 0, 100);
        assert_eq!(
            check_epoch_step(&p, &header(2, 1, 2, 0, 100)),
            Ok(EpochStep::Same)
        );
        assert_eq!(
            check_epoch_step(&p, &header(2, 2, 3, 100, 200)),
            Ok(EpochStep::Switched)
        );
        assert!(
            check_epoch_step(&p, &header(2, 9, 3, 50, 150)).is_err(),
            "a fresh salt"
        );
        assert!(
            check_epoch_step(&p, &header(2, 1, 7, 0, 100)).is_err(),
            "announcement replaced"
        );
        assert!(
            check_epoch_step(&p, &header(2, 1, 2, 0, 90)).is_err(),
            "switch moved"
        );
        assert!(
            check_epoch_step(&p, &header(2, 2, 2, 100, 200)).is_err(),
            "announces itself"
        );
        assert_eq!(
            check_epoch_step(&p, &header(9, 7, 8, 200, 300)),
            Ok(EpochStep::Unjudged),
            "two epochs later, with snapshots in between unseen"
        );
        assert!(
            check_epoch_step(&p, &header(9, 7, 8, 100, 300)).is_err(),
            "in the announced epoch, the announced salt"
        );
    }
}
