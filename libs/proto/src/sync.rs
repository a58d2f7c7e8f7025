//! What the registry answers for each item of a `SyncListings` or `ImportCompanies`
//! call, read once here: the outcome's word, and the counts a sync or an import keeps.

use crate::v1 as pb;

impl pb::SyncOutcome {
    /// The outcome's word in JSON and reports: `created`, `updated`, `unchanged`,
    /// `withdrawn`, `rejected`, `unspecified`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Withdrawn => "withdrawn",
            Self::Rejected => "rejected",
        }
    }

    /// The word of an outcome as a message carries it (`unspecified` for a number this
    /// version does not know).
    pub fn slug_of(outcome: i32) -> &'static str {
        Self::try_from(outcome).map_or("unspecified", Self::slug)
    }
}

/// Why an item was not counted as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    /// The registry refused it; its field violations say why.
    Rejected,
    /// The answer carried no outcome this version knows (the number given).
    Unknown(i32),
}

/// How many items were stored or confirmed, by outcome. Rejections are not counted here:
/// each caller records them with their reasons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncCounts {
    /// Records created.
    pub created: u64,
    /// Records changed.
    pub updated: u64,
    /// Items that changed nothing (replays, older versions, tombstones of records not
    /// stored).
    pub unchanged: u64,
    /// Listings withdrawn.
    pub withdrawn: u64,
}

impl SyncCounts {
    /// Counts one item's `outcome`; a rejected or unknown one is left to the caller.
    pub fn count(&mut self, outcome: i32) -> Result<(), NotStored> {
        let counter = match pb::SyncOutcome::try_from(outcome) {
            Ok(pb::SyncOutcome::Created) => &mut self.created,
            Ok(pb::SyncOutcome::Updated) => &mut self.updated,
            Ok(pb::SyncOutcome::Unchanged) => &mut self.unchanged,
            Ok(pb::SyncOutcome::Withdrawn) => &mut self.withdrawn,
            Ok(pb::SyncOutcome::Rejected) => return Err(NotStored::Rejected),
            Ok(pb::SyncOutcome::Unspecified) | Err(_) => return Err(NotStored::Unknown(outcome)),
        };
        *counter += 1;
        Ok(())
    }

    /// Every item counted.
    pub fn total(&self) -> u64 {
        self.created + self.updated + self.unchanged + self.withdrawn
    }

    /// Adds another run's counts.
    pub fn absorb(&mut self, other: Self) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.withdrawn += other.withdrawn;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_counted_each_in_its_own_counter() {
        let mut counts = SyncCounts::default();
        for outcome in [
            pb::SyncOutcome::Created,
            pb::SyncOutcome::Created,
            pb::SyncOutcome::Updated,
            pb::SyncOutcome::Unchanged,
            pb::SyncOutcome::Withdrawn,
        ] {
            assert_eq!(counts.count(outcome as i32), Ok(()));
        }
        assert_eq!(
            counts,
            SyncCounts {
                created: 2,
                updated: 1,
                unchanged: 1,
                withdrawn: 1
            }
        );
        assert_eq!(counts.total(), 5);
        assert_eq!(
            counts.count(pb::SyncOutcome::Rejected as i32),
            Err(NotStored::Rejected)
        );
        assert_eq!(counts.count(0), Err(NotStored::Unknown(0)));
        assert_eq!(counts.count(99), Err(NotStored::Unknown(99)));
        assert_eq!(counts.total(), 5, "a refusal is not counted as stored");
        let mut sum = SyncCounts::default();
        sum.absorb(counts);
        sum.absorb(counts);
        assert_eq!(sum.created, 4);
        assert_eq!(sum.total(), 10);
    }

    #[test]
    fn words_are_the_json_ones() {
        assert_eq!(pb::SyncOutcome::Withdrawn.slug(), "withdrawn");
        assert_eq!(
            pb::SyncOutcome::slug_of(pb::SyncOutcome::Rejected as i32),
            "rejected"
        );
        assert_eq!(pb::SyncOutcome::slug_of(42), "unspecified");
    }
}
