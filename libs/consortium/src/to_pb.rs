//! Conversion of the builder's proposals into the `pyred.v1` messages of the
//! Brokerage service (`Consortium`, `ConsortiumMember`, `ConsortiumForm`,
//! `ProposeConsortiaResponse`).

use pyred_proto::v1 as pb;

use crate::builder::{Form, Member, Proposal, Proposals};

/// The protobuf form.
pub fn form(form: Form) -> pb::ConsortiumForm {
    match form {
        Form::Ute => pb::ConsortiumForm::Ute,
        Form::Groupement => pb::ConsortiumForm::Groupement,
        Form::Unspecified => pb::ConsortiumForm::Unspecified,
    }
}

/// A member as a `pyred.v1.ConsortiumMember`.
pub fn member(member: &Member) -> pb::ConsortiumMember {
    pb::ConsortiumMember {
        company_id: member.company_id.clone(),
        company_name: member.company_name.clone(),
        region: member.region.clone(),
        fit: member.fit,
        covers_cpv: member.covers_cpv.clone(),
        covers_requirements: member.covers_requirements.clone(),
        reason_fr: member.reason_fr.clone(),
        reason_es: member.reason_es.clone(),
    }
}

/// A proposal as a `pyred.v1.Consortium`.
pub fn consortium(proposal: &Proposal) -> pb::Consortium {
    pb::Consortium {
        id: proposal.id.clone(),
        members: proposal.members.iter().map(member).collect(),
        score: proposal.score,
        coverage: proposal.coverage,
        uncovered: proposal.uncovered.clone(),
        form: form(proposal.form) as i32,
        cross_border: proposal.cross_border,
        summary_fr: proposal.summary_fr.clone(),
        summary_es: proposal.summary_es.clone(),
    }
}

/// The answer of `ProposeConsortia`.
pub fn response(proposals: &Proposals) -> pb::ProposeConsortiaResponse {
    pb::ProposeConsortiaResponse {
        consortia: proposals.consortia.iter().map(consortium).collect(),
        requirements: proposals.requirements.clone(),
    }
}
