//! The gRPC adapter of `pyred.v1.Brokerage`: each RPC authenticates the caller, hands
//! the request to the [`Broker`], audits writes and contact reads, and maps the result.

use pyred_access::{AuditLog, Caller};
use pyred_proto::v1 as pb;
use pyred_proto::v1::brokerage_server::Brokerage;
use tonic::{Request, Response, Status};

use super::consortia::Consortia;
use super::service::Broker;

const RPC: &str = "pyred.v1.Brokerage/";

/// The brokerage gRPC service.
#[derive(Debug, Clone)]
pub struct BrokerageApi {
    broker: Broker,
    consortia: Consortia,
    audit: AuditLog,
}

impl BrokerageApi {
    /// Serves `broker`'s cases and `consortia`'s proposals, auditing into `audit`.
    pub fn new(broker: Broker, consortia: Consortia, audit: AuditLog) -> Self {
        Self {
            broker,
            consortia,
            audit,
        }
    }

    /// Audits `outcome` of `rpc` on `object` and answers it.
    async fn audited<T>(
        &self,
        caller: &Caller,
        rpc: &str,
        object: &str,
        outcome: Result<T, Status>,
    ) -> Result<Response<T>, Status> {
        self.audit
            .record(caller, &format!("{RPC}{rpc}"), object, &outcome)
            .await;
        outcome.map(Response::new)
    }
}

fn case_object(id: &str) -> String {
    format!("case/{}", id.trim())
}

fn written(outcome: &Result<pb::Case, Status>, fallback: &str) -> String {
    match outcome {
        Ok(case) => case_object(&case.id),
        Err(_) => case_object(fallback),
    }
}

#[tonic::async_trait]
impl Brokerage for BrokerageApi {
    async fn open_case(
        &self,
        request: Request<pb::OpenCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let outcome = self
            .broker
            .open_case(&caller, &request)
            .await
            .map_err(Status::from);
        let object = written(&outcome, "");
        self.audited(&caller, "OpenCase", &object, outcome).await
    }

    async fn get_case(
        &self,
        request: Request<pb::GetCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = Caller::of(&request)?;
        let case = self.broker.case(&caller, &request.get_ref().id).await?;
        Ok(Response::new(case))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let (cases, next_page_token) = self.broker.list(&caller, request.get_ref()).await?;
        Ok(Response::new(pb::ListCasesResponse {
            cases,
            next_page_token,
        }))
    }

    async fn accept_case(
        &self,
        request: Request<pb::AcceptCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let outcome = self
            .broker
            .accept(&caller, &request)
            .await
            .map_err(Status::from);
        self.audited(&caller, "AcceptCase", &case_object(&request.id), outcome)
            .await
    }

    async fn decline_case(
        &self,
        request: Request<pb::DeclineCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let outcome = self
            .broker
            .decline(&caller, &request)
            .await
            .map_err(Status::from);
        self.audited(&caller, "DeclineCase", &case_object(&request.id), outcome)
            .await
    }

    async fn ask_consents(
        &self,
        request: Request<pb::AskConsentsRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let outcome = self
            .broker
            .ask_consents(&caller, &request)
            .await
            .map_err(Status::from);
        self.audited(&caller, "AskConsents", &case_object(&request.id), outcome)
            .await
    }

    async fn answer_consent(
        &self,
        request: Request<pb::AnswerConsentRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let outcome = self
            .broker
            .answer_consent(&caller, &request)
            .await
            .map_err(Status::from);
        let object = case_object(&request.id);
        self.audit
            .record(&caller, &format!("{RPC}AnswerConsent"), &object, &outcome)
            .await;
        // A firm learns its consent was recorded and where the case stands, never the
        // other side's details beyond its public name.
        outcome.map(|case| {
            Response::new(if caller.role == pyred_access::Role::Firm {
                firm_view(case)
            } else {
                case
            })
        })
    }

    async fn list_my_consents(
        &self,
        request: Request<pb::ListMyConsentsRequest>,
    ) -> Result<Response<pb::ListMyConsentsResponse>, Status> {
        let caller = Caller::of(&request)?;
        let requests = self.broker.my_consents(&caller, request.get_ref()).await?;
        Ok(Response::new(pb::ListMyConsentsResponse { requests }))
    }

    async fn get_case_contacts(
        &self,
        request: Request<pb::GetCaseContactsRequest>,
    ) -> Result<Response<pb::CaseContacts>, Status> {
        let caller = Caller::of(&request)?;
        let id = request.get_ref().id.clone();
        let outcome = self
            .broker
            .contacts(&caller, &id)
            .await
            .map_err(Status::from);
        self.audited(&caller, "GetCaseContacts", &case_object(&id), outcome)
            .await
    }

    async fn update_case_status(
        &self,
        request: Request<pb::UpdateCaseStatusRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let outcome = self
            .broker
            .update_status(&caller, &request)
            .await
            .map_err(Status::from);
        self.audited(
            &caller,
            "UpdateCaseStatus",
            &case_object(&request.id),
            outcome,
        )
        .await
    }

    async fn add_case_note(
        &self,
        request: Request<pb::AddCaseNoteRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let outcome = self
            .broker
            .add_note(&caller, &request)
            .await
            .map_err(Status::from);
        self.audited(&caller, "AddCaseNote", &case_object(&request.id), outcome)
            .await
    }

    async fn propose_consortia(
        &self,
        request: Request<pb::ProposeConsortiaRequest>,
    ) -> Result<Response<pb::ProposeConsortiaResponse>, Status> {
        let caller = Caller::of(&request)?;
        let proposals = self
            .consortia
            .propose(&caller, request.get_ref())
            .await
            .map_err(Status::from)?;
        Ok(Response::new(proposals))
    }

    async fn open_consortium_cases(
        &self,
        request: Request<pb::OpenConsortiumCasesRequest>,
    ) -> Result<Response<pb::OpenConsortiumCasesResponse>, Status> {
        let caller = Caller::of(&request)?;
        let request = request.into_inner();
        let outcome = self
            .broker
            .open_consortium_cases(&caller, &request)
            .await
            .map(|cases| pb::OpenConsortiumCasesResponse { cases })
            .map_err(Status::from);
        let object = format!("consortium/{}", request.consortium_id.trim());
        self.audited(&caller, "OpenConsortiumCases", &object, outcome)
            .await
    }
}

/// What a firm sees of a case it answered: status, its side's public names, consents;
/// no timeline (advisers' notes stay between advisers).
fn firm_view(case: pb::Case) -> pb::Case {
    pb::Case {
        events: Vec::new(),
        opened_by: String::new(),
        ..case
    }
}
