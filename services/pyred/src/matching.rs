//! `pyred match`: the best listings for a firm, or the best firms for a listing,
//! scored and explained by the matchmaking model.
//!
//! Records come from a data-set directory (`--dir`, the interchange format) or, without
//! it, from the registry of the running stack (every company and listing, paged). The
//! scoring is the model's own ([`pyred_matching::Matcher`]), the one the matchmaking
//! service calls, with corpus statistics over all the records read.
//!
//! Output: a numbered French list with the reasons, or with `--json` an array of
//! `{"id": <external id>, "score": <float>, "reasons": [<string>, ...]}`, best first
//! (`reasons` in French; `reasons_es` in Spanish).

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use pyred_domain::Day;
use pyred_matching::{Matcher, Scored};

use pyred_runtime::client;
use serde::Serialize;

use crate::eval::{Dataset, EvalError, Profiles};
use crate::stack::StackAddresses;

/// Command line of `pyred match`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["company", "opportunity"])))]
pub struct MatchArgs {
    /// The firm (registry id or publisher id) whose best listings to show.
    #[arg(long, value_name = "ID")]
    pub company: Option<String>,
    /// The listing (registry id or publisher id) whose best firms to show.
    #[arg(long, value_name = "ID")]
    pub opportunity: Option<String>,
    /// How many results.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Evaluation day (liveness, deadlines); default: today.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::eval::parse_day)]
    pub as_of: Option<Day>,
    /// Print a JSON array.
    #[arg(long)]
    pub json: bool,
    /// Read the records from this data-set directory instead of the running stack.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print the model's feature values and sides (for model work).
    #[arg(long, hide = true)]
    pub debug: bool,
}

impl MatchArgs {
    /// The options these arguments give.
    pub fn options(&self) -> MatchOptions {
        let target = match (&self.company, &self.opportunity) {
            (Some(company), _) => Target::Company(company.clone()),
            (None, Some(opportunity)) => Target::Opportunity(opportunity.clone()),
            (None, None) => Target::Company(String::new()),
        };
        MatchOptions {
            target,
            top: self.top,
            as_of: self.as_of,
            json: self.json,
            dir: self.dir.clone(),
            debug: self.debug,
        }
    }
}

/// Largest page asked of the registry.
const PAGE_SIZE: i32 = 100;

/// What to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The best listings for this firm (registry or publisher id).
    Company(String),
    /// The best firms for this listing (registry or publisher id).
    Opportunity(String),
}

/// Options of `pyred match`.
#[derive(Debug, Clone)]
pub struct MatchOptions {
    /// What to match.
    pub target: Target,
    /// How many results.
    pub top: usize,
    /// Evaluation day; default: today.
    pub as_of: Option<Day>,
    /// JSON output.
    pub json: bool,
    /// Data-set directory; default: the running stack's registry.
    pub dir: Option<PathBuf>,
    /// Print feature values and sides.
    pub debug: bool,
}

/// Why `pyred match` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum MatchCommandError {
    /// The data set could not be read.
    #[error(transparent)]
    Dataset(#[from] EvalError),
    /// The registry address is invalid.
    #[error(transparent)]
    Client(#[from] client::ClientError),
    /// The registry failed.
    #[error("the registry at {url} failed: {status}")]
    Registry {
        /// Its address.
        url: String,
        /// Its answer.
        #[source]
        status: tonic::Status,
    },
    /// The stack file could not be read.
    #[error(transparent)]
    Stack(#[from] crate::stack::StackError),
    /// No record has this id.
    #[error("{entity} {id} not found")]
    NotFound {
        /// `company` or `opportunity`.
        entity: &'static str,
        /// The id asked for.
        id: String,
    },
}

/// One result line of the JSON output.
#[derive(Debug, Clone, Serialize)]
pub struct MatchLine {
    /// External id of the listing (or firm).
    pub id: String,
    /// Score in [0, 1].
    pub score: f64,
    /// Reasons in French, strongest first.
    pub reasons: Vec<String>,
    /// Reasons in Spanish.
    pub reasons_es: Vec<String>,
    /// Title of the listing, or name of the firm.
    pub title: String,
    /// Feature values, with `--debug`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug: Option<String>,
}

/// Reads every company and listing of the registry at `url`.
async fn load_registry(
    connector: &client::Connector,
    url: &str,
) -> Result<Dataset, MatchCommandError> {
    let channel = connector.channel(url)?;
    let failed = |status| MatchCommandError::Registry {
        url: url.to_owned(),
        status,
    };
    let mut dataset = Dataset::default();
    client::each_company_page(&channel, PAGE_SIZE, |page| {
        dataset.companies.extend(page);
        ControlFlow::Continue(())
    })
    .await
    .map_err(failed)?;
    client::each_opportunity_page(&channel, PAGE_SIZE, |page| {
        dataset.opportunities.extend(page);
        ControlFlow::Continue(())
    })
    .await
    .map_err(failed)?;
    Ok(dataset)
}

/// Scores the target against the records of `dataset` on `as_of`.
///
/// # Errors
/// [`MatchCommandError::NotFound`] when no record has the id; model errors.
pub fn rank(
    dataset: &Dataset,
    target: &Target,
    top: usize,
    as_of: Day,
    debug: bool,
) -> Result<Vec<MatchLine>, MatchCommandError> {
    let matcher = Matcher::new().map_err(EvalError::from)?;
    let profiles = Profiles::build(&matcher, dataset)?;
    let Profiles {
        companies,
        opportunities,
        stats,
    } = &profiles;
    let lines = match target {
        Target::Company(id) => {
            let company = companies
                .iter()
                .find(|c| c.id == *id || c.external_id == *id)
                .ok_or_else(|| MatchCommandError::NotFound {
                    entity: "company",
                    id: id.clone(),
                })?;
            matcher
                .matches_for_company(company, opportunities, stats, as_of, top)
                .into_iter()
                .map(|s| {
                    let listing = opportunities.iter().find(|o| o.id == s.opportunity_id);
                    let mut line = line(
                        &s,
                        listing.map_or(s.opportunity_id.as_str(), |o| {
                            external_or_id(&o.external_id, &o.id)
                        }),
                        listing.map_or("", |o| o.title.as_str()),
                    );
                    if debug && let Some(listing) = listing {
                        line.debug = Some(debug_text(&s, company, listing));
                    }
                    line
                })
                .collect()
        }
        Target::Opportunity(id) => {
            let opportunity = opportunities
                .iter()
                .find(|o| o.id == *id || o.external_id == *id)
                .ok_or_else(|| MatchCommandError::NotFound {
                    entity: "opportunity",
                    id: id.clone(),
                })?;
            matcher
                .companies_for_opportunity(opportunity, companies, stats, as_of, top)
                .into_iter()
                .map(|s| {
                    let firm = companies.iter().find(|c| c.id == s.company_id);
                    let mut line = line(
                        &s,
                        firm.map_or(s.company_id.as_str(), |c| {
                            external_or_id(&c.external_id, &c.id)
                        }),
                        firm.map_or("", |c| c.name.as_str()),
                    );
                    if debug && let Some(firm) = firm {
                        line.debug = Some(debug_text(&s, firm, opportunity));
                    }
                    line
                })
                .collect()
        }
    };
    Ok(lines)
}

fn external_or_id<'a>(external: &'a str, id: &'a str) -> &'a str {
    if external.is_empty() { id } else { external }
}

fn line(scored: &Scored, id: &str, title: &str) -> MatchLine {
    MatchLine {
        id: id.to_owned(),
        score: (scored.score * 10_000.0).round() / 10_000.0,
        reasons: scored.reasons.iter().map(|r| r.text_fr.clone()).collect(),
        reasons_es: scored.reasons.iter().map(|r| r.text_es.clone()).collect(),
        title: title.to_owned(),
        debug: None,
    }
}

fn bag_text(bag: &pyred_matching::profile::Bag) -> String {
    let mut concepts: Vec<(&&str, &f64)> = bag.concepts.iter().collect();
    concepts.sort_by(|a, b| b.1.total_cmp(a.1));
    concepts
        .iter()
        .map(|(id, w)| format!("{id}:{w:.2}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The feature values and sides of a pair, for model work.
pub fn debug_text(
    scored: &Scored,
    company: &pyred_matching::CompanyProfile,
    opportunity: &pyred_matching::OpportunityProfile,
) -> String {
    let b = &scored.breakdown;
    format!(
        "supply c{:.3}/s{:.3} source c{:.3}/s{:.3} compete {:.3} mirror {:.3} rel {:.3} dir {:.2} sector {:.2} dist {:.2} market {:.2} lang {:.2} size {:.2}\n        listing needs: {}\n        listing provides: {}\n        firm provides: {}\n        firm wants: {}",
        b.supply.concepts,
        b.supply.stems,
        b.source.concepts,
        b.source.stems,
        b.compete,
        b.mirror,
        b.relevance,
        b.direction,
        b.sector,
        b.distance,
        b.market,
        b.language,
        b.size,
        bag_text(&opportunity.needs),
        bag_text(&opportunity.provides),
        bag_text(&company.provides),
        bag_text(&company.wants),
    )
}

/// Runs `pyred match`: 0 on success, 1 when the id is unknown, 2 when the records
/// cannot be read.
pub async fn command(
    data_dir: &std::path::Path,
    registry_url: &str,
    connector: &client::Connector,
    options: MatchOptions,
) -> ExitCode {
    let loaded = match &options.dir {
        Some(dir) => Dataset::load(dir).map_err(MatchCommandError::from),
        None => {
            let url = match StackAddresses::read(data_dir) {
                Ok(Some(addresses)) => addresses.registry,
                Ok(None) => registry_url.to_owned(),
                Err(error) => {
                    eprintln!("pyred: {error}");
                    return ExitCode::from(2);
                }
            };
            load_registry(connector, &url).await
        }
    };
    let dataset = match loaded {
        Ok(dataset) => dataset,
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(2);
        }
    };
    let as_of = options.as_of.unwrap_or_else(Day::today);
    let lines = match rank(&dataset, &options.target, options.top, as_of, options.debug) {
        Ok(lines) => lines,
        Err(error @ MatchCommandError::NotFound { .. }) => {
            eprintln!("pyred: {error}");
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("pyred: {error}");
            return ExitCode::from(2);
        }
    };
    if options.json {
        match serde_json::to_string_pretty(&lines) {
            Ok(text) => println!("{text}"),
            Err(error) => {
                eprintln!("pyred: {error}");
                return ExitCode::from(2);
            }
        }
        return ExitCode::SUCCESS;
    }
    let (what, id) = match &options.target {
        Target::Company(id) => ("Opportunités pour l'entreprise", id),
        Target::Opportunity(id) => ("Entreprises pour l'opportunité", id),
    };
    println!(
        "{what} {id} au {} ({} résultats) :",
        pyred_matching::explain::format_day(as_of),
        lines.len()
    );
    for (rank, line) in lines.iter().enumerate() {
        println!(
            "{:>2}. {}  {}  {}",
            rank + 1,
            format!("{:.3}", line.score).replace('.', ","),
            line.id,
            line.title
        );
        println!("      {}", line.reasons.join(" · "));
        if let Some(debug) = &line.debug {
            println!("      {debug}");
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::eval::tests::fixture;

    #[test]
    fn both_directions_answer_from_a_directory() {
        let dir = fixture();
        let dataset = Dataset::load(dir.path()).unwrap();
        let as_of = Day::parse("2026-12-01").unwrap();
        let leads = rank(
            &dataset,
            &Target::Company("fr-foie-gras".to_owned()),
            10,
            as_of,
            false,
        )
        .unwrap();
        assert_eq!(leads[0].id, "es-4");
        assert!(
            leads.iter().all(|l| l.id != "es-5"),
            "expired listing proposed"
        );
        assert!(!leads[0].reasons.is_empty() && !leads[0].reasons_es.is_empty());
        let firms = rank(
            &dataset,
            &Target::Opportunity("es-3".to_owned()),
            2,
            as_of,
            false,
        )
        .unwrap();
        assert_eq!(firms[0].id, "fr-cuves");
        assert!(firms.len() <= 2);
        let json = serde_json::to_value(&firms).unwrap();
        assert!(
            json[0]["score"]
                .as_f64()
                .is_some_and(|s| (0.0..=1.0).contains(&s))
        );
        assert!(json[0].get("debug").is_none());
        assert!(matches!(
            rank(
                &dataset,
                &Target::Company("nobody".to_owned()),
                10,
                as_of,
                false
            ),
            Err(MatchCommandError::NotFound { .. })
        ));
    }
}
