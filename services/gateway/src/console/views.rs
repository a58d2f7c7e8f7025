//! The views several pages share: a lead card (firm, listing, dashboard and alerts
//! pages), a firm, a search hit, and the texts they are built from.
//!
//! Views keep numbers as numbers (a lead's score is the service's fraction; templates
//! print it with the `percent` filter), so a page or a test can order them by value.

use pyred_proto::v1 as pb;
use serde::Serialize;

use crate::i18n::Lang;
use crate::json::{
    KindJson, LanguageJson, MatchStatusJson, VisibilityJson, date_text, timestamp_text,
};

/// A lead's workflow status as the service's enum (an unknown number reads as
/// proposed, as the service stores no other).
pub(crate) fn lead_status(status: i32) -> pb::MatchStatus {
    pb::MatchStatus::try_from(status)
        .ok()
        .filter(|status| *status != pb::MatchStatus::Unspecified)
        .unwrap_or(pb::MatchStatus::Proposed)
}

/// The JSON word of a lead status (`contacted`), as templates and forms spell it.
pub(crate) fn status_word(status: pb::MatchStatus) -> &'static str {
    MatchStatusJson::from_pb(status as i32).map_or("proposed", MatchStatusJson::as_str)
}

/// A reason in the page's language (French when no Spanish text was written).
pub(crate) fn reason_text(lang: Lang, reason: &pb::MatchReason) -> String {
    match lang {
        Lang::Es if !reason.text_es.is_empty() => reason.text_es.clone(),
        _ => reason.text_fr.clone(),
    }
}

/// A distance as the console prints it (`210 km`).
pub(crate) fn km_text(km: f64) -> String {
    format!("{km:.0} km")
}

/// A lead's trip by road as its card says it (« 3 h 10 par le tunnel du Somport ·
/// 263 km »); `None` for a match scored before matches carried their trip, whose card
/// shows the straight-line distance instead.
pub fn trip_view(lang: Lang, travel: Option<&pb::TravelLeg>) -> Option<String> {
    travel.map(|t| crate::i18n::trip_text(lang, t.minutes, t.km, &t.crossing))
}

/// The warning of a trip whose best crossing was closed on the day it was scored.
pub fn closed_view(lang: Lang, travel: Option<&pb::TravelLeg>) -> Option<String> {
    travel
        .filter(|t| !t.closed_crossing.is_empty())
        .map(|t| crate::i18n::closed_crossing_text(lang, &t.closed_crossing, t.detour_minutes))
}

/// A note on a lead.
#[derive(Debug, Clone, Serialize)]
pub struct NoteView {
    /// Who wrote it (key id).
    pub author: String,
    /// The note.
    pub text: String,
    /// When, RFC 3339.
    pub at: Option<String>,
}

/// A lead card with its workflow (`templates/leads.html`).
#[derive(Debug, Clone, Serialize)]
pub struct LeadView {
    /// The match id.
    pub id: String,
    /// The firm.
    pub company_id: String,
    /// The firm's name.
    pub company_name: String,
    /// The listing.
    pub opportunity_id: String,
    /// The listing's title.
    pub title: String,
    /// Score in [0, 1], printed as a percent by the template.
    pub score: f64,
    /// Why, in the page's language.
    pub reasons: Vec<String>,
    /// Straight-line distance (`210 km`), when known.
    pub distance: Option<String>,
    /// The trip by road, when known.
    pub travel: Option<String>,
    /// The warning of a crossing closed that day.
    pub travel_closed: Option<String>,
    /// The status word.
    pub status: &'static str,
    /// The statuses the workflow allows next (dismissal apart).
    pub next: Vec<&'static str>,
    /// Whether the lead may still be dismissed.
    pub can_dismiss: bool,
    /// Why it was dismissed.
    pub dismiss_reason: String,
    /// Notes, oldest first.
    pub notes: Vec<NoteView>,
    /// The version the status forms post back.
    pub version: i64,
}

/// A lead as its card shows it.
pub fn match_view(lang: Lang, m: &pb::Match) -> LeadView {
    let status = lead_status(m.status);
    LeadView {
        id: m.id.clone(),
        company_id: m.company_id.clone(),
        company_name: m.company_name.clone(),
        opportunity_id: m.opportunity_id.clone(),
        title: m.opportunity_title.clone(),
        score: m.score,
        reasons: m.reasons.iter().map(|r| reason_text(lang, r)).collect(),
        distance: m.distance_km.map(km_text),
        travel: trip_view(lang, m.travel.as_ref()),
        travel_closed: closed_view(lang, m.travel.as_ref()),
        status: status_word(status),
        next: status
            .next()
            .filter(|next| *next != pb::MatchStatus::Dismissed)
            .map(status_word)
            .collect(),
        can_dismiss: status.may_move_to(pb::MatchStatus::Dismissed),
        dismiss_reason: m.dismiss_reason.clone(),
        notes: m
            .notes
            .iter()
            .map(|n| NoteView {
                author: n.author.clone(),
                text: n.text.clone(),
                at: n.created_at.as_ref().map(timestamp_text),
            })
            .collect(),
        version: m.version,
    }
}

/// A firm's contact.
#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    /// Who.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: String,
}

/// A firm as its page and its form's heading show it.
#[derive(Debug, Clone, Serialize)]
pub struct CompanyView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Place name.
    pub place: String,
    /// Place code (INSEE/INE).
    pub place_code: String,
    /// Region (ISO 3166-2).
    pub region: String,
    /// Head count, when known.
    pub employees: Option<i32>,
    /// Description.
    pub description: String,
    /// What it offers.
    pub offers: String,
    /// What it seeks.
    pub seeks: String,
    /// Activities as given.
    pub activities: Vec<String>,
    /// NACE codes.
    pub nace: Vec<String>,
    /// Languages spoken.
    pub languages: Vec<String>,
    /// SIREN/SIRET/NIF as displayed.
    pub legal_id: Option<String>,
    /// Contact.
    pub contact: Option<ContactView>,
    /// Visibility word.
    pub visibility: Option<&'static str>,
    /// Service radius (`120 km`).
    pub service_radius_km: Option<String>,
    /// Service radius in driving time (`3 h 30`).
    pub service_radius_hours: Option<String>,
    /// Version.
    pub version: i64,
}

impl CompanyView {
    /// The view of a registry record.
    pub fn of(company: &pb::Company) -> Self {
        let location = company.location.clone().unwrap_or_default();
        Self {
            id: company.id.clone(),
            name: company.name.clone(),
            place: location.place_name,
            place_code: location.place_code,
            region: company.region.clone(),
            employees: company.employees,
            description: company.description.clone(),
            offers: company.offers.clone(),
            seeks: company.seeks.clone(),
            activities: company.activities.iter().map(|a| a.given.clone()).collect(),
            nace: company.activities.iter().map(|a| a.nace.clone()).collect(),
            languages: company.languages.clone(),
            legal_id: company.legal_id.as_ref().map(|l| l.display.clone()),
            contact: company.contact.as_ref().map(|c| ContactView {
                name: c.name.clone(),
                email: c.email.clone(),
                phone: c.phone.clone(),
            }),
            visibility: VisibilityJson::from_pb(company.visibility).map(VisibilityJson::as_str),
            service_radius_km: company.service_radius_km.map(|km| format!("{km} km")),
            service_radius_hours: company.service_radius_hours.map(hours_text),
            version: company.version,
        }
    }
}

/// Hours of driving as an adviser reads them: `3 h 30`, `2 h`, `0 h 45`.
fn hours_text(hours: f64) -> String {
    // Service radii are a few hours: the minutes fit.
    #[allow(clippy::cast_possible_truncation)]
    let minutes = (hours * 60.0).round() as i64;
    match minutes % 60 {
        0 => format!("{} h", minutes / 60),
        rest => format!("{} h {rest:02}", minutes / 60),
    }
}

/// A run of a snippet, marked when it matched the query.
#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    /// The text (escaped by the template).
    pub text: String,
    /// Whether it is a highlight.
    pub mark: bool,
}

/// A search hit (search page, dashboard deadlines).
#[derive(Debug, Clone, Serialize)]
pub struct HitView {
    /// The trip from the travel area's centre, when searched by travel time.
    pub travel: Option<String>,
    /// Id.
    pub id: String,
    /// `company` or `opportunity`.
    pub entity: &'static str,
    /// Title or firm name.
    pub title: String,
    /// Place name.
    pub place: String,
    /// Region.
    pub region: String,
    /// Listing kind word.
    pub kind: Option<&'static str>,
    /// Deadline, `YYYY-MM-DD`.
    pub deadline: Option<String>,
    /// Distance from the point searched.
    pub distance: Option<String>,
    /// Language word.
    pub language: Option<&'static str>,
    /// Snippets as runs.
    pub snippets: Vec<Vec<Segment>>,
    /// Glossary concepts matched.
    pub concepts: Vec<String>,
    /// A tender's buyer.
    pub buyer: Option<String>,
}

impl HitView {
    /// The view of a search hit.
    pub fn of(hit: &pb::SearchHit, lang: Lang) -> Self {
        Self {
            travel: hit
                .travel_minutes
                .map(|minutes| crate::i18n::travel_text(lang, minutes, &hit.crossing)),
            id: hit.id.clone(),
            entity: if hit.entity == pb::EntityKind::Company as i32 {
                "company"
            } else {
                "opportunity"
            },
            title: hit.title.clone(),
            place: hit.place_name.clone(),
            region: hit.region.clone(),
            kind: KindJson::from_pb(hit.kind).map(KindJson::as_str),
            deadline: hit.deadline.as_ref().map(date_text),
            distance: hit.distance_km.map(km_text),
            language: LanguageJson::from_pb(hit.language).map(LanguageJson::as_str),
            snippets: hit.snippets.iter().map(snippet_segments).collect(),
            concepts: hit.matched_concepts.clone(),
            buyer: (!hit.buyer_name.is_empty()).then(|| hit.buyer_name.clone()),
        }
    }
}

/// A snippet as runs, so the template escapes every piece.
fn snippet_segments(snippet: &pb::Snippet) -> Vec<Segment> {
    let text = &snippet.text;
    let mut ranges: Vec<(usize, usize)> = snippet
        .highlights
        .iter()
        .filter_map(|h| Some((usize::try_from(h.start).ok()?, usize::try_from(h.end).ok()?)))
        .filter(|(s, e)| {
            s < e && *e <= text.len() && text.is_char_boundary(*s) && text.is_char_boundary(*e)
        })
        .collect();
    ranges.sort_unstable();
    let segment = |range: std::ops::Range<usize>, mark| Segment {
        text: text[range].to_owned(),
        mark,
    };
    let mut out = Vec::new();
    let mut at = 0;
    for (start, end) in ranges {
        if start < at {
            continue;
        }
        if start > at {
            out.push(segment(at..start, false));
        }
        out.push(segment(start..end, true));
        at = end;
    }
    if at < text.len() {
        out.push(segment(at..text.len(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A lead card as the firm, listing and dashboard pages render it.
    fn card(lang: Lang, m: &pb::Match) -> String {
        let env = crate::templates().expect("templates compile");
        env.render_str(
            "{% from \"leads.html\" import lead %}{{ lead(m, t, \"tok\", \"/console\") }}",
            json!({"m": match_view(lang, m), "t": lang.words()}),
        )
        .expect("the card renders")
    }

    #[test]
    fn a_lead_card_shows_its_trip_and_the_crossing_closed_that_day() {
        let lead = pb::Match {
            id: "m1".to_owned(),
            distance_km: Some(150.2),
            travel: Some(pb::TravelLeg {
                minutes: 250.4,
                km: 263.0,
                crossing: "somport-tunnel".to_owned(),
                closed_crossing: "portalet".to_owned(),
                detour_minutes: 25.0,
            }),
            ..Default::default()
        };
        let fr = card(Lang::Fr, &lead);
        assert!(
            fr.contains("Trajet : 4 h 10 par le tunnel du Somport · 263 km"),
            "{fr}"
        );
        assert!(
            fr.contains("le col du Pourtalet est fermé ce jour (+25 min)"),
            "{fr}"
        );
        assert!(
            !fr.contains("150 km"),
            "the trip replaces the straight line"
        );
        let es = card(Lang::Es, &lead);
        assert!(
            es.contains("Trayecto : 4 h 10 por el túnel de Somport · 263 km"),
            "{es}"
        );
        assert!(
            es.contains("el puerto del Portalet está cerrado ese día (+25 min)"),
            "{es}"
        );
        // A trip through open crossings has no warning; an old match without its trip
        // shows the straight-line distance.
        let open = pb::Match {
            travel: lead.travel.clone().map(|t| pb::TravelLeg {
                closed_crossing: String::new(),
                detour_minutes: 0.0,
                ..t
            }),
            ..lead.clone()
        };
        assert!(!card(Lang::Fr, &open).contains("travel-closed"));
        let old = pb::Match {
            travel: None,
            ..lead
        };
        let old = card(Lang::Fr, &old);
        assert!(old.contains("Distance : 150 km"), "{old}");
        assert!(!old.contains("Trajet"), "{old}");
    }

    #[test]
    fn a_lead_offers_the_moves_of_the_proto_workflow() {
        let at = |status: pb::MatchStatus| {
            match_view(
                Lang::Fr,
                &pb::Match {
                    status: status as i32,
                    ..Default::default()
                },
            )
        };
        let proposed = at(pb::MatchStatus::Proposed);
        assert_eq!(
            proposed.next,
            ["shortlisted", "contacted", "meeting", "won", "lost"]
        );
        assert!(proposed.can_dismiss);
        assert_eq!(
            at(pb::MatchStatus::Shortlisted).next,
            ["contacted", "meeting", "lost"]
        );
        assert_eq!(at(pb::MatchStatus::Meeting).next, ["won", "lost"]);
        for done in [
            pb::MatchStatus::Won,
            pb::MatchStatus::Lost,
            pb::MatchStatus::Dismissed,
        ] {
            let view = at(done);
            assert!(view.next.is_empty() && !view.can_dismiss, "{done:?}");
        }
        let unknown = at(pb::MatchStatus::Unspecified);
        assert_eq!(unknown.status, "proposed");
        assert_eq!(unknown.next, proposed.next);
    }
}
