//! Brokerage fixtures: the three demo organisations, adviser keys that name them, an
//! Aragonese firm for side B, and a lead of a Gers firm on an arex listing.

use pyred_proto::v1 as pb;
use pyred_runtime::Secret;

use super::World;
use pb::access_client::AccessClient;

/// What a brokerage test works with.
pub struct Brokerage {
    /// Adviser of CCI Gers (FR-32).
    pub gers: Secret,
    /// Adviser of Aragón Exterior (ES-AR, follows `arex` listings).
    pub arex: Secret,
    /// Adviser of ADER La Rioja (ES-RI): a third organisation, foreign to the cases.
    pub ader: Secret,
    /// Side A's firm (Gers) and its firm key.
    pub firm_a: pb::Company,
    pub firm_a_key: Secret,
    /// Side B's firm (Aragón) and its firm key.
    pub firm_b: pb::Company,
    pub firm_b_key: Secret,
    /// The lead: firm A on an arex listing.
    pub lead: pb::Match,
}

fn organisation(
    id: &str,
    name: &str,
    country: &str,
    territory: &str,
    sources: &[&str],
    language: &str,
) -> pb::Organisation {
    pb::Organisation {
        id: id.to_owned(),
        name: name.to_owned(),
        country: country.to_owned(),
        territory: vec![territory.to_owned()],
        sources: sources.iter().map(|s| (*s).to_owned()).collect(),
        language: language.to_owned(),
        ..Default::default()
    }
}

impl World {
    fn access(&self) -> AccessClient<pyred_runtime::client::ServiceChannel> {
        AccessClient::new(self.test.channel(&self.test.stack.addresses.registry))
    }

    /// An adviser key of `organisation` (its territory).
    pub async fn adviser_of(&self, organisation: &str, language: &str) -> Secret {
        let issued = self
            .access()
            .create_key(pb::CreateKeyRequest {
                name: format!("adviser of {organisation}"),
                role: pb::Role::Adviser as i32,
                organisation: organisation.to_owned(),
                language: language.to_owned(),
                ..Default::default()
            })
            .await
            .expect("adviser key created")
            .into_inner();
        Secret::new(issued.secret)
    }

    /// Organisations, keys, side B's firm and a lead to open a case from.
    pub async fn brokerage(&self) -> Brokerage {
        let mut access = self.access();
        for org in [
            organisation("cci-gers", "CCI Gers", "FR", "FR-32", &["cci-gers"], "fr"),
            organisation(
                "arex",
                "Aragón Exterior",
                "ES",
                "ES-AR",
                &["arex", "pcsp"],
                "es",
            ),
            organisation("ader", "ADER La Rioja", "ES", "ES-RI", &["ader"], "es"),
        ] {
            access
                .create_organisation(pb::CreateOrganisationRequest {
                    organisation: Some(org),
                })
                .await
                .expect("organisation created");
        }
        let gers = self.adviser_of("cci-gers", "fr").await;
        let arex = self.adviser_of("arex", "es").await;
        let ader = self.adviser_of("ader", "es").await;
        let firm_b = self
            .registry()
            .create_company(pb::CreateCompanyRequest {
                company: Some(pb::Company {
                    name: "Conservas del Moncayo SL".to_owned(),
                    country: "ES".to_owned(),
                    language: pb::Language::Es as i32,
                    description: "Conservera aragonesa: verduras, legumbres y platos preparados; exporta a Francia.".to_owned(),
                    location: Some(pb::Location {
                        place_code: "50297".to_owned(),
                        ..Default::default()
                    }),
                    region: "ES-AR".to_owned(),
                    contact: Some(pb::Contact {
                        name: "Lucía Moncayo".to_owned(),
                        email: "lucia@conservas-moncayo.example".to_owned(),
                        phone: "+34 976 000 000".to_owned(),
                    }),
                    ..Default::default()
                }),
            })
            .await
            .expect("side B's firm created")
            .into_inner();
        let firm_b_key = self.key(pb::Role::Firm, &[], &firm_b.id, "").await;
        let listings: std::collections::BTreeMap<String, pb::Opportunity> = self
            .registry()
            .list_opportunities(pb::ListOpportunitiesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: String::new(),
                }),
                ..Default::default()
            })
            .await
            .expect("listings")
            .into_inner()
            .opportunities
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
        for firm in self.companies().await {
            if firm.region != "FR-32" {
                continue;
            }
            let matches = self
                .matchmaking()
                .list_company_matches(pb::ListCompanyMatchesRequest {
                    company_id: firm.id.clone(),
                    page: Some(pb::PageRequest {
                        page_size: 20,
                        page_token: String::new(),
                    }),
                    ..Default::default()
                })
                .await
                .expect("matches")
                .into_inner()
                .matches;
            let lead = matches.into_iter().find(|m| {
                listings
                    .get(&m.opportunity_id)
                    .is_some_and(|o| o.source == "arex" && o.region == "ES-AR")
            });
            if let Some(lead) = lead {
                let firm_a_key = self.key(pb::Role::Firm, &[], &firm.id, "").await;
                return Brokerage {
                    gers,
                    arex,
                    ader,
                    firm_a: firm,
                    firm_a_key,
                    firm_b,
                    firm_b_key,
                    lead,
                };
            }
        }
        panic!("no Gers firm has a lead on an arex listing in the demo set");
    }

    /// The demo tenders with at least one joint-bid proposal for `key`, with the proposals.
    pub async fn tenders_with_proposals(&self, key: &str) -> Vec<(String, serde_json::Value)> {
        let listings = self
            .registry()
            .list_opportunities(pyred_proto::v1::ListOpportunitiesRequest {
                page: Some(pyred_proto::v1::PageRequest {
                    page_size: 100,
                    page_token: String::new(),
                }),
                status: pyred_proto::v1::OpportunityStatus::Published as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .opportunities;
        let mut found = Vec::new();
        for tender in listings
            .iter()
            .filter(|o| o.kind == pyred_proto::v1::OpportunityKind::Tender as i32)
        {
            let reply = self
                .client
                .get_as(
                    &format!("/api/v1/opportunities/{}/consortia?limit=3", tender.id),
                    key,
                )
                .await;
            assert_eq!(reply.status, 200, "{}", reply.text());
            let body = reply.json();
            assert!(body["requirements"].is_array(), "{body}");
            if !body["items"].as_array().unwrap().is_empty() {
                found.push((tender.id.clone(), body));
            }
        }
        found
    }
}
