//! `pyred search`: the console's search box from the terminal.
//!
//! The arguments become the JSON API's search parameters and go through the gateway's
//! own [`pyred_gateway::api::search_request`], so the filters, their defaults and their
//! refusals are those of `GET /api/v1/search`; the request goes to geo-search over gRPC
//! with the caller's key. Output: a table an adviser reads (title, place, distance,
//! driving time and crossing for a travel search, kind, deadline, matched concepts;
//! headers in French, or Spanish with `--ui es`) or, with `--json`, the JSON API's
//! response body.

use std::fmt::Write as _;
use std::process::ExitCode;

use pyred_gateway::api::{SearchQuery, search_json, search_request};
use pyred_gateway::i18n::Lang;
use pyred_gateway::json::KindJson;
use pyred_proto::v1 as pb;
use pyred_proto::v1::geo_search_client::GeoSearchClient;
use pyred_runtime::client;
use pyred_text::{Glossary, Language};

/// Radius around `--near` when `--radius` is not given, km.
pub const DEFAULT_RADIUS_KM: f64 = 50.0;

/// Driving time from `--travel-from` when `--max-minutes` is not given.
pub const DEFAULT_MAX_MINUTES: f64 = 120.0;

/// Widest title shown in the table, characters.
const TITLE_CHARS: usize = 60;

/// Command line of `pyred search`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SearchArgs {
    /// Words to find, in French or Spanish (none: everything the filters allow).
    #[arg(value_name = "QUERY", default_value = "")]
    pub query: String,
    /// Around this place (name, exonym such as "Saragosse", or INSEE/INE code).
    #[arg(long, value_name = "PLACE")]
    pub near: Option<String>,
    /// Radius around --near, km (default 50).
    #[arg(long, value_name = "KM")]
    pub radius: Option<f64>,
    /// Within a driving time of this place, by road through the Pyrenean crossings
    /// open on --as-of (name, exonym or INSEE/INE code); not with --near.
    #[arg(long, value_name = "PLACE")]
    pub travel_from: Option<String>,
    /// Driving time from --travel-from, minutes (more than 0, at most 720; default 120).
    #[arg(long, value_name = "MINUTES")]
    pub max_minutes: Option<f64>,
    /// Only listings of this kind (tender, business_request, business_offer,
    /// partnership, technology_offer, technology_request); repeatable.
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Only this region or province (ISO 3166-2: ES-AR, ES-Z, FR-32); repeatable.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// company or opportunity (default: both).
    #[arg(long, value_name = "ENTITY")]
    pub entity: Option<String>,
    /// Language of the query, fr or es (default: identified).
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// Only tenders under this CPV prefix (2 to 8 digits).
    #[arg(long, value_name = "PREFIX")]
    pub cpv: Option<String>,
    /// Only records under this NACE prefix (`25`, `25.62`).
    #[arg(long, value_name = "PREFIX")]
    pub nace: Option<String>,
    /// relevance (default), distance, deadline, published or travel-time (with
    /// --near or --travel-from).
    #[arg(long, value_name = "ORDER")]
    pub sort: Option<String>,
    /// How many results (at most 100).
    #[arg(long, default_value_t = 20)]
    pub limit: i32,
    /// Day of liveness (YYYY-MM-DD; default: today).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<String>,
    /// Print the JSON API's response body instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Language of the table: fr (default) or es.
    #[arg(long, value_name = "LANG", default_value = "fr")]
    pub ui: String,
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum SearchCommandError {
    /// An argument is refused (by the API's rules or by geo-search).
    #[error("{flag}: {reason}")]
    Argument {
        /// The command-line flag.
        flag: String,
        /// Why.
        reason: String,
    },
    /// geo-search could not be reached or failed.
    #[error("geo-search: {0}")]
    Service(String),
}

/// The flag of an API parameter or service field, for messages.
fn flag_of(field: &str) -> String {
    let field = field.strip_prefix("filters.").unwrap_or(field);
    let flag = match field {
        "q" | "query" => "QUERY",
        "kinds" => "--kind",
        "regions" => "--region",
        "radius_km" | "radius" => "--radius",
        "place" | "radius.place" => "--near",
        "travel_from" | "travel.place" | "travel" | "travel.centre" => "--travel-from",
        "max_minutes" | "travel.max_minutes" => "--max-minutes",
        "cpv_prefix" => "--cpv",
        "nace_prefix" => "--nace",
        "page_size" | "page" => "--limit",
        "as_of" => "--as-of",
        "language" => "--language",
        "entity" => "--entity",
        "sort" => "--sort",
        other => return format!("--{}", other.replace('_', "-")),
    };
    flag.to_owned()
}

impl SearchArgs {
    /// The JSON API's parameters these arguments stand for.
    pub fn query(&self) -> SearchQuery {
        let joined = |items: &[String]| (!items.is_empty()).then(|| items.join(","));
        let near = self.near.clone().filter(|n| !n.trim().is_empty());
        let travel_from = self.travel_from.clone().filter(|n| !n.trim().is_empty());
        // The API spells the sort with an underscore; the flag reads better with a dash.
        let sort = self.sort.as_deref().map(|s| s.trim().replace('-', "_"));
        SearchQuery {
            page_size: Some(self.limit),
            q: Some(self.query.clone()),
            language: self.language.clone(),
            entity: self.entity.clone(),
            kinds: joined(&self.kinds),
            regions: joined(&self.regions),
            nace_prefix: self.nace.clone(),
            cpv_prefix: self.cpv.clone(),
            radius_km: self
                .radius
                .or_else(|| near.as_ref().map(|_| DEFAULT_RADIUS_KM)),
            place: near,
            max_minutes: self
                .max_minutes
                .or_else(|| travel_from.as_ref().map(|_| DEFAULT_MAX_MINUTES)),
            travel_from,
            sort,
            as_of: self.as_of.clone(),
            ..SearchQuery::default()
        }
    }
}

/// Runs the search against geo-search at `url`.
///
/// # Errors
/// [`SearchCommandError::Argument`] for a refused argument (named by its flag),
/// [`SearchCommandError::Service`] when geo-search fails.
pub async fn run(
    args: &SearchArgs,
    connector: &client::Connector,
    url: &str,
) -> Result<pb::SearchResponse, SearchCommandError> {
    if args.radius.is_some() && args.near.is_none() {
        return Err(SearchCommandError::Argument {
            flag: "--radius".to_owned(),
            reason: "needs --near".to_owned(),
        });
    }
    if args.max_minutes.is_some() && args.travel_from.is_none() {
        return Err(SearchCommandError::Argument {
            flag: "--max-minutes".to_owned(),
            reason: "needs --travel-from".to_owned(),
        });
    }
    if args.travel_from.is_some() && args.near.is_some() {
        return Err(SearchCommandError::Argument {
            flag: "--travel-from".to_owned(),
            reason: "give either --near or --travel-from".to_owned(),
        });
    }
    let request = search_request(&args.query()).map_err(|error| {
        let (field, reason) = error
            .violations
            .first()
            .map(|v| (v.field.clone(), v.description.clone()))
            .unwrap_or_else(|| (String::new(), error.message.clone()));
        SearchCommandError::Argument {
            flag: flag_of(&field),
            reason,
        }
    })?;
    let channel = connector
        .channel(url)
        .map_err(|e| SearchCommandError::Service(e.to_string()))?;
    let mut search = GeoSearchClient::new(channel);
    match search.search(request).await {
        Ok(response) => Ok(response.into_inner()),
        Err(status) if status.code() == tonic::Code::InvalidArgument => {
            let (field, reason) = pyred_runtime::error::violations_of(&status)
                .into_iter()
                .next()
                .unwrap_or_else(|| (String::new(), status.message().to_owned()));
            Err(SearchCommandError::Argument {
                flag: flag_of(&field),
                reason,
            })
        }
        Err(status) => Err(SearchCommandError::Service(status.message().to_owned())),
    }
}

fn date_text(date: Option<&pb::Date>) -> String {
    date.map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
        .unwrap_or_default()
}

fn clip(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(chars.saturating_sub(1)).collect();
        clipped.push('…');
        clipped
    }
}

/// The table an adviser reads: one line per hit, headers in `ui`'s language.
pub fn render_table(response: &pb::SearchResponse, ui: Lang) -> String {
    let words = ui.words();
    let word = |key: &str| -> String {
        words
            .get(key)
            .map_or_else(|| key.to_owned(), |w| (*w).to_owned())
    };
    let glossary = Glossary::embedded().ok();
    let label_language = if ui == Lang::Es {
        Language::Es
    } else {
        Language::Fr
    };
    // The driving time column only when the search computed it.
    let travel = response.hits.iter().any(|h| h.travel_minutes.is_some());
    let mut headers = vec![
        "#".to_owned(),
        word("title"),
        word("place"),
        word("distance"),
    ];
    if travel {
        headers.push(word("by_travel_time"));
    }
    headers.extend([word("kind"), word("deadline"), word("concepts")]);
    let rows: Vec<Vec<String>> = response
        .hits
        .iter()
        .enumerate()
        .map(|(i, hit)| {
            let kind = KindJson::from_pb(hit.kind)
                .map(|k| word(&format!("k_{}", k.as_str())))
                .unwrap_or_default();
            let concepts = hit
                .matched_concepts
                .iter()
                .map(|id| {
                    glossary
                        .and_then(|g| g.label(id, label_language))
                        .unwrap_or(id)
                        .to_owned()
                })
                .collect::<Vec<_>>()
                .join(", ");
            let mut row = vec![
                (i + 1).to_string(),
                clip(&hit.title, TITLE_CHARS),
                hit.place_name.clone(),
                hit.distance_km
                    .map(|d| format!("{d:.0} km"))
                    .unwrap_or_default(),
            ];
            if travel {
                row.push(
                    hit.travel_minutes
                        .map(|m| pyred_gateway::i18n::travel_text(ui, m, &hit.crossing))
                        .unwrap_or_default(),
                );
            }
            row.extend([kind, date_text(hit.deadline.as_ref()), concepts]);
            row
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let mut text = String::new();
        for (cell, width) in cells.iter().zip(&widths) {
            let pad = width.saturating_sub(cell.chars().count());
            let _ = write!(text, "{cell}{}  ", " ".repeat(pad));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    let _ = writeln!(out, "{} {}", response.total, word("results"));
    if rows.is_empty() {
        return out;
    }
    line(&mut out, &headers);
    for row in &rows {
        line(&mut out, row);
    }
    out
}

/// `pyred search`: runs the search and prints the table or the JSON body.
pub async fn command(args: &SearchArgs, connector: &client::Connector, url: &str) -> ExitCode {
    let Some(ui) = Lang::parse(&args.ui) else {
        eprintln!("pyred : --ui : fr ou es / fr o es");
        return ExitCode::from(2);
    };
    let response = match run(args, connector, url).await {
        Ok(response) => response,
        Err(error @ SearchCommandError::Argument { .. }) => {
            eprintln!("pyred : argument refusé / argumento rechazado — {error}");
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("pyred : recherche impossible / búsqueda imposible — {error}");
            eprintln!(
                "  la pile est-elle lancée (pyred up) ? / ¿está la pila en marcha (pyred up)?"
            );
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&search_json(&response)) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("pyred: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", render_table(&response, ui));
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_become_the_apis_parameters() {
        let args = SearchArgs {
            query: "usinage".into(),
            near: Some("Saragosse".into()),
            kinds: vec!["tender".into(), "business_request".into()],
            regions: vec!["ES-AR".into()],
            limit: 5,
            ui: "fr".into(),
            ..SearchArgs::default()
        };
        let query = args.query();
        assert_eq!(query.kinds.as_deref(), Some("tender,business_request"));
        assert_eq!(query.radius_km, Some(DEFAULT_RADIUS_KM));
        assert_eq!(query.place.as_deref(), Some("Saragosse"));
        let request = search_request(&query).expect("valid");
        assert_eq!(request.filters.map(|f| f.kinds.len()), Some(2));
    }

    #[test]
    fn travel_flags_become_a_travel_area_and_its_sort() {
        let args = SearchArgs {
            travel_from: Some("Auch".into()),
            sort: Some("travel-time".into()),
            ui: "fr".into(),
            limit: 5,
            ..SearchArgs::default()
        };
        let query = args.query();
        assert_eq!(query.max_minutes, Some(DEFAULT_MAX_MINUTES));
        assert_eq!(query.sort.as_deref(), Some("travel_time"));
        let request = search_request(&query).expect("valid");
        assert_eq!(request.sort, pb::SortOrder::TravelTime as i32);
        match request.geo {
            Some(pb::search_request::Geo::Travel(area)) => {
                assert_eq!(area.max_minutes, DEFAULT_MAX_MINUTES);
                assert_eq!(
                    area.centre,
                    Some(pb::travel_area::Centre::Place("Auch".into()))
                );
            }
            other => panic!("a travel area, not {other:?}"),
        }
        assert_eq!(flag_of("travel.max_minutes"), "--max-minutes");
        assert_eq!(flag_of("travel.place"), "--travel-from");
    }

    #[test]
    fn the_travel_column_shows_time_and_crossing_in_the_advisers_language() {
        let response = pb::SearchResponse {
            hits: vec![pb::SearchHit {
                title: "Suministro de depósitos".into(),
                place_name: "Jaca".into(),
                travel_minutes: Some(155.0),
                crossing: "somport-tunnel".into(),
                ..Default::default()
            }],
            total: 1,
            ..Default::default()
        };
        let fr = render_table(&response, Lang::Fr);
        assert!(
            fr.contains("Temps de route") && fr.contains("2 h 35 par le tunnel du Somport"),
            "{fr}"
        );
        let es = render_table(&response, Lang::Es);
        assert!(es.contains("2 h 35 por el túnel de Somport"), "{es}");
    }

    #[test]
    fn fields_are_named_by_their_flags() {
        assert_eq!(flag_of("kinds"), "--kind");
        assert_eq!(flag_of("filters.cpv_prefix"), "--cpv");
        assert_eq!(flag_of("radius.place"), "--near");
    }

    #[test]
    fn the_table_has_a_line_per_hit_in_the_advisers_language() {
        let response = pb::SearchResponse {
            hits: vec![pb::SearchHit {
                title: "Taller de La Muela ofrece capacidad de mecanizado".into(),
                place_name: "La Muela".into(),
                distance_km: Some(23.4),
                kind: pb::OpportunityKind::BusinessOffer as i32,
                deadline: Some(pb::Date {
                    year: 2027,
                    month: 1,
                    day: 15,
                }),
                ..Default::default()
            }],
            total: 1,
            ..Default::default()
        };
        let fr = render_table(&response, Lang::Fr);
        assert!(fr.starts_with("1 résultats\n"), "{fr}");
        assert!(
            fr.contains("Échéance") && fr.contains("Offre commerciale"),
            "{fr}"
        );
        assert!(fr.contains("23 km") && fr.contains("2027-01-15"), "{fr}");
        let es = render_table(&response, Lang::Es);
        assert!(
            es.contains("Plazo") && es.contains("Oferta comercial"),
            "{es}"
        );
    }
}
