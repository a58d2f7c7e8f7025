//! The console's templates, compiled once into one environment, and the filters they
//! share (`percent`).
//!
//! Undefined variables are an error in debug builds, which every test runs
//! ([`minijinja::UndefinedBehavior::Strict`]): a view field renamed without its template
//! fails the tests instead of rendering empty. Release builds stay lenient, so a page an
//! untested path reaches still renders.

use minijinja::{Environment, UndefinedBehavior};

use crate::GatewayError;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    ("firm.html", include_str!("../../templates/firm.html")),
    (
        "firm_edit.html",
        include_str!("../../templates/firm_edit.html"),
    ),
    (
        "opportunity.html",
        include_str!("../../templates/opportunity.html"),
    ),
    ("search.html", include_str!("../../templates/search.html")),
    ("map.html", include_str!("../../templates/map.html")),
    ("alerts.html", include_str!("../../templates/alerts.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("leads.html", include_str!("../../templates/leads.html")),
    ("cases.html", include_str!("../../templates/cases.html")),
    ("case.html", include_str!("../../templates/case.html")),
    (
        "joint_bids.html",
        include_str!("../../templates/joint_bids.html"),
    ),
];

/// How undefined variables behave: strict wherever tests run.
const UNDEFINED: UndefinedBehavior = if cfg!(debug_assertions) {
    UndefinedBehavior::Strict
} else {
    UndefinedBehavior::Lenient
};

/// A score in [0, 1] as a whole percent (`0.725` → `72`), as the console prints it.
pub fn percent(score: f64) -> String {
    format!("{:.0}", score * 100.0)
}

/// The console's templates, compiled once.
pub fn templates() -> Result<Environment<'static>, GatewayError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UNDEFINED);
    env.add_filter("percent", percent);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|source| GatewayError::Template { name, source })?;
    }
    Ok(env)
}

/// `name` rendered with `context`, for tests: a failure panics with the template's
/// error.
#[cfg(test)]
pub(crate) fn render(name: &str, context: &impl serde::Serialize) -> String {
    templates()
        .expect("templates compile")
        .get_template(name)
        .and_then(|template| template.render(context))
        .unwrap_or_else(|error| panic!("{name}: {error:#}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use pyred_proto::v1 as pb;
    use serde::Serialize;

    use super::{render, templates};
    use crate::alerts::{AlertCard, AlertsPage};
    use crate::console::ErrorView;
    use crate::console::Page;
    use crate::console::auth::{LoginView, login_page_frame};
    use crate::console::dashboard::{DashboardView, FirmRow};
    use crate::console::firm_edit::{EditForm, FirmEditView};
    use crate::console::firms::FirmView;
    use crate::console::listing::{ListingView, OpportunityView, TermView};
    use crate::console::map_page::{CrossingView, MapView};
    use crate::console::search::{FacetView, FacetsView, ResultsView, SearchView};
    use crate::console::views::{CompanyView, HitView, LeadView, match_view};
    use crate::i18n::Lang;
    use crate::upstream::KeyRole;

    /// A signed-in page frame around `view`, as a session of key `abc` gives it.
    fn page<V: Serialize>(lang: Lang, view: &V) -> Page<'_, V> {
        Page::for_test(lang, "/console/search?q=x", view)
    }

    fn lead(score: f64) -> pb::Match {
        pb::Match {
            id: "m1".into(),
            company_id: "c1".into(),
            company_name: "Foies <b>".into(),
            opportunity_id: "o1".into(),
            opportunity_title: "Distribuidor".into(),
            score,
            reasons: vec![pb::MatchReason {
                text_fr: "concepts".into(),
                ..Default::default()
            }],
            distance_km: Some(210.0),
            status: pb::MatchStatus::Proposed as i32,
            notes: vec![pb::MatchNote {
                author: "k".into(),
                text: "n".into(),
                created_at: Some(prost_types::Timestamp {
                    seconds: 1_764_324_000,
                    nanos: 0,
                }),
            }],
            version: 3,
            ..Default::default()
        }
    }

    fn company() -> pb::Company {
        pb::Company {
            id: "c1".into(),
            name: "F <b>".into(),
            region: "FR-32".into(),
            employees: Some(3),
            description: "d".into(),
            offers: "o".into(),
            seeks: "s".into(),
            activities: vec![pb::ActivityCode {
                nace: "25.62".into(),
                given: "usinage".into(),
            }],
            location: Some(pb::Location {
                place_code: "32013".into(),
                place_name: "Auch".into(),
                ..Default::default()
            }),
            contact: Some(pb::Contact {
                name: "n".into(),
                email: "e".into(),
                phone: "p".into(),
            }),
            legal_id: Some(pb::LegalId {
                display: "1".into(),
                ..Default::default()
            }),
            service_radius_hours: Some(3.5),
            version: 4,
            ..Default::default()
        }
    }

    fn hit() -> HitView {
        HitView::of(
            &pb::SearchHit {
                id: "o1".into(),
                entity: pb::EntityKind::Opportunity as i32,
                title: "T".into(),
                place_name: "Z".into(),
                region: "ES-AR".into(),
                kind: pb::OpportunityKind::Tender as i32,
                deadline: Some(pb::Date {
                    year: 2026,
                    month: 12,
                    day: 1,
                }),
                language: pb::Language::Es as i32,
                snippets: vec![pb::Snippet {
                    text: "a<b>".into(),
                    highlights: vec![pb::Highlight { start: 1, end: 4 }],
                    ..Default::default()
                }],
                ..Default::default()
            },
            Lang::Fr,
        )
    }

    fn tender() -> pb::Opportunity {
        pb::Opportunity {
            id: "o2".into(),
            title: "Obras <b>".into(),
            description: "D".into(),
            language: pb::Language::Es as i32,
            kind: pb::OpportunityKind::Tender as i32,
            status: pb::OpportunityStatus::Withdrawn as i32,
            region: "ES-AR".into(),
            buyer: Some(pb::ContractingBody {
                name: "Ayuntamiento de Huesca".into(),
                nif: "P2216900F".into(),
                dir3: String::new(),
            }),
            official_url: "https://contrataciondelestado.es/x?a=1&b=2".into(),
            procedure: pb::ProcedureType::NegotiatedWithoutPublication as i32,
            contract_type: pb::ContractType::Works as i32,
            tender_stage: pb::TenderStage::Cancelled as i32,
            lots: vec![pb::Lot {
                id: "LOT-1".into(),
                title: "Alumbrado".into(),
                cpv: vec!["34928500".into(), "45316110".into()],
                budget_eur: Some(1500.0),
            }],
            nuts: "ES241".into(),
            location_approximate: true,
            withdrawal_reason: "ANULADA".into(),
            ..Default::default()
        }
    }

    /// Every page's template renders from its view struct, with undefined variables an
    /// error (as in every debug build), and escapes what it is given.
    #[test]
    fn every_page_renders_from_its_view_under_strict_undefined() {
        let lang = Lang::Fr;
        let leads: Vec<LeadView> = vec![match_view(lang, &lead(0.72))];
        let mut errors = BTreeMap::new();
        errors.insert("employees".to_owned(), "must be ≥ 0 <b>".to_owned());
        let mut facet_base = BTreeMap::new();
        for param in ["regions", "kinds", "language", "nace_prefix"] {
            facet_base.insert(param, "q=bois".to_owned());
        }
        let territory = ["FR-32".to_owned()].into_iter().collect();
        let pages: Vec<(&str, String)> = vec![
            (
                "login.html",
                render(
                    "login.html",
                    &login_page_frame(
                        lang,
                        "tok",
                        &LoginView {
                            error: Some("bad <b>"),
                        },
                    ),
                ),
            ),
            (
                "error.html",
                render(
                    "error.html",
                    &page(
                        lang,
                        &ErrorView {
                            status: 404,
                            message: "m <b>".into(),
                        },
                    ),
                ),
            ),
            (
                "dashboard.html",
                render(
                    "dashboard.html",
                    &page(
                        lang,
                        &DashboardView {
                            firms: vec![FirmRow {
                                id: "c1".into(),
                                name: "F <b>".into(),
                                place: "Auch".into(),
                                new: 2,
                                best: Some(0.7),
                            }],
                            new_leads: leads.clone(),
                            unread_count: 3,
                            unread_capped: false,
                            deadlines: vec![hit()],
                            territory: &territory,
                            role: KeyRole::Adviser,
                        },
                    ),
                ),
            ),
            (
                "firm.html",
                render(
                    "firm.html",
                    &page(
                        lang,
                        &FirmView {
                            organisations: Vec::new(),
                            firm: CompanyView::of(&company()),
                            leads: leads.clone(),
                            ok: Some("saved"),
                            err: Some("e <b>".into()),
                        },
                    ),
                ),
            ),
            (
                "firm_edit.html",
                render(
                    "firm_edit.html",
                    &page(
                        lang,
                        &FirmEditView {
                            firm: CompanyView::of(&company()),
                            form: EditForm::of(&company()),
                            errors,
                            other_errors: vec!["x <b>".into()],
                        },
                    ),
                ),
            ),
            (
                "opportunity.html",
                render(
                    "opportunity.html",
                    &page(
                        lang,
                        &ListingView {
                            consortia: None,
                            o: OpportunityView::of(&tender(), pyred_text::Language::Es),
                            terms: vec![TermView {
                                id: "machining".into(),
                                term: "mecanizado".into(),
                                fr: "usinage".into(),
                                es: "mecanizado".into(),
                            }],
                            firms: leads.clone(),
                        },
                    ),
                ),
            ),
            (
                "search.html",
                render(
                    "search.html",
                    &page(
                        lang,
                        &SearchView {
                            q: crate::api::SearchQuery {
                                q: Some("bois <b>".into()),
                                sort: Some("relevance".into()),
                                ..Default::default()
                            },
                            results: Some(ResultsView {
                                total: 1,
                                hits: vec![hit()],
                                next: "t".into(),
                                facets: FacetsView {
                                    regions: vec![FacetView {
                                        value: "ES-AR".into(),
                                        count: 1,
                                    }],
                                    kinds: Vec::new(),
                                    nace_divisions: Vec::new(),
                                    languages: Vec::new(),
                                },
                                geo_fallback: String::new(),
                            }),
                            errors: Vec::new(),
                            base_qs: "q=bois".into(),
                            facet_base,
                            kinds: crate::json::KindJson::ALL,
                        },
                    ),
                ),
            ),
            (
                "map.html",
                render(
                    "map.html",
                    &page(
                        lang,
                        &MapView {
                            svg: "<svg></svg>".into(),
                            firm_count: 1,
                            listing_count: 2,
                            day: "2026-12-01".into(),
                            day_asked: true,
                            crossings: vec![CrossingView {
                                number: 1,
                                id: "portalet".into(),
                                name: "Le col du Pourtalet <b>".into(),
                                roads: "A-136".into(),
                                state: "closed",
                                state_text: "fermé".into(),
                            }],
                        },
                    ),
                ),
            ),
            (
                "alerts.html",
                render(
                    "alerts.html",
                    &page(
                        lang,
                        &AlertsPage {
                            alerts: vec![AlertCard {
                                lead: leads[0].clone(),
                                seq: 7,
                                read: false,
                                raised_at: Some("2026-12-01T10:00:00Z".into()),
                            }],
                            unread_count: 1,
                            unread_capped: false,
                            min_score: 30,
                            last_seq: 7,
                            through: 7,
                            unread_only: false,
                            next_before: 0,
                            first_page: true,
                            ok: Some("alerts_read".into()),
                        },
                    ),
                ),
            ),
        ];
        for (name, html) in &pages {
            assert!(!html.contains("<b>"), "{name}: text is escaped");
        }
        let html = |name: &str| {
            pages
                .iter()
                .find(|(page, _)| *page == name)
                .map(|(_, html)| html.clone())
                .unwrap_or_default()
        };
        assert!(html("dashboard.html").contains("<td>70 %</td>"));
        assert!(html("firm.html").contains("72 %"));
        assert!(html("firm.html").contains("name=\"version\" value=\"3\""));
        assert!(html("firm_edit.html").contains("name=\"version\" value=\"4\""));
        assert!(html("firm_edit.html").contains("id=\"e-employees\""));
        assert!(html("alerts.html").contains("<span class=\"score\">72 %</span>"));
    }

    /// A field the template reads but the view lacks fails the render (it no longer
    /// renders empty).
    #[test]
    fn a_renamed_view_field_fails_the_render() {
        #[derive(Serialize)]
        struct Renamed {
            status: u16,
            text: String,
        }
        let env = templates().expect("templates compile");
        let view = Renamed {
            status: 404,
            text: "m".into(),
        };
        let error = env
            .get_template("error.html")
            .and_then(|template| template.render(page(Lang::Fr, &view)))
            .expect_err("`message` is undefined");
        assert_eq!(error.kind(), minijinja::ErrorKind::UndefinedError);
    }

    #[test]
    fn a_tender_page_shows_its_buyer_link_lots_and_words() {
        let render_with = |url: &str| {
            let opportunity = pb::Opportunity {
                official_url: url.to_owned(),
                ..tender()
            };
            let view = ListingView {
                consortia: None,
                o: OpportunityView::of(&opportunity, pyred_text::Language::Es),
                terms: Vec::new(),
                firms: Vec::new(),
            };
            render("opportunity.html", &page(Lang::Fr, &view))
        };
        let html = render_with("https://contrataciondelestado.es/x?a=1&b=2");
        for expected in [
            "Ayuntamiento de Huesca",
            "NIF P2216900F",
            // Attribute text escaped (`/` too): the browser reads the link back unchanged.
            r#"href="https:&#x2f;&#x2f;contrataciondelestado.es&#x2f;x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer""#,
            "Voir l&#x27;avis officiel",
            "Négociée sans publicité préalable",
            "Travaux",
            "Annulée",
            "<td>LOT-1</td>",
            "34928500, 45316110",
            "1500 €",
            "ES241",
            "(localisation approximative)",
            "Motif du retrait :",
            "ANULADA",
        ] {
            assert!(html.contains(expected), "{expected} missing in:\n{html}");
        }
        assert!(!html.contains("DIR3"), "an empty code is left out");
        for hostile in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,x",
            "//evil.example",
        ] {
            let html = render_with(hostile);
            assert!(
                !html.contains("official-link") && !html.contains("evil.example"),
                "{hostile}"
            );
        }
    }

    /// Scores stay numbers in the views: ordered by value (10.2 % above 9.5 %, which a
    /// text order would invert) and printed only by the template.
    #[test]
    fn scores_sort_as_numbers_and_print_as_whole_percents() {
        let views: Vec<LeadView> = [0.095, 0.102, 0.7]
            .into_iter()
            .map(|score| match_view(Lang::Fr, &lead(score)))
            .collect();
        let json = serde_json::to_value(&views[0]).expect("json");
        assert!(json["score"].is_f64(), "{json}");
        let env = templates().expect("templates compile");
        let order = env
            .render_str(
                "{% for m in leads|sort(attribute='score', reverse=true) %}{{ m.score }} {% endfor %}",
                minijinja::context! { leads => views },
            )
            .expect("renders");
        assert_eq!(order, "0.7 0.102 0.095 ");
        // What sorting the printed texts would have given instead.
        let mut texts = ["9.5", "10.2", "70"];
        texts.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(texts, ["9.5", "70", "10.2"]);
        assert_eq!(super::percent(0.095), "10");
        assert_eq!(super::percent(0.7), "70");
    }
}
