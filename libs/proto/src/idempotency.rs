//! Which RPCs a client may send again after a failure that may already have reached a
//! server: declared once per RPC, here beside the generated services, so the retry layer
//! of every channel (`pyred_runtime::client::Retrying`) decides by a list, not by a
//! method's name. A test fails when an RPC of `proto/` is in neither list.
//!
//! Idempotent means that sending the same request twice leaves the same state and answer
//! as sending it once: reads, searches, versioned syncs and imports (the registry keeps
//! the newest version), setting a threshold or read marks, stream set-up.

/// RPCs safe to send again (full gRPC paths).
pub const IDEMPOTENT: &[&str] = &[
    "/grpc.health.v1.Health/Check",
    "/grpc.health.v1.Health/Watch",
    "/pyred.v1.Access/ListKeys",
    "/pyred.v1.Access/Authenticate",
    "/pyred.v1.Access/WhoAmI",
    "/pyred.v1.Access/ListOrganisations",
    "/pyred.v1.Audit/ListAuditEvents",
    "/pyred.v1.Brokerage/GetCase",
    "/pyred.v1.Brokerage/ListCases",
    "/pyred.v1.Brokerage/ListMyConsents",
    "/pyred.v1.Brokerage/GetCaseContacts",
    "/pyred.v1.Brokerage/ProposeConsortia",
    "/pyred.v1.CompanyRegistry/GetCompany",
    "/pyred.v1.CompanyRegistry/ListCompanies",
    "/pyred.v1.CompanyRegistry/GetOpportunity",
    "/pyred.v1.CompanyRegistry/ListOpportunities",
    "/pyred.v1.CompanyRegistry/BatchGetOpportunities",
    "/pyred.v1.CompanyRegistry/BatchGetCompanies",
    "/pyred.v1.CompanyRegistry/SyncListings",
    "/pyred.v1.CompanyRegistry/ImportCompanies",
    "/pyred.v1.CompanyRegistry/WatchChanges",
    "/pyred.v1.CompanyRegistry/GetFeedCursor",
    "/pyred.v1.GeoSearch/Search",
    "/pyred.v1.GeoSearch/SuggestPlaces",
    "/pyred.v1.GeoSearch/GetIndexStatus",
    "/pyred.v1.Matchmaking/ListCompanyMatches",
    "/pyred.v1.Matchmaking/ListOpportunityMatches",
    "/pyred.v1.Matchmaking/GetMatch",
    "/pyred.v1.Matchmaking/WatchAlerts",
    "/pyred.v1.Matchmaking/ListAlerts",
    "/pyred.v1.Matchmaking/MarkAlertsRead",
    "/pyred.v1.Matchmaking/UpdateAlertInbox",
    "/pyred.v1.Matchmaking/ExportJudgments",
];

/// RPCs never sent twice: each call creates, moves or removes something once (or starts
/// a job), and a second send could do it again.
pub const NOT_IDEMPOTENT: &[&str] = &[
    "/pyred.v1.Access/CreateKey",
    "/pyred.v1.Access/RotateKey",
    "/pyred.v1.Access/RevokeKey",
    "/pyred.v1.Access/CreateOrganisation",
    "/pyred.v1.Access/UpdateOrganisation",
    "/pyred.v1.Brokerage/OpenCase",
    "/pyred.v1.Brokerage/AcceptCase",
    "/pyred.v1.Brokerage/DeclineCase",
    "/pyred.v1.Brokerage/AskConsents",
    "/pyred.v1.Brokerage/AnswerConsent",
    "/pyred.v1.Brokerage/UpdateCaseStatus",
    "/pyred.v1.Brokerage/AddCaseNote",
    "/pyred.v1.Brokerage/OpenConsortiumCases",
    "/pyred.v1.CompanyRegistry/CreateCompany",
    "/pyred.v1.CompanyRegistry/UpdateCompany",
    "/pyred.v1.CompanyRegistry/DeleteCompany",
    "/pyred.v1.CompanyRegistry/EraseCompanyContact",
    "/pyred.v1.CompanyRegistry/CreateOpportunity",
    "/pyred.v1.CompanyRegistry/UpdateOpportunity",
    "/pyred.v1.CompanyRegistry/ChangeOpportunityStatus",
    "/pyred.v1.GeoSearch/RebuildIndex",
    "/pyred.v1.Matchmaking/UpdateMatchStatus",
    "/pyred.v1.Matchmaking/AddMatchNote",
];

/// Whether the RPC at `path` (`/package.Service/Method`) may be sent again.
pub fn is_idempotent(path: &str) -> bool {
    IDEMPOTENT.contains(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rpc_is_declared_once() {
        use prost::Message as _;
        let set = prost_types::FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET)
            .expect("the descriptor set decodes");
        let mut declared = 0;
        for file in &set.file {
            let package = file.package();
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/{package}.{}/{}", service.name(), method.name());
                    let safe = IDEMPOTENT.contains(&path.as_str());
                    let unsafe_ = NOT_IDEMPOTENT.contains(&path.as_str());
                    assert!(safe != unsafe_, "{path}: declare it in exactly one list");
                    declared += 1;
                }
            }
        }
        assert_eq!(
            declared,
            IDEMPOTENT.len() + NOT_IDEMPOTENT.len() - 2,
            "every listed pyred.v1 RPC exists (the two health RPCs are not in pyred.v1)"
        );
        assert!(is_idempotent("/pyred.v1.CompanyRegistry/BatchGetCompanies"));
        assert!(!is_idempotent("/pyred.v1.Brokerage/AnswerConsent"));
        assert!(
            !is_idempotent("/pyred.v1.Unknown/GetThing"),
            "unknown: never resent"
        );
    }
}
