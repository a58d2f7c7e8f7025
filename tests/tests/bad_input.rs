//! Bad input over real gRPC, table-driven: each malformed company or listing answers
//! `InvalidArgument` (or a rejected sync result) naming the field the caller got wrong,
//! and nothing is stored — the registry's change feed does not move.

use pyred_e2e::{registry_last_seq, rioja_tender, spawn_stack};
use pyred_proto::v1::company_registry_client::CompanyRegistryClient;
use pyred_proto::v1::{self as pb};

fn company() -> pb::Company {
    pb::Company {
        name: "Chais de Condom".to_owned(),
        country: "FR".to_owned(),
        region: "FR-32".to_owned(),
        language: pb::Language::Fr as i32,
        description: "Négociant en armagnac et floc de Gascogne.".to_owned(),
        offers: "Armagnac, floc".to_owned(),
        location: Some(pb::Location {
            place_code: "32107".to_owned(),
            ..Default::default()
        }),
        languages: vec!["fr".to_owned(), "es".to_owned()],
        contact: Some(pb::Contact {
            name: "Marie Dupuy".to_owned(),
            email: "marie@chais-condom.fr".to_owned(),
            phone: "+33 5 62 28 00 00".to_owned(),
        }),
        ..Default::default()
    }
}

type Edit<T> = fn(&mut T);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_companies_and_listings_name_their_field_and_store_nothing() {
    let test = spawn_stack().await;
    let mut registry = CompanyRegistryClient::new(test.channel(&test.stack.addresses.registry));
    let before = registry_last_seq(&mut registry).await;

    let companies: Vec<(&str, Edit<pb::Company>, &str)> = vec![
        (
            "unknown legal id scheme",
            |c| {
                c.legal_id = Some(pb::LegalId {
                    scheme: 99,
                    value: "73282932000074".to_owned(),
                    display: String::new(),
                });
            },
            "company.legal_id.scheme",
        ),
        (
            "not a language",
            |c| c.languages = vec!["xx".to_owned()],
            "company.languages[0]",
        ),
        (
            "NUL in the e-mail",
            |c| {
                if let Some(contact) = c.contact.as_mut() {
                    contact.email = "marie@chais\0-condom.fr".to_owned();
                }
            },
            "company.contact.email",
        ),
        (
            "unassigned country",
            |c| c.country = "XX".to_owned(),
            "company.country",
        ),
        (
            "unassigned French subdivision",
            |c| c.region = "FR-99".to_owned(),
            "company.region",
        ),
        (
            "unassigned Spanish subdivision",
            |c| {
                c.country = "ES".to_owned();
                c.region = "ES-XX".to_owned();
            },
            "company.region",
        ),
        (
            "unknown language number",
            |c| c.language = 7,
            "company.language",
        ),
        (
            "unknown visibility",
            |c| c.visibility = 9,
            "company.visibility",
        ),
        (
            "escape in the name",
            |c| c.name = "Chais\u{1b}[31m".to_owned(),
            "company.name",
        ),
        (
            "line break in a one-line field",
            |c| {
                c.activities = vec![pb::ActivityCode {
                    nace: "11.01".to_owned(),
                    given: "11.01\nZ".to_owned(),
                }];
            },
            "company.activities[0].given",
        ),
        (
            "control character in the place code",
            |c| {
                c.location = Some(pb::Location {
                    place_code: "32107\u{7}".to_owned(),
                    ..Default::default()
                });
            },
            "company.location.place_code",
        ),
        (
            "a point at (0, 0) with a Gers place code",
            |c| {
                c.location = Some(pb::Location {
                    lat: Some(0.0),
                    lon: Some(0.0),
                    place_code: "32107".to_owned(),
                    place_name: String::new(),
                })
            },
            "company.location.lat",
        ),
        (
            "a latitude without its longitude",
            |c| {
                c.location = Some(pb::Location {
                    lat: Some(43.95),
                    place_code: "32107".to_owned(),
                    ..Default::default()
                })
            },
            "company.location.lon",
        ),
        (
            "NUL in the offers",
            |c| c.offers = "Armagnac\0".to_owned(),
            "company.offers",
        ),
    ];
    for (case, edit, field) in companies {
        let mut bad = company();
        edit(&mut bad);
        let status = registry
            .create_company(pb::CreateCompanyRequest { company: Some(bad) })
            .await
            .expect_err(case);
        assert_eq!(
            status.code(),
            tonic::Code::InvalidArgument,
            "{case}: {status:?}"
        );
        let fields: Vec<String> = pyred_runtime::error::violations_of(&status)
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(
            fields.first().map(String::as_str),
            Some(field),
            "{case}: the first violation names the field given: {fields:?}"
        );
    }
    // The valid company is accepted, so each refusal above was the edit's.
    registry
        .create_company(pb::CreateCompanyRequest {
            company: Some(company()),
        })
        .await
        .expect("the base company is valid");
    let after_company = registry_last_seq(&mut registry).await;
    assert_eq!(
        after_company,
        before + 1,
        "only the valid company was stored"
    );

    let listings: Vec<(&str, Edit<pb::Opportunity>, &str)> = vec![
        ("unknown kind", |o| o.kind = 99, "upserts[0].kind"),
        (
            "unknown procedure",
            |o| o.procedure = 99,
            "upserts[0].procedure",
        ),
        (
            "unknown tender stage",
            |o| o.tender_stage = 99,
            "upserts[0].tender_stage",
        ),
        (
            "unknown contract type",
            |o| o.contract_type = 99,
            "upserts[0].contract_type",
        ),
        ("unknown status", |o| o.status = 42, "upserts[0].status"),
        (
            "NUL in the title",
            |o| o.title = "Suministro\0".to_owned(),
            "upserts[0].title",
        ),
        (
            "bell in a lot title",
            |o| {
                o.lots = vec![pb::Lot {
                    id: "1".to_owned(),
                    title: "Lote\u{7}".to_owned(),
                    ..Default::default()
                }];
            },
            "upserts[0].lots[0].title",
        ),
        (
            "NUL in the buyer's name",
            |o| {
                o.buyer = Some(pb::ContractingBody {
                    name: "Ayuntamiento\0".to_owned(),
                    ..Default::default()
                });
            },
            "upserts[0].buyer.name",
        ),
        (
            "unassigned region",
            |o| o.region = "ES-XX".to_owned(),
            "upserts[0].region",
        ),
    ];
    for (case, edit, field) in listings {
        let mut bad = rioja_tender("bad-input-1");
        edit(&mut bad);
        let response = registry
            .sync_listings(pb::SyncListingsRequest {
                source: "ader".to_owned(),
                upserts: vec![bad],
                withdrawals: vec![],
                ..Default::default()
            })
            .await
            .expect("a sync answers per listing")
            .into_inner();
        let result = &response.results[0];
        assert_eq!(result.outcome, pb::SyncOutcome::Rejected as i32, "{case}");
        assert_eq!(
            result.violations.first().map(|v| v.field.as_str()),
            Some(field),
            "{case}: {:?}",
            result.violations
        );
    }
    assert_eq!(
        registry_last_seq(&mut registry).await,
        after_company,
        "no rejected listing was stored"
    );

    // An over-large message: RESOURCE_EXHAUSTED, as clients expect.
    let mut huge = company();
    huge.description = "x".repeat(20 * 1024 * 1024);
    let status = registry
        .create_company(pb::CreateCompanyRequest {
            company: Some(huge),
        })
        .await
        .expect_err("20 MB is over the limit");
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert_eq!(registry_last_seq(&mut registry).await, after_company);
    test.stack.stop().await.expect("clean stop");
}
