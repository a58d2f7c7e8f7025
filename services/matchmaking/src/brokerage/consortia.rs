//! Joint-bid proposals for a tender: candidate firms ranked by the matcher, grouped by
//! `pyred-consortium`.

use pyred_access::Caller;
use pyred_proto::v1 as pb;
use tonic::Status;

use crate::leads::Leads;

/// Consortium proposals over the registry's firms.
#[derive(Debug, Clone)]
pub struct Consortia {
    #[allow(dead_code)]
    leads: Leads,
}

impl Consortia {
    /// Proposals from the firms `leads` ranks for a tender.
    pub fn new(leads: Leads) -> Self {
        Self { leads }
    }

    /// The best groups for the tender asked.
    pub async fn propose(
        &self,
        _caller: &Caller,
        _request: &pb::ProposeConsortiaRequest,
    ) -> Result<pb::ProposeConsortiaResponse, Status> {
        Err(Status::unimplemented(
            "consortium proposals are being built (issue 19)",
        ))
    }
}
