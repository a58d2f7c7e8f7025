//! PLACSP syndication: an ATOM `<feed>` page (or a bare `<entry>` fragment) of CODICE
//! `cac-place-ext:ContractFolderStatus` entries into a [`Page`] of notices, tombstones
//! and rejected entries.
//!
//! An entry that cannot be read (no title, a broken CPV code, an unknown status…) is
//! rejected alone with field paths like `entry[3].cac:ProcurementProject/cbc:Name`
//! (entries numbered from 1 in document order); the rest of the page is kept.

use serde::Serialize;

use crate::error::FeedError;
use crate::model::{
    Amount, ContractType, ContractingBody, Deadline, FolderStatus, Lot, Notice, Place, Problem,
    ProcedureType, Rejected, Source, Tombstone, Version, parse_cpv, split_offset,
};
use crate::xml::{self, Doc, Limits};

/// One parsed PLACSP page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    /// Entries read, in document order.
    pub notices: Vec<Notice>,
    /// Deleted entries, in document order.
    pub tombstones: Vec<Tombstone>,
    /// Entries that could not be read.
    pub rejected: Vec<Rejected>,
    /// `link[@rel="next"]`: the older page to read next.
    pub next_link: Option<String>,
    /// `link[@rel="prev"]`.
    pub prev_link: Option<String>,
    /// `link[@rel="self"]`.
    pub self_link: Option<String>,
    /// The feed's `updated`.
    pub feed_updated: Option<Version>,
}

/// Parse a PLACSP ATOM page, or a bare `<entry>` (with or without namespace
/// declarations) as a one-entry page.
pub fn parse_page(bytes: &[u8], limits: &Limits) -> Result<Page, FeedError> {
    let doc = xml::parse(bytes, limits)?;
    let root = doc.root();
    let mut page = Page {
        notices: Vec::new(),
        tombstones: Vec::new(),
        rejected: Vec::new(),
        next_link: None,
        prev_link: None,
        self_link: None,
        feed_updated: None,
    };
    let local = doc.node(root).local.as_str();
    let entries: Vec<usize> = match local {
        "feed" => {
            for link in doc.children(root, "link") {
                let href = doc.attr(link, "href").map(str::to_owned);
                match doc.attr(link, "rel") {
                    Some("next") => page.next_link = href,
                    Some("prev") | Some("previous") => page.prev_link = href,
                    Some("self") => page.self_link = href,
                    _ => {}
                }
            }
            page.feed_updated = doc.text_at(root, "updated").and_then(Version::parse);
            for t in doc.children(root, "at:deleted-entry") {
                if let Some(t) = tombstone(&doc, t) {
                    page.tombstones.push(t);
                } else {
                    page.rejected.push(Rejected {
                        entry_id: None,
                        problems: vec![Problem {
                            field: "at:deleted-entry/@ref".into(),
                            reason: "missing".into(),
                        }],
                    });
                }
            }
            doc.children(root, "entry").collect()
        }
        "entry" => vec![root],
        "deleted-entry" => {
            if let Some(t) = tombstone(&doc, root) {
                page.tombstones.push(t);
            }
            Vec::new()
        }
        other => {
            return Err(FeedError::NotAtom {
                root: other.to_owned(),
            });
        }
    };
    for (i, e) in entries.into_iter().enumerate() {
        match entry(&doc, e, i + 1) {
            Ok(n) => page.notices.push(n),
            Err(r) => page.rejected.push(r),
        }
    }
    Ok(page)
}

fn tombstone(doc: &Doc, t: usize) -> Option<Tombstone> {
    let reference = doc.attr(t, "ref")?.trim().to_owned();
    let when_original = doc.attr(t, "when").map(str::to_owned);
    Some(Tombstone {
        reference,
        when: when_original.as_deref().and_then(Version::parse),
        when_original,
        reason: doc
            .child(t, "at:comment")
            .and_then(|c| doc.attr(c, "type"))
            .map(str::to_owned),
    })
}

/// Collects problems for one entry with its `entry[i].` prefix.
struct Problems {
    prefix: String,
    list: Vec<Problem>,
}

impl Problems {
    fn push(&mut self, field: &str, reason: impl Into<String>) {
        self.list.push(Problem {
            field: format!("{}{field}", self.prefix),
            reason: reason.into(),
        });
    }
}

pub(crate) fn amount(
    doc: &Doc,
    id: Option<usize>,
    field: &str,
    warnings: &mut Vec<Problem>,
) -> Option<Amount> {
    let id = id?;
    let value = doc.text(id)?;
    if value.parse::<f64>().is_err() {
        warnings.push(Problem {
            field: field.to_owned(),
            reason: format!("not a decimal amount: {value:?}"),
        });
        return None;
    }
    Some(Amount {
        value: value.to_owned(),
        currency: doc.attr(id, "currencyID").map(str::to_owned),
    })
}

fn cpvs(doc: &Doc, project: usize, path_prefix: &str, problems: &mut Problems) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in doc.all(
        project,
        "cac:RequiredCommodityClassification/cbc:ItemClassificationCode",
    ) {
        let raw = doc.text(code).unwrap_or("");
        match parse_cpv(raw) {
            Some(c) => {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            None => problems.push(
                &format!(
                    "{path_prefix}cac:RequiredCommodityClassification/cbc:ItemClassificationCode"
                ),
                format!("not a CPV code (8 digits, optional -N): {raw:?}"),
            ),
        }
    }
    out
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

fn entry(doc: &Doc, e: usize, index: usize) -> Result<Notice, Rejected> {
    let mut p = Problems {
        prefix: format!("entry[{index}]."),
        list: Vec::new(),
    };
    let mut warnings = Vec::new();
    let id = owned(doc.text_at(e, "id"));
    if id.is_none() {
        p.push("id", "missing");
    }
    let updated = doc.text_at(e, "updated");
    let version = match updated {
        None => {
            p.push("updated", "missing");
            None
        }
        Some(u) => {
            let v = Version::parse(u);
            if v.is_none() {
                p.push("updated", format!("not an RFC 3339 timestamp: {u:?}"));
            }
            v
        }
    };
    let link = doc
        .children(e, "link")
        .find(|l| matches!(doc.attr(*l, "rel"), None | Some("alternate")))
        .and_then(|l| doc.attr(l, "href"))
        .map(|h| h.trim().to_owned());

    let Some(cfs) = doc.child(e, "cac-place-ext:ContractFolderStatus") else {
        p.push("cac-place-ext:ContractFolderStatus", "missing");
        return Err(Rejected {
            entry_id: id,
            problems: p.list,
        });
    };
    let folder_id = owned(doc.text_at(cfs, "cbc:ContractFolderID"));
    if folder_id.is_none() {
        p.push("cbc:ContractFolderID", "missing");
    }
    let status = match doc.text_at(cfs, "cbc-place-ext:ContractFolderStatusCode") {
        None => {
            p.push("cbc-place-ext:ContractFolderStatusCode", "missing");
            None
        }
        Some(code) => {
            let s = FolderStatus::from_code(code);
            if s.is_none() {
                p.push(
                    "cbc-place-ext:ContractFolderStatusCode",
                    format!("unknown status {code:?} (expected PRE, PUB, EV, ADJ, RES or ANUL)"),
                );
            }
            s
        }
    };

    let project = doc.child(cfs, "cac:ProcurementProject");
    let title = project
        .and_then(|pr| doc.text_at(pr, "cbc:Name"))
        .map(str::to_owned);
    if title.is_none() {
        p.push("cac:ProcurementProject/cbc:Name", "missing");
    }
    let description = project
        .and_then(|pr| doc.text_at(pr, "cbc:Description"))
        .map(str::to_owned);
    let cpv = project
        .map(|pr| cpvs(doc, pr, "cac:ProcurementProject/", &mut p))
        .unwrap_or_default();
    let (contract_type, contract_type_code) =
        match project.and_then(|pr| doc.text_at(pr, "cbc:TypeCode")) {
            Some(c) => (Some(ContractType::from_codice(c)), Some(c.to_owned())),
            None => (None, None),
        };
    let budget_field = format!("{}cac:ProcurementProject/cac:BudgetAmount/", p.prefix);
    let budget = project.and_then(|pr| doc.child(pr, "cac:BudgetAmount"));
    let budget_without_taxes = amount(
        doc,
        budget.and_then(|b| doc.child(b, "cbc:TaxExclusiveAmount")),
        &format!("{budget_field}cbc:TaxExclusiveAmount"),
        &mut warnings,
    );
    let estimated_value = amount(
        doc,
        budget.and_then(|b| doc.child(b, "cbc:EstimatedOverallContractAmount")),
        &format!("{budget_field}cbc:EstimatedOverallContractAmount"),
        &mut warnings,
    );
    let place = project
        .and_then(|pr| doc.child(pr, "cac:RealizedLocation"))
        .map(|loc| Place {
            nuts: owned(doc.text_at(loc, "cbc:CountrySubentityCode")),
            postal_code: owned(doc.text_at(loc, "cac:Address/cbc:PostalZone")),
            city: owned(doc.text_at(loc, "cac:Address/cbc:CityName")),
            country: owned(doc.text_at(loc, "cac:Address/cac:Country/cbc:IdentificationCode")),
        })
        .unwrap_or_default();

    let mut lots = Vec::new();
    for (li, lot) in doc.children(cfs, "cac:ProcurementProjectLot").enumerate() {
        let lp = doc.child(lot, "cac:ProcurementProject");
        let prefix = format!(
            "cac:ProcurementProjectLot[{}]/cac:ProcurementProject/",
            li + 1
        );
        lots.push(Lot {
            id: doc
                .text_at(lot, "cbc:ID")
                .map_or_else(|| (li + 1).to_string(), str::to_owned),
            title: owned(lp.and_then(|x| doc.text_at(x, "cbc:Name"))),
            cpv: lp
                .map(|x| cpvs(doc, x, &prefix, &mut p))
                .unwrap_or_default(),
            budget_without_taxes: amount(
                doc,
                lp.and_then(|x| doc.find(x, "cac:BudgetAmount/cbc:TaxExclusiveAmount")),
                &format!(
                    "{}{prefix}cac:BudgetAmount/cbc:TaxExclusiveAmount",
                    p.prefix
                ),
                &mut warnings,
            ),
            nuts: owned(
                lp.and_then(|x| doc.text_at(x, "cac:RealizedLocation/cbc:CountrySubentityCode")),
            ),
        });
    }

    let process = doc.child(cfs, "cac:TenderingProcess");
    let deadline = process
        .and_then(|pr| doc.child(pr, "cac:TenderSubmissionDeadlinePeriod"))
        .and_then(|d| {
            let (date, date_off) = split_offset(doc.text_at(d, "cbc:EndDate")?);
            let time = doc.text_at(d, "cbc:EndTime").map(split_offset);
            Some(Deadline {
                date: date.to_owned(),
                time: time.map(|(t, _)| t.to_owned()),
                offset: time.and_then(|(_, o)| o).or(date_off).map(str::to_owned),
            })
        });
    let procedure_code = owned(process.and_then(|pr| doc.text_at(pr, "cbc:ProcedureCode")));
    let procedure = procedure_code
        .as_deref()
        .and_then(ProcedureType::from_codice);
    if let (Some(code), None) = (&procedure_code, procedure) {
        warnings.push(Problem {
            field: format!("{}cac:TenderingProcess/cbc:ProcedureCode", p.prefix),
            reason: format!("unknown procedure code {code:?}"),
        });
    }

    let buyer = doc
        .find(cfs, "cac-place-ext:LocatedContractingParty/cac:Party")
        .map(|party| {
            let scheme = |name: &str| {
                doc.all(party, "cac:PartyIdentification/cbc:ID")
                    .into_iter()
                    .find(|i| doc.attr(*i, "schemeName") == Some(name))
                    .and_then(|i| doc.text(i))
                    .map(str::to_owned)
            };
            let addr = doc.child(party, "cac:PostalAddress");
            ContractingBody {
                name: owned(doc.text_at(party, "cac:PartyName/cbc:Name")),
                nif: scheme("NIF"),
                dir3: scheme("DIR3"),
                address: addr
                    .map(|a| Place {
                        nuts: owned(doc.text_at(a, "cbc:CountrySubentityCode")),
                        postal_code: owned(doc.text_at(a, "cbc:PostalZone")),
                        city: owned(doc.text_at(a, "cbc:CityName")),
                        country: owned(doc.text_at(a, "cac:Country/cbc:IdentificationCode")),
                    })
                    .unwrap_or_default(),
            }
        })
        .unwrap_or_default();

    // First publication: the earliest issue date among the published notices; the
    // entry's `updated` (last change) only when none is given.
    let publication_date = doc
        .all(
            cfs,
            "cac-place-ext:ValidNoticeInfo/cac-place-ext:AdditionalPublicationStatus/cac-place-ext:AdditionalPublicationDocumentReference/cbc:IssueDate",
        )
        .into_iter()
        .filter_map(|d| doc.text(d))
        .map(|d| split_offset(d).0)
        .min()
        .map(str::to_owned)
        .or_else(|| updated.and_then(|u| u.get(..10)).map(str::to_owned));

    match (id, version, title, p.list.is_empty()) {
        (Some(external_id), Some(version), Some(title), true) => Ok(Notice {
            source: Source::Placsp,
            form: None,
            external_id,
            version,
            folder_id,
            description: description.unwrap_or_else(|| title.clone()),
            title,
            cpv,
            lots,
            budget_without_taxes,
            estimated_value,
            deadline,
            publication_date,
            place,
            buyer,
            link,
            procedure,
            procedure_code,
            contract_type,
            contract_type_code,
            status,
            language: "es".into(),
            warnings,
        }),
        (id, ..) => Err(Rejected {
            entry_id: id,
            problems: p.list,
        }),
    }
}
