//! The lead workflow's allowed transitions, declared once beside the generated
//! [`MatchStatus`](crate::v1::MatchStatus): matchmaking's store refuses a move by this
//! rule, and the console offers exactly the moves it allows.
//!
//! The pipeline goes forward only (proposed → shortlisted → contacted → meeting →
//! won/lost, skipping steps allowed from proposed and contacted); a lead may be dismissed
//! from any open state; won, lost and dismissed are final.

use crate::v1::MatchStatus;

impl MatchStatus {
    /// Every real status in pipeline order (`Unspecified` left out).
    pub const WORKFLOW: [Self; 7] = [
        Self::Proposed,
        Self::Shortlisted,
        Self::Contacted,
        Self::Meeting,
        Self::Won,
        Self::Lost,
        Self::Dismissed,
    ];

    /// Whether a lead may go from `self` to `next`.
    pub fn may_move_to(self, next: Self) -> bool {
        use MatchStatus::{
            Contacted, Dismissed, Lost, Meeting, Proposed, Shortlisted, Unspecified, Won,
        };
        match (self, next) {
            (Unspecified | Won | Lost | Dismissed, _) | (_, Unspecified | Proposed) => false,
            (Proposed, _) => true,
            (Shortlisted, Contacted | Meeting | Dismissed | Lost) => true,
            (Contacted, Meeting | Won | Lost | Dismissed) => true,
            (Meeting, Won | Lost | Dismissed) => true,
            _ => false,
        }
    }

    /// The statuses a lead may move to from `self`, in pipeline order.
    pub fn next(self) -> impl Iterator<Item = Self> {
        Self::WORKFLOW
            .into_iter()
            .filter(move |next| self.may_move_to(*next))
    }

    /// Whether no move leaves `self` (won, lost, dismissed).
    pub fn is_final(self) -> bool {
        self.next().next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::MatchStatus::{
        self, Contacted, Dismissed, Lost, Meeting, Proposed, Shortlisted, Unspecified, Won,
    };

    fn next(status: MatchStatus) -> Vec<MatchStatus> {
        status.next().collect()
    }

    #[test]
    fn the_workflow_goes_forward_only() {
        assert_eq!(
            next(Proposed),
            [Shortlisted, Contacted, Meeting, Won, Lost, Dismissed]
        );
        assert_eq!(next(Shortlisted), [Contacted, Meeting, Lost, Dismissed]);
        assert_eq!(next(Contacted), [Meeting, Won, Lost, Dismissed]);
        assert_eq!(next(Meeting), [Won, Lost, Dismissed]);
        for done in [Won, Lost, Dismissed, Unspecified] {
            assert!(next(done).is_empty(), "{done:?}");
            assert!(done.is_final() || done == Unspecified, "{done:?}");
        }
        assert!(
            !Shortlisted.may_move_to(Won),
            "a shortlisted lead is contacted first"
        );
        assert!(!Meeting.may_move_to(Contacted));
        assert!(!Proposed.may_move_to(Unspecified));
        assert!(!Proposed.is_final());
    }
}
