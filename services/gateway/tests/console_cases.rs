//! The console's brokerage pages end to end: the case forms' CSRF and version checks and
//! the joint-bids explanation in three languages over HTTPS; then, in a real headless
//! Chromium, a case opened from a lead card in French, accepted in Spanish by the other
//! side's adviser naming its firm, consents recorded, the firms introduced, the contacts
//! shown and the timeline read in each adviser's language.
//!
//! The browser test needs Debian's `chromium` and `chromium-driver` (see `console.rs`)
//! and the Brokerage service with organisations (issue 19).

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::World;
use common::webdriver::{self, Browser};
use pyred_proto::v1 as pb;
use serde_json::json;

/// Signs in over plain HTTP; returns the session cookie and its CSRF token.
async fn sign_in(world: &World, key: &str) -> (String, String) {
    common::sign_in(&world.client, key).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_forms_check_csrf_and_version_and_joint_bids_are_explained() {
    let world = World::start().await;
    let (cookie, csrf) = sign_in(&world, world.adviser.expose()).await;

    // A forged token is refused before anything else.
    let forged = world
        .client
        .post_form(
            "/console/cases/case_x/accept",
            &cookie,
            "csrf=forged&version=3",
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    // A missing, empty or unparsable version is a 400: never taken as "skip the check".
    for body in [
        format!("csrf={csrf}"),
        format!("csrf={csrf}&version="),
        format!("csrf={csrf}&version=abc"),
        format!("csrf={csrf}&version=0"),
        format!("csrf={csrf}&version=-2"),
    ] {
        for action in ["accept", "decline", "ask-consents", "status"] {
            let reply = world
                .client
                .post_form(
                    &format!("/console/cases/case_x/{action}"),
                    &cookie,
                    format!("{body}&reason=r&status=meeting"),
                )
                .await;
            assert_eq!(reply.status, 400, "{action} {body}: {}", reply.text());
            assert!(reply.text().contains("version: "), "the field is named");
        }
    }
    // Other bad input: a 400 too.
    for (path, body) in [
        (
            "/console/cases/case_x/status",
            format!("csrf={csrf}&version=2&status=introduced"),
        ),
        (
            "/console/cases/case_x/status",
            format!("csrf={csrf}&version=2&status=dropped"),
        ),
        (
            "/console/cases/case_x/decline",
            format!("csrf={csrf}&version=2"),
        ),
        (
            "/console/cases/case_x/consent",
            format!("csrf={csrf}&company_id=c&answer=perhaps"),
        ),
        ("/console/cases/case_x/notes", format!("csrf={csrf}&text=")),
        ("/console/cases", format!("csrf={csrf}&opportunity_id=o")),
        (
            "/console/opportunities/o/consortia/cases",
            format!("csrf={csrf}&company_id=c&members=&consortium_id=k"),
        ),
        (
            "/console/opportunities/o/consortia/cases",
            format!("csrf={csrf}&company_id=c&members=d"),
        ),
    ] {
        let reply = world.client.post_form(path, &cookie, body.clone()).await;
        assert_eq!(reply.status, 400, "{path} {body}: {}", reply.text());
    }
    let unknown = world
        .client
        .post_form(
            "/console/cases/case_x/teleport",
            &cookie,
            format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(unknown.status, 404);

    // A tender's page has its joint-bids section, saying so when proposals are not
    // available (ProposeConsortia is not served yet); the rest of the page is unchanged.
    let tenders = world
        .registry()
        .list_opportunities(pb::ListOpportunitiesRequest {
            page: Some(pb::PageRequest {
                page_size: 100,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .opportunities;
    let tender = tenders
        .iter()
        .find(|o| o.kind == pb::OpportunityKind::Tender as i32)
        .unwrap();
    let page = world
        .client
        .get(
            &format!("/console/opportunities/{}", tender.id),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("Candidatures groupées"), "joint bids section");
    assert!(html.contains("href=\"/console/help/joint-bids\""));
    let other = tenders
        .iter()
        .find(|o| o.kind != pb::OpportunityKind::Tender as i32)
        .unwrap();
    let page = world
        .client
        .get(
            &format!("/console/opportunities/{}", other.id),
            &[("cookie", &cookie)],
        )
        .await;
    assert!(
        !page.text().contains("Candidatures groupées"),
        "tenders only"
    );

    // The explanation page, in each language, and the nav link.
    for (lang, phrases) in [
        (
            "fr",
            [
                "Unión Temporal de Empresas",
                "R2142-19",
                "mandataire",
                "solidaire",
                "conjoint",
                "art. 69",
                "ne constitue pas un conseil juridique",
            ],
        ),
        (
            "es",
            [
                "Unión Temporal de Empresas",
                "R2142-19",
                "mandatario",
                "solidariamente",
                "escritura pública",
                "art. 69",
                "no constituye asesoramiento jurídico",
            ],
        ),
        (
            "en",
            [
                "Unión Temporal de Empresas",
                "R2142-19",
                "mandataire",
                "jointly and severally",
                "public deed",
                "art. 69",
                "not legal advice",
            ],
        ),
    ] {
        let switched = world
            .client
            .get(&format!("/console/lang/{lang}"), &[("cookie", &cookie)])
            .await;
        let lang_cookie = switched
            .headers_named("set-cookie")
            .into_iter()
            .find(|c| c.starts_with("pyred_lang="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let cookies = format!("{cookie}; {lang_cookie}");
        let page = world
            .client
            .get("/console/help/joint-bids", &[("cookie", &cookies)])
            .await;
        assert_eq!(page.status, 200);
        let html = page.text();
        for phrase in phrases {
            assert!(html.contains(phrase), "{lang}: {phrase}");
        }
        assert!(html.contains("href=\"/console/cases\""), "{lang}: nav link");
    }
    world.stop().await;
}

async fn sign_in_browser(browser: &Browser, base: &str, key: &str, lang: &str) {
    browser
        .goto(&format!("{base}/console/lang/{lang}?back=/console/login"))
        .await;
    browser.goto(&format!("{base}/console/login")).await;
    browser.type_into("#key", key).await;
    browser.click("#sign-in").await;
    browser
        .wait_url("the dashboard", |url| url.ends_with("/console"))
        .await;
}

async fn sign_out(browser: &Browser) {
    browser.click("form[action='/console/logout'] button").await;
    browser
        .wait_url("the sign-in page", |url| url.ends_with("/console/login"))
        .await;
}

/// The scenario's future is large in a debug build: it runs on a thread with a big stack.
#[test]
fn browser_a_case_from_a_lead_card_to_an_introduction_in_french_and_spanish() {
    let outcome = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(16 << 20)
                .enable_all()
                .build()
                .unwrap()
                .block_on(Box::pin(case_scenario()));
        })
        .unwrap()
        .join();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn case_scenario() {
    let Some((chromium, chromedriver)) = webdriver::installed() else {
        assert!(
            std::env::var("PYRED_REQUIRE_BROWSER").is_err(),
            "chromium and chromium-driver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIPPED: chromium or chromium-driver not installed");
        return;
    };
    let world = World::start().await;
    let b = world.brokerage().await;
    let base = world.base_url.clone();
    let browser = Browser::start(&chromium, &chromedriver).await;
    let lead = b.lead.id.clone();

    // CCI Gers, in French: open a case from the firm's lead card, addressed to arex.
    sign_in_browser(&browser, &base, b.gers.expose(), "fr").await;
    assert_eq!(browser.text("#cases-link").await, "Dossiers");
    browser
        .goto(&format!("{base}/console/firms/{}", b.firm_a.id))
        .await;
    browser
        .click(&format!("[id='lead-{lead}'] details.open-case summary"))
        .await;
    assert_eq!(
        browser
            .text(&format!("[id='open-case-{lead}'] button"))
            .await,
        "Ouvrir un dossier"
    );
    browser
        .click(&format!("[id='to-org-{lead}'] option[value='arex']"))
        .await;
    browser
        .type_into(
            &format!("[id='case-note-{lead}']"),
            "Client intéressé — « foie gras » & conserves",
        )
        .await;
    browser
        .click(&format!("[id='open-case-{lead}'] button"))
        .await;
    let url = browser
        .wait_url("the new case", |url| url.contains("/console/cases/case_"))
        .await;
    let id = url
        .split("/console/cases/")
        .nth(1)
        .and_then(|rest| rest.split(['?', '#']).next())
        .unwrap()
        .to_owned();
    assert_eq!(browser.text("#case-status").await, "Proposé");
    assert_eq!(
        browser.text("#timeline li[data-kind='opened'] .kind").await,
        "Dossier ouvert"
    );
    assert_eq!(
        browser.text("#timeline li[data-kind='opened'] .text").await,
        "Client intéressé — « foie gras » & conserves",
        "a note is shown as written"
    );
    assert_eq!(
        browser.count("#accept-form").await,
        0,
        "side A does not accept its own case"
    );
    sign_out(&browser).await;

    // Aragón Exterior, in Spanish: accept, naming the firm, then ask for consents.
    sign_in_browser(&browser, &base, b.arex.expose(), "es").await;
    assert_eq!(browser.text("#cases-link").await, "Expedientes");
    browser.goto(&format!("{base}/console/cases?side=b")).await;
    assert!(
        browser.count(&format!("#case-{id}")).await == 1,
        "listed as proposed to arex"
    );
    browser
        .click(&format!("#case-{id} a[href='/console/cases/{id}']"))
        .await;
    browser
        .wait_url("the case", |url| {
            url.ends_with(&format!("/console/cases/{id}"))
        })
        .await;
    assert_eq!(browser.text("#case-status").await, "Propuesto");
    assert!(
        browser
            .text("#side-b")
            .await
            .contains("empresa por designar")
    );
    browser
        .click(&format!("#accept-firm option[value='{}']", b.firm_b.id))
        .await;
    browser
        .click("#accept-form button[data-action='accept']")
        .await;
    browser
        .wait_url("accepted", |url| url.contains("ok=accepted"))
        .await;
    assert_eq!(browser.text("#case-status").await, "Aceptado");
    assert!(
        browser
            .text("#side-b")
            .await
            .contains("Conservas del Moncayo")
    );
    browser.click("button[data-action='ask-consents']").await;
    browser
        .wait_url("consents asked", |url| url.contains("ok=consents_asked"))
        .await;
    assert_eq!(
        browser.text("#case-status").await,
        "Consentimientos solicitados"
    );

    // The adviser records side B's firm's yes on its behalf; side A's firm answers itself.
    browser
        .click(&format!(
            "#consents tr[data-company='{}'] button[data-action='consent-yes']",
            b.firm_b.id
        ))
        .await;
    browser
        .wait_url("consent recorded", |url| {
            url.contains("ok=consent_recorded")
        })
        .await;
    let row = format!("#consents tr[data-company='{}']", b.firm_b.id);
    assert_eq!(browser.text(&format!("{row} .consent")).await, "Sí");
    assert!(
        browser
            .text(&format!("{row} .answered"))
            .await
            .contains("recogido por el asesor")
    );
    let firm_yes = world
        .client
        .json(
            "POST",
            &format!("/api/v1/cases/{id}/consent"),
            b.firm_a_key.expose(),
            &json!({"company_id": b.firm_a.id, "answer": "yes"}),
        )
        .await;
    assert_eq!(firm_yes.status, 200, "{}", firm_yes.text());
    browser.goto(&format!("{base}/console/cases/{id}")).await;
    assert_eq!(browser.text("#case-status").await, "Puestos en contacto");
    assert_eq!(browser.text("#contacts-h").await, "Datos de contacto");
    assert!(
        browser
            .text("#case-contacts")
            .await
            .contains("lucia@conservas-moncayo.example")
    );
    assert_eq!(
        browser.text("#timeline li[data-kind='opened'] .kind").await,
        "Expediente abierto"
    );
    assert_eq!(
        browser
            .text("#timeline li[data-kind='accepted'] .kind")
            .await,
        "Expediente aceptado"
    );
    assert_eq!(
        browser
            .text("#timeline li[data-kind='introduced'] .kind")
            .await,
        "Empresas puestas en contacto"
    );
    assert!(browser.count("#timeline li[data-kind='consent_yes']").await >= 2);
    assert_eq!(
        browser.text("#timeline li[data-kind='opened'] .text").await,
        "Client intéressé — « foie gras » & conserves"
    );
    assert!(browser.count("button[data-action='meeting']").await == 1);
    sign_out(&browser).await;

    // Back at CCI Gers, in French: the introduction and the contacts.
    sign_in_browser(&browser, &base, b.gers.expose(), "fr").await;
    browser.goto(&format!("{base}/console/cases/{id}")).await;
    assert_eq!(browser.text("#case-status").await, "Mis en relation");
    assert_eq!(browser.text("#contacts-h").await, "Coordonnées");
    assert!(
        browser
            .text("#case-contacts")
            .await
            .contains("lucia@conservas-moncayo.example")
    );
    assert_eq!(
        browser
            .text("#timeline li[data-kind='introduced'] .kind")
            .await,
        "Entreprises mises en relation"
    );
    assert_eq!(
        browser
            .text("#timeline li[data-kind='consents_asked'] .kind")
            .await,
        "Consentements demandés"
    );

    // A tender's joint bids, in French: members, the form linked to its explanation,
    // and the button that opens the proposal's cases.
    let found = world.tenders_with_proposals(b.gers.expose()).await;
    assert!(!found.is_empty(), "some demo tender gets a joint bid");
    let (tender_id, proposals) = &found[0];
    browser
        .goto(&format!("{base}/console/opportunities/{tender_id}"))
        .await;
    assert!(
        browser
            .text("#consortia-h")
            .await
            .starts_with("Candidatures groupées")
    );
    let first = &proposals["items"][0];
    let section = browser.text("#consortia").await;
    for member in first["members"].as_array().unwrap() {
        assert!(
            section.contains(member["company_name"].as_str().unwrap()),
            "{member} in {section}"
        );
    }
    assert!(
        section.contains("UTE (Espagne)") || section.contains("Groupement momentané"),
        "{section}"
    );
    if browser.count("button[data-action='open-consortium']").await > 0 {
        browser.click("button[data-action='open-consortium']").await;
        browser
            .wait_url("the consortium's cases", |url| {
                url.contains("ok=consortium_opened")
            })
            .await;
        assert!(
            browser
                .source()
                .await
                .contains("Dossiers du groupement ouverts.")
        );
        browser
            .goto(&format!("{base}/console/opportunities/{tender_id}"))
            .await;
    }
    browser.click("#joint-bids-help").await;
    browser
        .wait_url("the explanation", |url| {
            url.ends_with("/console/help/joint-bids")
        })
        .await;
    assert!(
        browser
            .text("h1")
            .await
            .starts_with("Candidatures groupées")
    );

    // The list's filters, and a third organisation's adviser: the case is not found.
    browser
        .goto(&format!("{base}/console/cases?status=introduced"))
        .await;
    assert_eq!(browser.count(&format!("#case-{id}")).await, 1);
    browser
        .goto(&format!("{base}/console/cases?status=won"))
        .await;
    assert_eq!(browser.count(&format!("#case-{id}")).await, 0);
    let (ader_cookie, _) = sign_in(&world, b.ader.expose()).await;
    let foreign = world
        .client
        .get(&format!("/console/cases/{id}"), &[("cookie", &ader_cookie)])
        .await;
    assert_eq!(foreign.status, 404, "a case of others is not found");
    assert!(!foreign.text().contains("lucia@"), "and reveals nothing");

    // The joint-bid button of a tender's page opens the consortium's cases.
    let (gers_cookie, gers_csrf) = sign_in(&world, b.gers.expose()).await;
    let tender = world
        .registry()
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(common::tender("consortium-console")),
            draft: false,
        })
        .await
        .unwrap()
        .into_inner();
    let opened = world
        .client
        .post_form(
            &format!("/console/opportunities/{}/consortia/cases", tender.id),
            &gers_cookie,
            format!(
                "csrf={gers_csrf}&company_id={}&members={}&consortium_id=cons_console",
                b.firm_a.id, b.firm_b.id
            ),
        )
        .await;
    assert_eq!(opened.status, 303, "{}", opened.text());
    let location = opened.header("location").unwrap().to_owned();
    assert!(
        location.starts_with("/console/cases?ok=consortium_opened"),
        "{location}"
    );
    let list = world
        .client
        .get(&location, &[("cookie", &gers_cookie)])
        .await
        .text();
    assert!(list.contains("Dossiers du groupement ouverts."));
    assert!(
        list.contains(&tender.title),
        "the consortium's case is listed"
    );

    // What the service holds agrees.
    let case = pb::brokerage_client::BrokerageClient::new(
        world
            .test
            .channel_with_key(&world.test.stack.addresses.matchmaking, &b.gers),
    )
    .get_case(pb::GetCaseRequest { id: id.clone() })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(case.status, pb::CaseStatus::Introduced as i32);
    assert_eq!(case.side_b.unwrap().company_id, b.firm_b.id);
    browser.quit().await;
    world.stop().await;
}
