//! The words of a brokerage case: its statuses and their allowed moves, a consent's
//! answers, the kinds of timeline events, and how a case moves the lead it came from.

use pyred_proto::v1 as pb;

use crate::store::Status as LeadStatus;

/// Where a case stands (decision 0018).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    /// Opened by side A, waiting for side B's organisation.
    Proposed,
    /// Side B took it; both firms are named.
    Accepted,
    /// Both firms were asked for their consent.
    ConsentsAsked,
    /// Both firms said yes.
    Introduced,
    /// The firms met or will meet.
    Meeting,
    /// Business came of it.
    Won,
    /// It came to nothing.
    Lost,
    /// Abandoned by an adviser.
    Dropped,
    /// Side B turned it down.
    Declined,
    /// A firm said no or withdrew.
    Refused,
    /// A consent was not answered in time.
    Expired,
}

impl CaseStatus {
    const ALL: [Self; 11] = [
        Self::Proposed,
        Self::Accepted,
        Self::ConsentsAsked,
        Self::Introduced,
        Self::Meeting,
        Self::Won,
        Self::Lost,
        Self::Dropped,
        Self::Declined,
        Self::Refused,
        Self::Expired,
    ];

    /// The stored word (also the JSON slug).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Accepted => "accepted",
            Self::ConsentsAsked => "consents_asked",
            Self::Introduced => "introduced",
            Self::Meeting => "meeting",
            Self::Won => "won",
            Self::Lost => "lost",
            Self::Dropped => "dropped",
            Self::Declined => "declined",
            Self::Refused => "refused",
            Self::Expired => "expired",
        }
    }

    /// From the stored word.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// The API enum.
    pub fn to_pb(self) -> pb::CaseStatus {
        match self {
            Self::Proposed => pb::CaseStatus::Proposed,
            Self::Accepted => pb::CaseStatus::Accepted,
            Self::ConsentsAsked => pb::CaseStatus::ConsentsAsked,
            Self::Introduced => pb::CaseStatus::Introduced,
            Self::Meeting => pb::CaseStatus::Meeting,
            Self::Won => pb::CaseStatus::Won,
            Self::Lost => pb::CaseStatus::Lost,
            Self::Dropped => pb::CaseStatus::Dropped,
            Self::Declined => pb::CaseStatus::Declined,
            Self::Refused => pb::CaseStatus::Refused,
            Self::Expired => pb::CaseStatus::Expired,
        }
    }

    /// From the API enum value; `None` for unspecified or unknown.
    pub fn from_pb(value: i32) -> Option<Self> {
        Some(match pb::CaseStatus::try_from(value).ok()? {
            pb::CaseStatus::Unspecified => return None,
            pb::CaseStatus::Proposed => Self::Proposed,
            pb::CaseStatus::Accepted => Self::Accepted,
            pb::CaseStatus::ConsentsAsked => Self::ConsentsAsked,
            pb::CaseStatus::Introduced => Self::Introduced,
            pb::CaseStatus::Meeting => Self::Meeting,
            pb::CaseStatus::Won => Self::Won,
            pb::CaseStatus::Lost => Self::Lost,
            pb::CaseStatus::Dropped => Self::Dropped,
            pb::CaseStatus::Declined => Self::Declined,
            pb::CaseStatus::Refused => Self::Refused,
            pb::CaseStatus::Expired => Self::Expired,
        })
    }

    /// Whether nothing more can happen to the case's status.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Won | Self::Lost | Self::Dropped | Self::Declined | Self::Refused | Self::Expired
        )
    }

    /// Whether both firms have agreed: their contacts may be shown to the case's
    /// advisers (a case dropped after its introduction keeps what was revealed).
    pub fn was_introduced(self) -> bool {
        matches!(
            self,
            Self::Introduced | Self::Meeting | Self::Won | Self::Lost
        )
    }

    /// Whether an adviser may move the case from `self` to `next` by hand
    /// (`UpdateCaseStatus`): meeting, won and lost once introduced; dropped from any
    /// open status. Accepting, declining, asking consents and answering them have
    /// their own calls.
    pub fn may_become(self, next: Self) -> bool {
        use CaseStatus::{
            Accepted, ConsentsAsked, Dropped, Introduced, Lost, Meeting, Proposed, Won,
        };
        matches!(
            (self, next),
            (Introduced, Meeting | Won | Lost | Dropped)
                | (Meeting, Won | Lost | Dropped)
                | (Proposed | Accepted | ConsentsAsked, Dropped)
        )
    }

    /// Where the lead the case came from moves when the case reaches `self`, if
    /// anywhere (applied only where the lead's own workflow allows it).
    pub fn lead_status(self) -> Option<LeadStatus> {
        match self {
            Self::Proposed => Some(LeadStatus::Shortlisted),
            Self::Introduced => Some(LeadStatus::Contacted),
            Self::Meeting => Some(LeadStatus::Meeting),
            Self::Won => Some(LeadStatus::Won),
            Self::Lost => Some(LeadStatus::Lost),
            Self::Accepted
            | Self::ConsentsAsked
            | Self::Dropped
            | Self::Declined
            | Self::Refused
            | Self::Expired => None,
        }
    }
}

/// A firm's answer to a consent request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// Asked, not answered yet.
    Pending,
    /// Agrees.
    Yes,
    /// Refuses.
    No,
    /// Withdrawn by the erasure of the firm's contact.
    Withdrawn,
    /// The consent period ran out.
    Expired,
}

impl Answer {
    const ALL: [Self; 5] = [
        Self::Pending,
        Self::Yes,
        Self::No,
        Self::Withdrawn,
        Self::Expired,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Yes => "yes",
            Self::No => "no",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
        }
    }

    /// From the stored word.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|answer| answer.as_str() == text)
    }

    /// The API enum.
    pub fn to_pb(self) -> pb::ConsentAnswer {
        match self {
            Self::Pending => pb::ConsentAnswer::Pending,
            Self::Yes => pb::ConsentAnswer::Yes,
            Self::No => pb::ConsentAnswer::No,
            Self::Withdrawn => pb::ConsentAnswer::Withdrawn,
            Self::Expired => pb::ConsentAnswer::Expired,
        }
    }
}

/// What a timeline event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Side A opened the case.
    Opened,
    /// Side B took it.
    Accepted,
    /// Side B turned it down.
    Declined,
    /// Both firms were asked.
    ConsentsAsked,
    /// A firm said yes.
    ConsentYes,
    /// A firm said no.
    ConsentNo,
    /// A firm's consent was withdrawn by the erasure of its contact.
    ConsentWithdrawn,
    /// A firm did not answer in time.
    ConsentExpired,
    /// Both said yes: contacts shown to the advisers.
    Introduced,
    /// An adviser moved the status (meeting, won, lost, dropped).
    Status,
    /// A note.
    Note,
}

impl EventKind {
    /// The stored word (`CaseEvent.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::ConsentsAsked => "consents_asked",
            Self::ConsentYes => "consent_yes",
            Self::ConsentNo => "consent_no",
            Self::ConsentWithdrawn => "consent_withdrawn",
            Self::ConsentExpired => "consent_expired",
            Self::Introduced => "introduced",
            Self::Status => "status",
            Self::Note => "note",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_words_and_the_api() {
        for status in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(status.as_str()), Some(status));
            assert_eq!(CaseStatus::from_pb(status.to_pb() as i32), Some(status));
        }
        assert_eq!(CaseStatus::from_pb(0), None);
        for answer in Answer::ALL {
            assert_eq!(Answer::parse(answer.as_str()), Some(answer));
        }
    }

    #[test]
    fn hand_moves_go_forward_and_final_states_stay() {
        use CaseStatus::*;
        assert!(Introduced.may_become(Meeting));
        assert!(Meeting.may_become(Won));
        assert!(Proposed.may_become(Dropped));
        assert!(
            !Proposed.may_become(Introduced),
            "only both consents introduce"
        );
        assert!(!Proposed.may_become(Meeting));
        assert!(!Meeting.may_become(Introduced));
        for done in CaseStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for next in CaseStatus::ALL {
                assert!(!done.may_become(next), "{done:?} -> {next:?}");
            }
        }
        assert!(!Refused.was_introduced());
        assert!(Won.was_introduced());
    }
}
