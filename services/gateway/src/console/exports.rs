//! The exports of a firm's leads and of the adviser's pipeline: CSV (UTF-8 with a BOM,
//! for spreadsheets) and the firm's one-page PDF lead sheet ([`crate::lead_sheet`]).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use pyred_proto::v1 as pb;

use super::Console;
use super::records::{leads_of, my_firms};
use super::views::{closed_view, km_text, lead_status, reason_text, status_word, trip_view};
use crate::AppState;
use crate::i18n::Lang;
use crate::json::{KindJson, date_text, timestamp_text, today_plus};

fn csv_response(filename: &str, rows: Vec<Vec<String>>) -> Response {
    let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    for row in rows {
        if writer.write_record(&row).is_err() {
            return (StatusCode::INTERNAL_SERVER_ERROR, "csv").into_response();
        }
    }
    let Ok(bytes) = writer.into_inner() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "csv").into_response();
    };
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn lead_row(lang: Lang, m: &pb::Match) -> Vec<String> {
    let words = lang.words();
    let travel = m.travel.as_ref();
    vec![
        m.company_id.clone(),
        m.company_name.clone(),
        m.opportunity_id.clone(),
        m.opportunity_title.clone(),
        format!("{:.3}", m.score),
        words
            .get(format!("st_{}", status_word(lead_status(m.status))).as_str())
            .copied()
            .unwrap_or_default()
            .to_owned(),
        m.distance_km.map(|d| format!("{d:.1}")).unwrap_or_default(),
        travel
            .map(|t| format!("{:.0}", t.minutes))
            .unwrap_or_default(),
        travel.map(|t| format!("{:.1}", t.km)).unwrap_or_default(),
        travel
            .map(|t| crate::i18n::crossing_name(lang, &t.crossing).to_owned())
            .unwrap_or_default(),
        m.reasons
            .iter()
            .map(|r| reason_text(lang, r))
            .collect::<Vec<_>>()
            .join(" | "),
        m.dismiss_reason.clone(),
        m.notes
            .iter()
            .map(|n| n.text.clone())
            .collect::<Vec<_>>()
            .join(" | "),
        m.updated_at
            .as_ref()
            .map(timestamp_text)
            .unwrap_or_default(),
    ]
}

fn lead_header(lang: Lang) -> Vec<String> {
    let words = lang.words();
    [
        "firm",
        "firm",
        "opportunity",
        "opportunity",
        "score",
        "status",
        "distance",
        "drive_minutes",
        "road_km",
        "crossing",
        "reasons",
        "dismiss_reason",
        "notes",
        "last_visit",
    ]
    .iter()
    .enumerate()
    .map(|(i, key)| {
        let word = words[key];
        match (i, *key) {
            (0 | 2, _) => format!("{word} id"),
            (_, "last_visit") => "updated_at".to_owned(),
            _ => word.to_owned(),
        }
    })
    .collect()
}

pub(crate) async fn firm_leads_csv(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let leads = match leads_of(&state, console.key(), &id, &[], 100).await {
        Ok(leads) => leads,
        Err(error) => return console.error(&state, &error),
    };
    let mut rows = vec![lead_header(console.lang)];
    rows.extend(leads.iter().map(|m| lead_row(console.lang, m)));
    let name = console.lang.words()["leads_file"];
    csv_response(&format!("{name}-{}.csv", file_safe(&id)), rows)
}

/// `id` reduced to the characters safe in a file name.
fn file_safe(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

// ----- PDF lead sheet -----

/// The firm's lead sheet as a one-page PDF: its ten best leads as the firm page shows
/// them. The leads are asked first, as the CSV export does, so both answer the same to
/// an adviser who does not see the firm.
pub(crate) async fn firm_leads_pdf(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Response {
    let leads = match leads_of(
        &state,
        console.key(),
        &id,
        &[],
        i32::try_from(crate::lead_sheet::MAX_LEADS).unwrap_or(10),
    )
    .await
    {
        Ok(leads) => leads,
        Err(error) => return console.error(&state, &error),
    };
    let mut registry = state.upstream.registry();
    let mut listings_registry = state.upstream.registry();
    let company = registry.get_company(console.key().request(pb::GetCompanyRequest {
        id: id.clone(),
        legal_id: String::new(),
    }));
    let listings =
        listings_registry.batch_get_opportunities(console.key().request(pb::BatchGetRequest {
            ids: leads.iter().map(|m| m.opportunity_id.clone()).collect(),
        }));
    let (company, listings) = tokio::join!(company, listings);
    let company = match company {
        Ok(company) => company.into_inner(),
        Err(status) => return console.error(&state, &status.into()),
    };
    // A listing the key may not read (or gone meanwhile) shows without place, kind and
    // deadline, as its lead still shows on the firm page.
    let listings = match listings {
        Ok(listings) => listings.into_inner().opportunities,
        Err(status) => {
            tracing::warn!(code = ?status.code(), message = status.message(), "lead sheet listings unread");
            Vec::new()
        }
    };
    let lang = console.lang;
    let firm = sheet_firm(lang, &company);
    let sheet_leads: Vec<crate::lead_sheet::SheetLead> = leads
        .iter()
        .map(|m| {
            let listing = listings.iter().find(|o| o.id == m.opportunity_id);
            sheet_lead(lang, m, listing)
        })
        .collect();
    let bytes =
        crate::lead_sheet::lead_sheet(lang, &firm, &sheet_leads, &date_text(&today_plus(0)));
    let filename = format!("{}-{}.pdf", lang.words()["lead_sheet_file"], file_safe(&id));
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The firm as the sheet shows it, as on its console page.
fn sheet_firm(lang: Lang, company: &pb::Company) -> crate::lead_sheet::SheetFirm {
    let location = company.location.clone().unwrap_or_default();
    let place = match (
        location.place_name.is_empty(),
        location.place_code.is_empty(),
    ) {
        (false, false) => format!(
            "{} ({}), {}",
            location.place_name, location.place_code, company.region
        ),
        (false, true) => format!("{}, {}", location.place_name, company.region),
        _ => company.region.clone(),
    };
    let nace_lang = match lang {
        Lang::Fr => pyred_domain::nace::Lang::Fr,
        Lang::Es => pyred_domain::nace::Lang::Es,
        Lang::En => pyred_domain::nace::Lang::En,
    };
    let sector = company
        .activities
        .iter()
        .map(
            |activity| match pyred_domain::NaceCode::parse(&activity.nace) {
                Ok(code) => format!("{} {}", activity.nace, code.label(nace_lang)),
                Err(_) => activity.nace.clone(),
            },
        )
        .collect::<Vec<_>>()
        .join("; ");
    crate::lead_sheet::SheetFirm {
        name: company.name.clone(),
        legal_id: company
            .legal_id
            .as_ref()
            .map(|l| l.display.clone())
            .unwrap_or_default(),
        place,
        sector,
        offers: company.offers.clone(),
        seeks: company.seeks.clone(),
    }
}

/// One lead with its listing's place, kind and deadline, in the sheet's language.
fn sheet_lead(
    lang: Lang,
    m: &pb::Match,
    listing: Option<&pb::Opportunity>,
) -> crate::lead_sheet::SheetLead {
    let words = lang.words();
    let place = listing
        .map(|o| {
            let name = o
                .location
                .as_ref()
                .map(|l| l.place_name.as_str())
                .unwrap_or_default();
            match (name.is_empty(), o.region.is_empty()) {
                (false, false) => format!("{name} ({})", o.region),
                (false, true) => name.to_owned(),
                _ => o.region.clone(),
            }
        })
        .unwrap_or_default();
    let kind = listing
        .and_then(|o| KindJson::from_pb(o.kind))
        .and_then(|kind| words.get(format!("k_{}", kind.as_str()).as_str()).copied())
        .unwrap_or_default()
        .to_owned();
    crate::lead_sheet::SheetLead {
        score: format!("{:.0} %", m.score * 100.0),
        title: m.opportunity_title.clone(),
        place,
        distance: trip_view(lang, m.travel.as_ref())
            .or_else(|| m.distance_km.map(km_text))
            .unwrap_or_default(),
        closed: closed_view(lang, m.travel.as_ref()).unwrap_or_default(),
        kind,
        deadline: listing
            .and_then(|o| o.deadline.as_ref())
            .map(date_text)
            .unwrap_or_default(),
        reasons: m.reasons.iter().map(|r| reason_text(lang, r)).collect(),
    }
}

pub(crate) async fn pipeline_csv(State(state): State<AppState>, console: Console) -> Response {
    let firms = match my_firms(&state, &console.session).await {
        Ok(firms) => firms,
        Err(error) => return console.error(&state, &error),
    };
    // Every lead the adviser has worked: all but the merely proposed.
    let statuses: Vec<pb::MatchStatus> = pb::MatchStatus::WORKFLOW
        .into_iter()
        .filter(|status| *status != pb::MatchStatus::Proposed)
        .collect();
    let lists = futures::future::join_all(
        firms
            .iter()
            .map(|firm| leads_of(&state, console.key(), &firm.id, &statuses, 100)),
    )
    .await;
    let mut rows = vec![lead_header(console.lang)];
    for list in lists {
        match list {
            Ok(leads) => rows.extend(leads.iter().map(|m| lead_row(console.lang, m))),
            Err(error) if error.status == StatusCode::NOT_FOUND => {}
            Err(error) => return console.error(&state, &error),
        }
    }
    csv_response(
        &format!("{}.csv", console.lang.words()["pipeline_file"]),
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leads_csv_has_the_trip_s_columns() {
        let header = lead_header(Lang::Fr);
        assert_eq!(
            &header[6..10],
            ["Distance", "Minutes de route", "Km par la route", "Passage"]
        );
        assert_eq!(header.last().map(String::as_str), Some("updated_at"));
        let lead = pb::Match {
            travel: Some(pb::TravelLeg {
                minutes: 190.4,
                km: 263.04,
                crossing: "somport-tunnel".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let row = lead_row(Lang::Es, &lead);
        assert_eq!(row.len(), header.len());
        assert_eq!(&row[7..10], ["190", "263.0", "el túnel de Somport"]);
        let old = lead_row(Lang::Es, &pb::Match::default());
        assert_eq!(&old[7..10], ["", "", ""]);
    }
}
