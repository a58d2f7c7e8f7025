//! TED eForms notices (UBL `ContractNotice`, `PriorInformationNotice`,
//! `ContractAwardNotice`, SDK 1.3–1.10) into a [`Notice`], or a [`Rejected`] when the
//! notice lacks what a listing needs (a title, valid CPV codes).
//!
//! The older TED XML (`TED_EXPORT`, R2.0.x) is recognised and refused with
//! [`FeedError::TedXmlUnsupported`]: the Publications Office converts those notices to
//! eForms, and the converted form is read here.

use serde::Serialize;

use crate::error::FeedError;
use crate::model::{
    ContractType, ContractingBody, Deadline, Lot, Notice, NoticeForm, Place, Problem,
    ProcedureType, Rejected, Source, Version, iso639_1, parse_cpv, split_offset,
};
use crate::placsp::amount;
use crate::xml::{self, Doc, Limits};

/// The outcome for one readable TED document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[allow(clippy::large_enum_variant)]
pub enum ParsedNotice {
    /// The notice was read.
    Notice(Notice),
    /// The notice is well-formed eForms but unusable as a listing.
    Rejected(Rejected),
}

const EXTENSION: &str =
    "ext:UBLExtensions/ext:UBLExtension/ext:ExtensionContent/efext:EformsExtension";

/// The notice page on TED for a publication number `NNNNNN-YYYY`.
pub fn notice_url(publication_id: &str) -> String {
    format!("https://ted.europa.eu/en/notice/-/detail/{publication_id}")
}

/// `00761524-2023` → `761524-2023`.
fn normalise_publication_id(raw: &str) -> String {
    match raw.trim().split_once('-') {
        Some((num, year)) => {
            let num = num.trim_start_matches('0');
            format!("{}-{year}", if num.is_empty() { "0" } else { num })
        }
        None => raw.trim().to_owned(),
    }
}

/// Parse one TED notice document.
pub fn parse_notice(bytes: &[u8], limits: &Limits) -> Result<ParsedNotice, FeedError> {
    let doc = xml::parse(bytes, limits)?;
    let root = doc.root();
    match doc.node(root).local.as_str() {
        "TED_EXPORT" => {
            return Err(FeedError::TedXmlUnsupported {
                version: doc.attr(root, "VERSION").unwrap_or("unknown").to_owned(),
            });
        }
        "ContractNotice" | "PriorInformationNotice" | "ContractAwardNotice" => {}
        other => {
            return Err(FeedError::NotEforms {
                root: other.to_owned(),
            });
        }
    }
    Ok(notice(&doc, root))
}

/// The text of the first `step` child in the notice language, else the first one.
fn in_language<'d>(doc: &'d Doc, parent: usize, step: &str, lang: Option<&str>) -> Option<&'d str> {
    let all: Vec<usize> = doc.children(parent, step).collect();
    lang.and_then(|l| {
        all.iter()
            .find(|n| {
                doc.attr(**n, "languageID")
                    .is_some_and(|x| x.eq_ignore_ascii_case(l))
            })
            .and_then(|n| doc.text(*n))
    })
    .or_else(|| all.iter().find_map(|n| doc.text(*n)))
}

fn project_cpvs(
    doc: &Doc,
    project: usize,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for path in [
        "cac:MainCommodityClassification/cbc:ItemClassificationCode",
        "cac:AdditionalCommodityClassification/cbc:ItemClassificationCode",
    ] {
        for code in doc.all(project, path) {
            if doc.attr(code, "listName").is_some_and(|l| l != "cpv") {
                continue;
            }
            let raw = doc.text(code).unwrap_or("");
            match parse_cpv(raw) {
                Some(c) if !out.contains(&c) => out.push(c),
                Some(_) => {}
                None => problems.push(Problem {
                    field: format!("{field}{path}"),
                    reason: format!("not a CPV code (8 digits, optional -N): {raw:?}"),
                }),
            }
        }
    }
    out
}

fn address(doc: &Doc, addr: usize) -> Place {
    let t = |p: &str| doc.text_at(addr, p).map(str::to_owned);
    Place {
        nuts: t("cbc:CountrySubentityCode"),
        postal_code: t("cbc:PostalZone"),
        city: t("cbc:CityName"),
        country: t("cac:Country/cbc:IdentificationCode"),
    }
}

fn deadline(doc: &Doc, period: usize) -> Option<Deadline> {
    let (date, date_off) = split_offset(doc.text_at(period, "cbc:EndDate")?);
    let time = doc.text_at(period, "cbc:EndTime").map(split_offset);
    Some(Deadline {
        date: date.to_owned(),
        time: time.map(|(t, _)| t.to_owned()),
        offset: time.and_then(|(_, o)| o).or(date_off).map(str::to_owned),
    })
}

fn buyer(doc: &Doc, root: usize, lang: Option<&str>) -> ContractingBody {
    let Some(party) = doc.find(root, "cac:ContractingParty/cac:Party") else {
        return ContractingBody::default();
    };
    let org_id = doc.text_at(party, "cac:PartyIdentification/cbc:ID");
    let company = org_id.and_then(|id| {
        doc.all(
            root,
            &format!("{EXTENSION}/efac:Organizations/efac:Organization/efac:Company"),
        )
        .into_iter()
        .find(|c| doc.text_at(*c, "cac:PartyIdentification/cbc:ID") == Some(id))
    });
    // Without an organisation block, read the party itself (some converted notices).
    let body = company.unwrap_or(party);
    let name = doc
        .child(body, "cac:PartyName")
        .and_then(|pn| in_language(doc, pn, "cbc:Name", lang))
        .map(str::to_owned);
    ContractingBody {
        name,
        nif: doc
            .text_at(body, "cac:PartyLegalEntity/cbc:CompanyID")
            .map(str::to_owned),
        dir3: None,
        address: doc
            .child(body, "cac:PostalAddress")
            .map(|a| address(doc, a))
            .unwrap_or_default(),
    }
}

fn notice(doc: &Doc, root: usize) -> ParsedNotice {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let ext = doc.find(root, EXTENSION);
    let publication = ext.and_then(|x| doc.child(x, "efac:Publication"));
    let publication_id = publication
        .and_then(|p| doc.text_at(p, "efbc:NoticePublicationID"))
        .map(normalise_publication_id);
    let notice_id = doc.text_at(root, "cbc:ID").map(str::to_owned);
    let external_id = publication_id.clone().or_else(|| notice_id.clone());
    if external_id.is_none() {
        problems.push(Problem {
            field: "efbc:NoticePublicationID".into(),
            reason: "missing, and no cbc:ID either".into(),
        });
    }
    let lang_code = doc.text_at(root, "cbc:NoticeLanguageCode");
    let language = lang_code.map_or_else(String::new, iso639_1);

    let issue_date = doc.text_at(root, "cbc:IssueDate");
    let issue_time = doc.text_at(root, "cbc:IssueTime");
    let version = issue_date.and_then(|d| {
        let (date, date_off) = split_offset(d);
        let (time, time_off) = issue_time.map_or(("00:00:00", None), split_offset);
        let off = time_off.or(date_off).unwrap_or("Z");
        let mut v = Version::parse(&format!("{date}T{time}{off}"))?;
        v.original = match issue_time {
            Some(t) => format!("{d} {t}"),
            None => d.to_owned(),
        };
        Some(v)
    });
    if version.is_none() {
        problems.push(Problem {
            field: "cbc:IssueDate".into(),
            reason: format!("missing or not a date: {issue_date:?} {issue_time:?}"),
        });
    }

    let project = doc.child(root, "cac:ProcurementProject");
    let title = project
        .and_then(|p| in_language(doc, p, "cbc:Name", lang_code))
        .map(str::to_owned);
    if title.is_none() {
        problems.push(Problem {
            field: "cac:ProcurementProject/cbc:Name".into(),
            reason: "missing".into(),
        });
    }
    let description = project
        .and_then(|p| in_language(doc, p, "cbc:Description", lang_code))
        .map(str::to_owned);
    let mut cpv = project
        .map(|p| project_cpvs(doc, p, "cac:ProcurementProject/", &mut problems))
        .unwrap_or_default();
    let (contract_type, contract_type_code) =
        match project.and_then(|p| doc.text_at(p, "cbc:ProcurementTypeCode")) {
            Some(c) => (Some(ContractType::from_eforms(c)), Some(c.to_owned())),
            None => (None, None),
        };
    let estimated_value = amount(
        doc,
        project.and_then(|p| {
            doc.find(
                p,
                "cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount",
            )
        }),
        "cac:ProcurementProject/cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount",
        &mut warnings,
    );
    let mut place = project
        .and_then(|p| doc.find(p, "cac:RealizedLocation/cac:Address"))
        .map(|a| address(doc, a))
        .unwrap_or_default();

    let mut lots = Vec::new();
    let mut deadlines = Vec::new();
    if let Some(d) = doc
        .find(
            root,
            "cac:TenderingProcess/cac:TenderSubmissionDeadlinePeriod",
        )
        .and_then(|p| deadline(doc, p))
    {
        deadlines.push(d);
    }
    for (li, lot) in doc.children(root, "cac:ProcurementProjectLot").enumerate() {
        let id_node = doc.child(lot, "cbc:ID");
        if id_node.and_then(|i| doc.attr(i, "schemeName")) == Some("LotsGroup") {
            continue;
        }
        let field = format!(
            "cac:ProcurementProjectLot[{}]/cac:ProcurementProject/",
            li + 1
        );
        let lp = doc.child(lot, "cac:ProcurementProject");
        let lot_place = lp
            .and_then(|p| doc.find(p, "cac:RealizedLocation/cac:Address"))
            .map(|a| address(doc, a));
        if place.nuts.is_none()
            && let Some(lpl) = lot_place.as_ref().filter(|pl| pl.nuts.is_some())
        {
            place = lpl.clone();
        }
        if let Some(d) = doc
            .find(
                lot,
                "cac:TenderingProcess/cac:TenderSubmissionDeadlinePeriod",
            )
            .and_then(|p| deadline(doc, p))
        {
            deadlines.push(d);
        }
        lots.push(Lot {
            id: id_node
                .and_then(|i| doc.text(i))
                .map_or_else(|| (li + 1).to_string(), str::to_owned),
            title: lp
                .and_then(|p| in_language(doc, p, "cbc:Name", lang_code))
                .map(str::to_owned),
            cpv: lp
                .map(|p| project_cpvs(doc, p, &field, &mut problems))
                .unwrap_or_default(),
            budget_without_taxes: amount(
                doc,
                lp.and_then(|p| {
                    doc.find(
                        p,
                        "cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount",
                    )
                }),
                &format!("{field}cac:RequestedTenderTotal/cbc:EstimatedOverallContractAmount"),
                &mut warnings,
            ),
            nuts: lot_place.and_then(|p| p.nuts),
        });
    }
    if cpv.is_empty() {
        for lot in &lots {
            for c in &lot.cpv {
                if !cpv.contains(c) {
                    cpv.push(c.clone());
                }
            }
        }
    }
    let deadline = deadlines
        .into_iter()
        .min_by(|a, b| (&a.date, &a.time).cmp(&(&b.date, &b.time)));

    let procedure_code = doc
        .text_at(root, "cac:TenderingProcess/cbc:ProcedureCode")
        .map(str::to_owned);
    let procedure = procedure_code
        .as_deref()
        .and_then(ProcedureType::from_eforms);
    if let (Some(code), None) = (&procedure_code, procedure) {
        warnings.push(Problem {
            field: "cac:TenderingProcess/cbc:ProcedureCode".into(),
            reason: format!("unknown procedure code {code:?}"),
        });
    }
    let publication_date = publication
        .and_then(|p| doc.text_at(p, "efbc:PublicationDate"))
        .or(issue_date)
        .map(|d| split_offset(d).0.to_owned());

    match (external_id, version, title, problems.is_empty()) {
        (Some(external_id), Some(version), Some(title), true) => ParsedNotice::Notice(Notice {
            source: Source::Ted,
            form: Some(match doc.node(root).local.as_str() {
                "PriorInformationNotice" => NoticeForm::PriorInformation,
                "ContractAwardNotice" => NoticeForm::Award,
                _ => NoticeForm::Contract,
            }),
            link: publication_id.as_deref().map(notice_url),
            external_id,
            version,
            folder_id: doc.text_at(root, "cbc:ContractFolderID").map(str::to_owned),
            description: description.unwrap_or_else(|| title.clone()),
            title,
            cpv,
            lots,
            budget_without_taxes: None,
            estimated_value,
            deadline,
            publication_date,
            place,
            buyer: buyer(doc, root, lang_code),
            procedure,
            procedure_code,
            contract_type,
            contract_type_code,
            status: None,
            language,
            warnings,
        }),
        (external_id, ..) => ParsedNotice::Rejected(Rejected {
            entry_id: external_id,
            problems,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publication_ids() {
        assert_eq!(normalise_publication_id("00761524-2023"), "761524-2023");
        assert_eq!(normalise_publication_id("404080-2018"), "404080-2018");
        assert_eq!(
            notice_url("761524-2023"),
            "https://ted.europa.eu/en/notice/-/detail/761524-2023"
        );
    }
}
