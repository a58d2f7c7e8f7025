//! The console end to end: over HTTPS at the HTTP level (cookies, CSRF, CSV, map,
//! language, the PDF lead sheet), and in a real headless Chromium driven through chromedriver (sign in,
//! search, open a firm, move a lead, add a note, edit with field errors), each change
//! checked through the gRPC API.
//!
//! The browser test needs Debian's `chromium` and `chromium-driver`; without them it
//! says so and passes, unless `PYRED_REQUIRE_BROWSER=1` (set by
//! `scripts/check-gateway.sh`, which installs them). With `PYRED_SCREENSHOTS=DIR` it saves
//! screenshots of the main pages there (the map in French and Spanish too).

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use common::World;
use common::webdriver::{self, Browser};
use pyred_proto::v1 as pb;
use pyred_runtime::testing::wait_until;

/// Signs in over HTTPS; returns the session cookie and the page's CSRF token.
async fn sign_in(world: &World, key: &str) -> (String, String) {
    common::sign_in(&world.client, key).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_sessions_csrf_exports_and_languages() {
    let world = World::start().await;
    let client = &world.client;
    let firm = world.demo_firm("demo-gers-04").await;

    // Without a session every page leads to the sign-in form, in French by default.
    let anonymous = client.get("/console", &[]).await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.header("location"), Some("/console/login"));
    let login = client.get("/console/login", &[]).await.text();
    assert!(
        login.contains("lang=\"fr\"") && login.contains("Clé de conseiller"),
        "{login}"
    );
    assert!(login.contains("<label for=\"key\">"), "labelled input");

    // A wrong key, and a sign-in without the form's token, are refused.
    let page = client.get("/console/login", &[]).await;
    let login_cookie = page.headers_named("set-cookie")[0]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let token = login_cookie.split('=').nth(1).unwrap().to_owned();
    let wrong = client
        .post_form(
            "/console/login",
            &login_cookie,
            format!("key=pyred_000000000000_x&csrf={token}"),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("Clé inconnue"));
    let forged = client
        .send(
            "POST",
            "/console/login",
            &[],
            Some((
                "application/x-www-form-urlencoded",
                format!("key={}&csrf=forged", world.adviser.expose()).into_bytes(),
            )),
        )
        .await;
    assert_eq!(forged.status, 403);
    // A firm's key may not use the console.
    let firm_key = world.key(pb::Role::Firm, &[], &firm.id, "").await;
    let as_firm = client
        .post_form(
            "/console/login",
            &login_cookie,
            format!("key={}&csrf={token}", firm_key.expose()),
        )
        .await;
    assert_eq!(as_firm.status, 403);

    let (cookie, csrf) = sign_in(&world, world.adviser.expose()).await;
    let dashboard = client.get("/console", &[("cookie", &cookie)]).await.text();
    assert!(
        dashboard.contains(&firm.name),
        "the adviser's Gers firm is listed"
    );
    assert!(dashboard.contains("Échéances dans les 14 prochains jours"));

    // A public tender: who buys, the official notice, procedure, type and stage in words,
    // the lots as a table, the NUTS code and the approximate place.
    let tender = world
        .registry()
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(common::tender("console-tender-1")),
            draft: false,
        })
        .await
        .unwrap()
        .into_inner();
    let tender_path = format!("/console/opportunities/{}", tender.id);
    let page = client.get(&tender_path, &[("cookie", &cookie)]).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    // Attribute values are escaped (`/` and `&` too); the browser reads them back as given.
    let href = common::TENDER_URL
        .replace('&', "&amp;")
        .replace('/', "&#x2f;");
    for expected in [
        common::TENDER_BUYER.to_owned(),
        "NIF P5000000I".to_owned(),
        "DIR3 L02000050".to_owned(),
        format!(r#"href="{href}" target="_blank" rel="noopener noreferrer""#),
        "Voir l&#x27;avis officiel".to_owned(),
        "Ouverte simplifiée".to_owned(),
        "Fournitures".to_owned(),
        "Ouverte aux offres".to_owned(),
        "<td>1</td><td lang=\"es\">Vestuario de verano</td><td>18100000</td><td>24000 €</td>"
            .to_owned(),
        "Calzado de seguridad".to_owned(),
        "ES243".to_owned(),
        "(localisation approximative)".to_owned(),
    ] {
        assert!(
            html.contains(&expected),
            "{expected} missing in the listing page:\n{html}"
        );
    }
    assert_eq!(html.matches("id=\"official-link\"").count(), 1);
    // A search row shows the buyer (the index follows the registry within a second).
    let results = wait_until(
        "the tender to show in the search",
        Duration::from_secs(30),
        || async {
            let results = client
                .get(
                    "/console/search?q=vestuario+brigada+incendios&entity=opportunity",
                    &[("cookie", &cookie)],
                )
                .await
                .text();
            results.contains(&tender_path).then_some(results)
        },
    )
    .await;
    assert!(
        results.contains(&format!("Acheteur : {}", common::TENDER_BUYER)),
        "{results}"
    );
    // Annulled by its feed: the listing shows why (a withdrawn listing is the
    // publisher's and admins' to read).
    world
        .registry()
        .sync_listings(pb::SyncListingsRequest {
            source: "arex".to_owned(),
            tombstones: vec![pb::Tombstone {
                external_id: "console-tender-1".to_owned(),
                reason: "ANULADA".to_owned(),
                source_version: 1,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let (admin_cookie, _) = sign_in(&world, world.admin.expose()).await;
    let withdrawn = client
        .get(&tender_path, &[("cookie", &admin_cookie)])
        .await
        .text();
    assert!(
        withdrawn.contains("Retirée")
            && withdrawn.contains("Motif du retrait :")
            && withdrawn.contains(">ANULADA<"),
        "{withdrawn}"
    );

    // Every form post needs the session's token: a missing or foreign one changes nothing.
    let leads = world
        .matchmaking()
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: firm.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matches;
    let lead = &leads[0];
    let status_path = format!("/console/matches/{}/status", lead.id);
    let post_status = |body: String| {
        let (client, path, cookie) = (&client, &status_path, &cookie);
        async move {
            client
                .send(
                    "POST",
                    path,
                    &[("cookie", cookie.as_str())],
                    Some(("application/x-www-form-urlencoded", body.into_bytes())),
                )
                .await
        }
    };
    let lead_now = || async {
        world
            .matchmaking()
            .get_match(pb::GetMatchRequest {
                id: lead.id.clone(),
            })
            .await
            .unwrap()
            .into_inner()
    };
    let forged = post_status("status=won&csrf=0000".to_owned()).await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        lead_now().await.status,
        lead.status,
        "a forged post changes nothing"
    );
    // A status form that lost its version hidden field is refused, never sent as
    // version 0 (which would skip matchmaking's optimistic check): nothing is written.
    for version in ["", "version=&", "version=abc&", "version=0&"] {
        let lost = post_status(format!("{version}status=contacted&csrf={csrf}")).await;
        assert_eq!(lost.status, 400, "{version}: {}", lost.text());
        assert!(
            lost.text().contains("perdu la version de la piste"),
            "{}",
            lost.text()
        );
        assert_eq!(
            lead_now().await.status,
            lead.status,
            "{version}: a post without its version changes nothing"
        );
    }
    let back = format!("back=/console/firms/{}", firm.id);
    // A stale version is the service's conflict, shown on the page it came from.
    let stale = post_status(format!(
        "version={}&status=contacted&csrf={csrf}&{back}",
        lead.version + 1000
    ))
    .await;
    assert_eq!(stale.status, 303, "{}", stale.text());
    assert!(
        stale
            .header("location")
            .is_some_and(|to| to.contains("?err=")),
        "{:?}",
        stale.header("location")
    );
    // The version as the page would show it now (the follower may have re-scored it).
    let current = lead_now().await;
    let genuine = post_status(format!(
        "version={}&status=contacted&csrf={csrf}&{back}",
        current.version
    ))
    .await;
    assert_eq!(genuine.status, 303, "{}", genuine.text());
    assert_eq!(lead_now().await.status, pb::MatchStatus::Contacted as i32);

    // CSV exports: UTF-8 with a BOM, the moved lead in the pipeline.
    let csv = client
        .get(
            &format!("/console/firms/{}/leads.csv", firm.id),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(&csv.body[..3], b"\xEF\xBB\xBF");
    assert!(csv.text().lines().count() > 1);
    let pipeline = client
        .get("/console/pipeline.csv", &[("cookie", &cookie)])
        .await;
    assert_eq!(&pipeline.body[..3], b"\xEF\xBB\xBF");
    let pipeline = pipeline.text();
    assert!(
        pipeline.contains(&lead.opportunity_id) && pipeline.contains("Contactée"),
        "{pipeline}"
    );

    // The map (checked in detail by `the_map_draws_real_outlines_with_every_record_inside`).
    let svg = client.get("/console/map.svg", &[("cookie", &cookie)]).await;
    assert_eq!(
        svg.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    let svg = svg.text();
    assert!(svg.contains("id=\"border\"") && svg.contains(&format!("/console/firms/{}", firm.id)));

    // New leads are the adviser's unread alerts (persisted in matchmaking): the first
    // visit shows them; once all are marked read on the alerts page, only a listing
    // published since shows, in a new session too.
    let first_visit = client.get("/console", &[("cookie", &cookie)]).await.text();
    let new_section = |html: &str| {
        html.split("id=\"new-h\"")
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        new_section(&first_visit).contains("class=\"lead\""),
        "a first visit shows new leads"
    );
    let alerts_page = client.get("/console/alerts", &[("cookie", &cookie)]).await;
    assert_eq!(alerts_page.status, 200);
    let alerts_page = alerts_page.text();
    assert!(alerts_page.contains("Tout marquer comme lu") && alerts_page.contains("non lue"));
    let through = alerts_page
        .split("name=\"through\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page offers to mark all read")
        .to_owned();
    let forged = client
        .post_form(
            "/console/alerts/read",
            &cookie,
            format!("csrf=forged&through={through}"),
        )
        .await;
    assert_eq!(forged.status, 403, "a form without the session's token");
    let marked = client
        .post_form(
            "/console/alerts/read",
            &cookie,
            format!("csrf={csrf}&through={through}&back=/console"),
        )
        .await;
    assert_eq!(marked.status, 303, "{}", marked.text());
    assert_eq!(marked.header("location"), Some("/console?ok=alerts_read"));

    // An edit form that lost its hidden version is refused (400), not saved unchecked.
    let before_edit = world.demo_firm("demo-gers-04").await;
    let lost = client
        .post_form(
            &format!("/console/firms/{}/edit", before_edit.id),
            &cookie,
            format!("csrf={csrf}&name=Renamed+without+version&visibility=public"),
        )
        .await;
    assert_eq!(lost.status, 400, "{}", lost.text());
    assert!(lost.text().contains("perdu sa version"), "{}", lost.text());
    let after_edit = world.demo_firm("demo-gers-04").await;
    assert_eq!(after_edit.name, before_edit.name);
    assert_eq!(after_edit.version, before_edit.version);
    let original = world
        .registry()
        .get_opportunity(pb::GetOpportunityRequest {
            id: leads[1].opportunity_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let copy = world
        .registry()
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(pb::Opportunity {
                id: String::new(),
                external_id: format!("{}-bis", original.external_id),
                version: 0,
                status: 0,
                created_at: None,
                updated_at: None,
                expires_on: None,
                ..original.clone()
            }),
            draft: false,
        })
        .await
        .unwrap()
        .into_inner();
    let section = wait_until(
        "the new listing to show as a new lead",
        Duration::from_secs(30),
        || async {
            let (again, _) = sign_in(&world, world.adviser.expose()).await;
            let html = client.get("/console", &[("cookie", &again)]).await.text();
            let section = new_section(&html).to_owned();
            assert!(html.contains("Nouvelles pistes non lues"), "{section}");
            section.contains(&copy.id).then_some(section)
        },
    )
    .await;
    assert!(
        !section.contains(&format!("/console/opportunities/{}\"", original.id)),
        "a lead already read is not new"
    );

    // Languages: Spanish and English on request; only local return paths.
    let switch = client
        .get(
            "/console/lang/es?back=/console/search",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(switch.header("location"), Some("/console/search"));
    let lang_cookie = switch.headers_named("set-cookie")[0]
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let both = format!("{cookie}; {lang_cookie}");
    let spanish = client
        .get("/console/search", &[("cookie", &both)])
        .await
        .text();
    assert!(spanish.contains("lang=\"es\"") && spanish.contains("Búsqueda"));
    // Within 8 h of driving from Auch, by driving time: each hit says how long and by
    // which crossing, in the adviser's language.
    let travel_path =
        "/console/search?travel_from=Auch&max_minutes=480&sort=travel_time&entity=opportunity";
    for (cookies, words) in [
        (&cookie, [" par ", "en voiture"]),
        (&both, [" por ", "en coche"]),
    ] {
        let page = client.get(travel_path, &[("cookie", cookies)]).await.text();
        let travel: Vec<&str> = page
            .split("<span class=\"travel\">")
            .skip(1)
            .filter_map(|rest| rest.split("</span>").next())
            .collect();
        assert!(!travel.is_empty(), "no driving time shown:\n{page}");
        assert!(
            travel
                .iter()
                .all(|t| t.contains(" h ") || t.contains(" min ")),
            "{travel:?}"
        );
        assert!(
            travel.iter().all(|t| words.iter().any(|w| t.contains(w))),
            "{travel:?}"
        );
        assert!(
            page.contains("value=\"travel_time\" selected"),
            "the sort is kept"
        );
    }
    let admin_spanish = format!("{admin_cookie}; {lang_cookie}");
    let tender_es = client
        .get(&tender_path, &[("cookie", &admin_spanish)])
        .await
        .text();
    for expected in [
        "Órgano de contratación",
        "Ver el anuncio oficial",
        "Abierto simplificado",
        "Suministros",
        "(ubicación aproximada)",
        "Motivo de la retirada:",
        "Presupuesto sin IVA",
    ] {
        assert!(
            tender_es.contains(expected),
            "{expected} missing:\n{tender_es}"
        );
    }
    let open_redirect = client
        .get("/console/lang/en?back=//evil.example", &[])
        .await;
    assert_eq!(open_redirect.header("location"), Some("/console"));

    // Another territory's firm is "not found", as in the API.
    let rioja = world.key(pb::Role::Adviser, &["ES-RI"], "", "").await;
    let (rioja_cookie, _) = sign_in(&world, rioja.expose()).await;
    let foreign = client
        .get(
            &format!("/console/firms/{}/leads.csv", firm.id),
            &[("cookie", &rioja_cookie)],
        )
        .await;
    assert_eq!(foreign.status, 404);

    // A key revoked during a session ends it: the next page goes to the sign-in form.
    pb::access_client::AccessClient::new(world.test.channel(&world.test.stack.addresses.registry))
        .revoke_key(pb::RevokeKeyRequest {
            id: pyred_gateway::upstream::Bearer::key_id(&rioja),
        })
        .await
        .unwrap();
    // Services cache a key for at most a second: wait for the revocation to be seen.
    let revoked = wait_until(
        "the console to see the revocation",
        Duration::from_secs(10),
        || async {
            let page = client.get("/console", &[("cookie", &rioja_cookie)]).await;
            (page.status == 303).then_some(page)
        },
    )
    .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(revoked.header("location"), Some("/console/login"));
    assert_eq!(
        client
            .get("/console", &[("cookie", &rioja_cookie)])
            .await
            .status,
        303
    );

    // Sign-out ends the session.
    let out = client
        .post_form("/console/logout", &cookie, format!("csrf={csrf}"))
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(
        client.get("/console", &[("cookie", &cookie)]).await.status,
        303
    );

    world.stop().await;
}

/// The text strings a PDF's (uncompressed) content stream shows, as their bytes:
/// literal `(…)` strings with their escapes and hex `<…>` strings.
fn shown_strings(pdf: &[u8]) -> Vec<Vec<u8>> {
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|at| at + from)
    };
    let start = find(pdf, b"stream\n", 0).expect("a content stream") + b"stream\n".len();
    let end = find(pdf, b"\nendstream", start).expect("its end");
    assert!(
        find(pdf, b"stream\n", end + b"\nendstream".len()).is_none(),
        "one stream only"
    );
    let content = &pdf[start..end];
    let mut strings = Vec::new();
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'(' => {
                let mut depth = 1;
                let mut text = Vec::new();
                i += 1;
                while i < content.len() {
                    match content[i] {
                        b'\\' => {
                            i += 1;
                            match content[i] {
                                b'n' => text.push(b'\n'),
                                b'r' => text.push(b'\r'),
                                b't' => text.push(b'\t'),
                                b'b' => text.push(8),
                                b'f' => text.push(12),
                                d @ b'0'..=b'7' => {
                                    let mut value = u32::from(d - b'0');
                                    for _ in 0..2 {
                                        if matches!(content.get(i + 1), Some(b'0'..=b'7')) {
                                            i += 1;
                                            value = value * 8 + u32::from(content[i] - b'0');
                                        }
                                    }
                                    text.push(u8::try_from(value).unwrap());
                                }
                                other => text.push(other),
                            }
                        }
                        b'(' => {
                            depth += 1;
                            text.push(b'(');
                        }
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            text.push(b')');
                        }
                        other => text.push(other),
                    }
                    i += 1;
                }
                strings.push(text);
            }
            b'<' => {
                let close = find(content, b">", i).unwrap();
                let hex: Vec<u8> = content[i + 1..close]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                strings.push(
                    hex.chunks(2)
                        .map(|pair| {
                            u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap()
                        })
                        .collect(),
                );
                i = close;
            }
            _ => {}
        }
        i += 1;
    }
    strings
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The first words of a text as the sheet prints them (WinAnsi, one space between words,
/// lines joined by one space): they are never cut, even in a long title.
fn first_words(text: &str, words: usize) -> Vec<u8> {
    let words: Vec<&str> = text.split_whitespace().take(words).collect();
    pyred_gateway::lead_sheet::winansi(&words.join(" "))
}

/// A poppler tool's output, when poppler-utils is installed.
fn poppler(tool: &str, args: &[&std::ffi::OsStr]) -> Option<String> {
    let output = std::process::Command::new(tool).args(args).output().ok()?;
    assert!(output.status.success(), "{tool} failed: {output:?}");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firms_lead_sheet_as_one_pdf_page_in_french_and_spanish() {
    let world = World::start().await;
    let client = &world.client;
    let firm = world.demo_firm("demo-gers-04").await;
    let path = format!("/console/firms/{}/leads.pdf", firm.id);
    // The ten best leads the adviser's key is given, as the sheet lists them.
    let leads = world
        .matchmaking_as(&world.adviser)
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: firm.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matches;
    assert!(leads.len() >= 3, "the demo firm has leads: {leads:?}");

    // Without a session: the sign-in form, as for the CSV beside it.
    let anonymous = client.get(&path, &[]).await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.header("location"), Some("/console/login"));

    let (cookie, _) = sign_in(&world, world.adviser.expose()).await;
    let page = client
        .get(
            &format!("/console/firms/{}", firm.id),
            &[("cookie", &cookie)],
        )
        .await
        .text();
    assert!(
        page.contains("/leads.pdf\" id=\"lead-sheet-link\">Fiche des pistes (PDF)</a>"),
        "the firm page links the sheet:\n{page}"
    );

    let shots: Option<PathBuf> = std::env::var_os("PYRED_SCREENSHOTS").map(PathBuf::from);
    let scratch = tempfile::tempdir().unwrap();
    for (lang, file_word, labels) in [
        (
            "fr",
            "fiche-pistes",
            ["Fiche des pistes", "Meilleures pistes (", "Édité le"],
        ),
        (
            "es",
            "hoja-pistas",
            ["Hoja de pistas", "Mejores pistas (", "Emitida el"],
        ),
    ] {
        let switch = client
            .get(&format!("/console/lang/{lang}"), &[("cookie", &cookie)])
            .await;
        let lang_cookie = switch.headers_named("set-cookie")[0]
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let both = format!("{cookie}; {lang_cookie}");
        let reply = client.get(&path, &[("cookie", &both)]).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/pdf"));
        assert_eq!(
            reply.header("content-disposition"),
            Some(format!("attachment; filename=\"{file_word}-{}.pdf\"", firm.id).as_str())
        );
        let pdf = &reply.body;
        eprintln!("lead sheet ({lang}): {} bytes", pdf.len());
        assert!(pdf.starts_with(b"%PDF-"), "{lang}: a PDF header");
        assert!(
            pdf.trim_ascii_end().ends_with(b"%%EOF"),
            "{lang}: a PDF end"
        );
        let text = String::from_utf8_lossy(pdf);
        assert_eq!(text.matches("/Type /Pages").count(), 1, "{text}");
        assert_eq!(
            text.matches("/Type /Page").count(),
            2,
            "one page (and its tree): {text}"
        );
        assert!(text.contains("/Count 1"));
        assert!(
            !text.contains("/Filter"),
            "the content stream is not compressed"
        );

        let shown = shown_strings(pdf).join(&b' ');
        // The firm's name and its leads' titles, WinAnsi-encoded, accents included.
        let name = pyred_gateway::lead_sheet::winansi(&firm.name);
        assert!(
            name.iter().any(|&b| b >= 0x80),
            "an accented name: {}",
            firm.name
        );
        assert!(contains(&shown, &name), "{lang}: the firm's name");
        for lead in leads.iter().take(10) {
            assert!(
                contains(&shown, &first_words(&lead.opportunity_title, 6)),
                "{lang}: the title {:?} is on the sheet",
                lead.opportunity_title
            );
        }
        // The labels and the best lead's first reason in the sheet's language.
        for label in labels {
            assert!(
                contains(&shown, &pyred_gateway::lead_sheet::winansi(label)),
                "{lang}: {label}"
            );
        }
        let reason = &leads[0].reasons[0];
        let reason = if lang == "es" {
            &reason.text_es
        } else {
            &reason.text_fr
        };
        assert!(
            contains(&shown, &first_words(reason, 3)),
            "{lang}: the first reason {reason:?}"
        );
        let score = format!("{:.0} %", leads[0].score * 100.0);
        assert!(
            contains(&shown, score.as_bytes()),
            "{lang}: the score {score}"
        );

        // A viewer's reading, with poppler-utils when installed.
        let file = scratch.path().join(format!("{file_word}.pdf"));
        std::fs::write(&file, pdf).unwrap();
        if let Some(info) = poppler("pdfinfo", &[file.as_os_str()]) {
            assert!(
                info.lines()
                    .any(|line| line.starts_with("Pages:") && line.trim_end().ends_with(" 1")),
                "{info}"
            );
            assert!(info.contains("A4"), "{info}");
            let read = poppler(
                "pdftotext",
                &[
                    "-enc".as_ref(),
                    "UTF-8".as_ref(),
                    file.as_os_str(),
                    "-".as_ref(),
                ],
            )
            .unwrap_or_default();
            assert!(
                read.contains(&firm.name),
                "{lang}: pdftotext reads the name:\n{read}"
            );
            assert!(read.contains(labels[0]), "{lang}:\n{read}");
        } else {
            eprintln!("poppler-utils not installed: the PDF is not read back by a viewer");
        }
        if let (Some(dir), "fr") = (&shots, lang) {
            std::fs::create_dir_all(dir).unwrap();
            let png = dir.join("10-fiche-pistes");
            let rendered = std::process::Command::new("pdftoppm")
                .args(["-png", "-r", "100", "-singlefile"])
                .arg(&file)
                .arg(&png)
                .status();
            match rendered {
                Ok(status) => assert!(status.success(), "pdftoppm failed"),
                Err(_) => eprintln!("pdftoppm not installed: no picture of the sheet"),
            }
        }
    }

    // An adviser who does not see the firm gets what the CSV route answers: not found.
    let rioja = world.key(pb::Role::Adviser, &["ES-RI"], "", "").await;
    let (rioja_cookie, _) = sign_in(&world, rioja.expose()).await;
    let foreign_pdf = client.get(&path, &[("cookie", &rioja_cookie)]).await;
    let foreign_csv = client
        .get(
            &format!("/console/firms/{}/leads.csv", firm.id),
            &[("cookie", &rioja_cookie)],
        )
        .await;
    assert_eq!(foreign_pdf.status, 404);
    assert_eq!(foreign_pdf.status, foreign_csv.status);
    assert_eq!(
        foreign_pdf.header("content-type"),
        foreign_csv.header("content-type")
    );
    assert!(!foreign_pdf.body.starts_with(b"%PDF-"));
    assert!(!contains(&foreign_pdf.body, firm.name.as_bytes()));

    world.stop().await;
}

/// The scenario's future is large in a debug build: it runs on a thread with a big stack.
#[test]
fn an_adviser_works_a_lead_in_headless_chromium() {
    let outcome = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(16 << 20)
                .enable_all()
                .build()
                .unwrap()
                .block_on(Box::pin(browser_scenario()));
        })
        .unwrap()
        .join();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

// ----- the map -----

/// The outlines bundled with the gateway, read here on their own.
const BOUNDARIES: &str = include_str!("../data/boundaries.json");

/// The five regions of the product and the first two digits of their place codes.
const REGIONS: [(&str, &str); 5] = [
    ("FR-32", "32"),
    ("ES-HU", "22"),
    ("ES-Z", "50"),
    ("ES-TE", "44"),
    ("ES-LO", "26"),
];

/// The attributes of an element's opening tag (`name="value"` pairs).
fn attributes(tag: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].rsplit([' ', '<']).next().unwrap_or_default();
        let value_start = eq + 2;
        let Some(len) = rest[value_start..].find('"') else {
            break;
        };
        out.insert(
            name.to_owned(),
            rest[value_start..value_start + len].to_owned(),
        );
        rest = &rest[value_start + len + 1..];
    }
    out
}

/// Every element whose opening tag starts with `start`: its attributes and the markup up
/// to its closing tag `end`.
fn elements(svg: &str, start: &str, end: &str) -> Vec<(HashMap<String, String>, String)> {
    svg.split(start)
        .skip(1)
        .map(|rest| {
            let tag_end = rest.find('>').unwrap();
            let body_end = rest.find(end).unwrap_or(rest.len());
            (
                attributes(&rest[..tag_end]),
                rest[tag_end..body_end].to_owned(),
            )
        })
        .collect()
}

/// The rings of an SVG path drawn as `Mx,yLx,y…Z`.
fn path_rings(d: &str) -> Vec<Vec<(f64, f64)>> {
    d.split('M')
        .filter(|ring| !ring.is_empty())
        .map(|ring| {
            ring.trim_end_matches('Z')
                .split('L')
                .map(|pair| {
                    let (x, y) = pair.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

/// Even–odd point-in-polygon over every ring.
fn inside(rings: &[Vec<(f64, f64)>], x: f64, y: f64) -> bool {
    let mut inside = false;
    for ring in rings {
        for pair in ring.windows(2) {
            let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
            if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
                inside = !inside;
            }
        }
    }
    inside
}

/// The bundled rings (lon, lat) of an area.
fn bundled_rings(id: &str) -> Vec<Vec<(f64, f64)>> {
    let data: serde_json::Value = serde_json::from_str(BOUNDARIES).unwrap();
    let area = data["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("{id} in the bundled outlines"));
    area["polygons"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|polygon| polygon.as_array().unwrap().iter())
        .map(|ring| {
            let flat: Vec<f64> = ring
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_f64().unwrap())
                .collect();
            flat.chunks_exact(2).map(|c| (c[0], c[1])).collect()
        })
        .collect()
}

/// Every published listing the key can read.
async fn published_listings(world: &World, key: &pyred_runtime::Secret) -> Vec<pb::Opportunity> {
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = world
            .registry_as(key)
            .list_opportunities(pb::ListOpportunitiesRequest {
                page: Some(pb::PageRequest {
                    page_size: 100,
                    page_token: token,
                }),
                status: pb::OpportunityStatus::Published as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        all.extend(page.opportunities);
        if page.next_page_token.is_empty() {
            return all;
        }
        token = page.next_page_token;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_draws_real_outlines_with_every_record_inside() {
    let world = World::start().await;
    let (cookie, _) = sign_in(&world, world.adviser.expose()).await;
    let reply = world
        .client
        .get("/console/map.svg", &[("cookie", &cookie)])
        .await;
    assert_eq!(reply.status, 200);
    let svg = reply.text();

    // The Gers and the four provinces, drawn from the real outlines (hundreds of
    // points each, not a box), the Gers cantons as thin lines, the border.
    let mut drawn = HashMap::new();
    for (area, _) in REGIONS {
        let (attrs, _) = elements(&svg, &format!("<path id=\"area-{area}\""), ">")
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{area} outline drawn"));
        let rings = path_rings(&attrs["d"]);
        let points: usize = rings.iter().map(Vec::len).sum();
        assert!(points > 100, "{area}: {points} points");
        assert_eq!(
            rings[0].len(),
            bundled_rings(area)[0].len(),
            "{area} drawn from the bundled data"
        );
        drawn.insert(area, rings);
    }
    let cantons = elements(&svg, "<path d=", ">")
        .into_iter()
        .filter(|(a, _)| {
            a.get("data-area")
                .is_some_and(|id| id.starts_with("FR-32-"))
        })
        .count();
    assert!(cantons >= 17, "the Gers cantons: {cantons}");
    assert!(svg.contains("<path id=\"border\""));
    assert!(!svg.contains("<polyline"), "no hand-traced border left");

    // Every record the adviser sees has a marker, inside its own region and no other:
    // in degrees against the bundled data, and in SVG units against the drawn outline.
    let firms: Vec<pb::Company> = world
        .companies()
        .await
        .into_iter()
        .filter(|c| c.region == "FR-32")
        .collect();
    let listings = published_listings(&world, &world.adviser).await;
    assert!(firms.len() >= 20 && listings.len() >= 45);
    let markers = elements(&svg, "<a class=\"marker\"", "</a>");
    assert_eq!(
        markers.len(),
        firms.len() + listings.len(),
        "one marker a record"
    );
    let bundled: HashMap<&str, Vec<Vec<(f64, f64)>>> = REGIONS
        .iter()
        .map(|(a, _)| (*a, bundled_rings(a)))
        .collect();
    let mut fills: HashMap<String, String> = HashMap::new();
    for (id, place, expected_type, href) in firms
        .iter()
        .map(|f| {
            (
                &f.id,
                f.location.as_ref().unwrap(),
                "firm",
                "/console/firms/",
            )
        })
        .chain(listings.iter().map(|l| {
            (
                &l.id,
                l.location.as_ref().unwrap(),
                "listing",
                "/console/opportunities/",
            )
        }))
    {
        let (attrs, body) = markers
            .iter()
            .find(|(a, _)| a["data-record"] == *id)
            .unwrap_or_else(|| panic!("a marker for {id}"));
        assert_eq!(attrs["data-type"], expected_type);
        assert_eq!(attrs["href"], format!("{href}{id}"));
        let region = REGIONS
            .iter()
            .find(|(_, prefix)| place.place_code.starts_with(prefix))
            .map(|(a, _)| *a)
            .unwrap_or_else(|| panic!("{id}: place {} in none of the regions", place.place_code));
        assert_eq!(attrs["data-area"], region, "{id}");
        let (lon, lat): (f64, f64) = (
            attrs["data-lon"].parse().unwrap(),
            attrs["data-lat"].parse().unwrap(),
        );
        assert!((lat - place.lat.unwrap()).abs() < 1e-4 && (lon - place.lon.unwrap()).abs() < 1e-4);
        let (x, y): (f64, f64) = (
            attrs["data-x"].parse().unwrap(),
            attrs["data-y"].parse().unwrap(),
        );
        for (area, _) in REGIONS {
            let expected = area == region;
            assert_eq!(
                inside(&bundled[area], lon, lat),
                expected,
                "{id} at {lat},{lon} ({}): inside {area}?",
                place.place_name
            );
            assert_eq!(
                inside(&drawn[area], x, y),
                expected,
                "{id} drawn at {x},{y}: inside {area}?"
            );
        }
        // The shape is drawn where the marker says.
        let shape = attributes(body.split("</title>").nth(1).unwrap());
        let (sx, sy) = match shape.get("cx") {
            Some(cx) => (
                cx.parse::<f64>().unwrap(),
                shape["cy"].parse::<f64>().unwrap(),
            ),
            None => (
                shape["x"].parse::<f64>().unwrap() + 5.5,
                shape["y"].parse::<f64>().unwrap() + 5.5,
            ),
        };
        assert!(
            (sx - x).abs() < 0.2 && (sy - y).abs() < 0.2,
            "{id}: shape at {sx},{sy}"
        );
        // One colour a kind.
        let kind = attrs["data-kind"].clone();
        let fill = shape["fill"].clone();
        assert_eq!(
            fills.entry(kind.clone()).or_insert(fill.clone()),
            &fill,
            "{kind}"
        );
    }
    let kinds: HashSet<&String> = fills.keys().collect();
    let colours: HashSet<&String> = fills.values().collect();
    assert_eq!(kinds.len(), 7, "firms and the six listing kinds: {fills:?}");
    assert_eq!(colours.len(), kinds.len(), "a colour a kind: {fills:?}");

    // Overlapping markers are clustered: the listings of Zaragoza city share one
    // cluster; each member is hidden under a cluster that counts it and lists it in
    // its tooltip; no two markers left visible overlap.
    let clusters = elements(&svg, "<g class=\"cluster\"", "</g>");
    let zaragoza: HashSet<&String> = listings
        .iter()
        .filter(|l| l.location.as_ref().unwrap().place_code == "50297")
        .map(|l| {
            &markers
                .iter()
                .find(|(m, _)| m["data-record"] == l.id)
                .unwrap()
                .0["data-cluster"]
        })
        .collect();
    assert_eq!(zaragoza.len(), 1, "Zaragoza's listings in one cluster");
    for (attrs, body) in &clusters {
        let members: Vec<_> = markers
            .iter()
            .filter(|(m, _)| m.get("data-cluster") == attrs.get("data-cluster"))
            .collect();
        assert_eq!(members.len().to_string(), attrs["data-count"]);
        for (member, _) in members {
            assert_eq!(member["display"], "none");
            let x: f64 = member["data-x"].parse().unwrap();
            let y: f64 = member["data-y"].parse().unwrap();
            let cx: f64 = attrs["data-x"].parse().unwrap();
            let cy: f64 = attrs["data-y"].parse().unwrap();
            assert!((x - cx).hypot(y - cy) < 26.0, "a member near its cluster");
        }
        assert_eq!(body.matches('•').count().to_string(), attrs["data-count"]);
    }
    let unclustered = markers
        .iter()
        .filter(|(m, _)| !m.contains_key("data-cluster"));
    for (a, _) in unclustered {
        for (b, _) in markers
            .iter()
            .filter(|(m, _)| !m.contains_key("data-cluster"))
        {
            if a["data-record"] != b["data-record"] {
                let d = (a["data-x"].parse::<f64>().unwrap() - b["data-x"].parse::<f64>().unwrap())
                    .hypot(
                        a["data-y"].parse::<f64>().unwrap() - b["data-y"].parse::<f64>().unwrap(),
                    );
                assert!(
                    d >= 8.0,
                    "two visible markers overlap: {} {}",
                    a["data-record"],
                    b["data-record"]
                );
            }
        }
    }

    // The legend in the adviser's language: French, then Spanish.
    for word in [
        "Légende",
        "Appel d'offres",
        "Offre de technologie",
        "Vos entreprises",
        "Frontière",
        "Cantons du Gers",
        "ADMIN EXPRESS",
    ] {
        assert!(svg.contains(word), "{word}");
    }
    let spanish = world
        .client
        .get(
            "/console/map.svg",
            &[("cookie", &format!("{cookie}; pyred_lang=es"))],
        )
        .await
        .text();
    for word in [
        "Leyenda",
        "Licitación",
        "Demanda tecnológica",
        "Sus empresas",
        "Frontera",
        "ESPAÑA",
    ] {
        assert!(spanish.contains(word), "{word}");
    }

    // The page inlines the same map, with its exports, and no inline script.
    let page = world
        .client
        .get("/console/map", &[("cookie", &cookie)])
        .await;
    let csp = page.header("content-security-policy").unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let html = page.text();
    assert!(html.contains("<svg") && html.contains("id=\"area-ES-TE\""));
    assert!(html.contains("href=\"/console/map.svg\"") && html.contains("id=\"map-png\""));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only /static/console.js"
    );
    let css = world.client.get("/static/console.css", &[]).await.text();
    assert!(css.contains("@media print"));

    // Another adviser's territory holds none of these firms: the map shows none.
    let aragon = world.key(pb::Role::Adviser, &["ES-AR"], "", "").await;
    let (aragon_cookie, _) = sign_in(&world, aragon.expose()).await;
    let theirs = world
        .client
        .get("/console/map.svg", &[("cookie", &aragon_cookie)])
        .await
        .text();
    assert!(!theirs.contains("data-type=\"firm\""));
    assert!(theirs.contains("data-type=\"listing\""));

    world.stop().await;
}

/// Inputs of the current page without a label (hidden ones aside).
const UNLABELLED: &str = "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.name || e.id);";

async fn browser_scenario() {
    let Some((chromium, chromedriver)) = webdriver::installed() else {
        assert!(
            std::env::var("PYRED_REQUIRE_BROWSER").is_err(),
            "chromium and chromium-driver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIPPED: chromium or chromium-driver not installed");
        return;
    };
    let shots: Option<PathBuf> = std::env::var_os("PYRED_SCREENSHOTS").map(PathBuf::from);
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).unwrap();
    }
    let world = World::start().await;
    let firm = world.demo_firm("demo-gers-04").await;
    let base = world.base_url.clone();
    let browser = Browser::start(&chromium, &chromedriver).await;
    let shoot = |name: &'static str| {
        let file = shots.as_ref().map(|dir| dir.join(name));
        let browser = &browser;
        async move {
            if let Some(file) = file {
                browser.fit_height().await;
                browser.screenshot(&file).await;
                browser.reset_height().await;
            }
        }
    };

    // Sign in.
    browser.goto(&format!("{base}/console")).await;
    assert!(browser.url().await.ends_with("/console/login"));
    shoot("01-connexion.png").await;
    browser.type_into("#key", world.adviser.expose()).await;
    browser.click("#sign-in").await;
    browser
        .wait_url("the dashboard", |url| url.ends_with("/console"))
        .await;
    assert_eq!(browser.text("h1").await, "Tableau de bord");
    let cookies = browser.cookies().await;
    let session = cookies
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "pyred_session")
        .unwrap();
    assert_eq!(session["httpOnly"], true);
    assert_eq!(session["secure"], true);
    assert_eq!(session["sameSite"], "Strict");
    // Keyboard: the first Tab reaches the skip link.
    let focused = browser.tab(1).await;
    assert_eq!(focused["href"], "#main", "{focused}");
    shoot("02-tableau-de-bord.png").await;

    // Search, with the place autocomplete.
    browser.click("nav a[href='/console/search']").await;
    browser
        .type_into("#q", "usinage de pièces aéronautiques")
        .await;
    browser.type_into("#place", "Sarag").await;
    wait_until(
        "the place autocomplete to fill its list",
        Duration::from_secs(10),
        || async { (browser.count("#place-list option").await > 0).then_some(()) },
    )
    .await;
    browser.type_into("#place", "").await;
    assert_eq!(
        browser.script(UNLABELLED).await,
        serde_json::json!([]),
        "every input of the search page is labelled"
    );
    browser.click("#search-button").await;
    browser
        .wait_url("a search", |url| url.contains("q=usinage"))
        .await;
    let results = browser.text("#results-h").await;
    let total: i64 = results.split_whitespace().next().unwrap().parse().unwrap();
    assert!(total > 0, "{results}");
    assert!(
        browser.count(".hit mark").await > 0,
        "matched terms highlighted"
    );
    assert!(browser.count(".facets a").await > 0, "facets offered");
    shoot("03-recherche.png").await;
    // A facet narrows the results; a second facet of the same kind replaces the first.
    browser.click(".facets a[href*='regions=ES-AR']").await;
    browser
        .wait_url("a region facet", |url| url.contains("regions=ES-AR"))
        .await;
    let narrowed: i64 = browser
        .text("#results-h")
        .await
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(narrowed > 0 && narrowed <= total, "{narrowed} of {total}");
    assert_eq!(
        browser.count(".hit .meta").await,
        browser.count(".hit").await
    );
    let in_region = browser.script("return [...document.querySelectorAll('.hit .meta')].every(e => e.textContent.includes('(ES-AR)'));").await;
    assert_eq!(in_region, serde_json::json!(true));
    let first_listing = browser
        .attribute(".hit-opportunity h3 a", "href")
        .await
        .unwrap();
    browser.goto(&format!("{base}{first_listing}")).await;
    assert!(
        browser.count("#terms tbody tr").await > 0,
        "key terms with their French labels"
    );
    shoot("04-opportunite.png").await;
    // A tender's page: the buyer, and the official notice opening in a new tab, its
    // address intact.
    let tender = world
        .registry()
        .create_opportunity(pb::CreateOpportunityRequest {
            opportunity: Some(common::tender("browser-tender-1")),
            draft: false,
        })
        .await
        .unwrap()
        .into_inner();
    browser
        .goto(&format!("{base}/console/opportunities/{}", tender.id))
        .await;
    assert!(browser.text("#buyer").await.contains(common::TENDER_BUYER));
    assert_eq!(
        browser.attribute("#official-link", "href").await.as_deref(),
        Some(common::TENDER_URL)
    );
    assert_eq!(
        browser.attribute("#official-link", "rel").await.as_deref(),
        Some("noopener noreferrer")
    );
    assert_eq!(
        browser
            .attribute("#official-link", "target")
            .await
            .as_deref(),
        Some("_blank")
    );
    assert_eq!(browser.count("#lots tbody tr").await, 2);

    // Open a firm and move its best lead forward.
    browser
        .goto(&format!("{base}/console/firms/{}", firm.id))
        .await;
    assert_eq!(browser.text("h1").await, firm.name);
    let lead_id = browser
        .attribute("article.lead", "id")
        .await
        .unwrap()
        .trim_start_matches("lead-")
        .to_owned();
    shoot("05-entreprise.png").await;
    assert_eq!(
        browser.script(UNLABELLED).await,
        serde_json::json!([]),
        "every input of the firm page is labelled"
    );
    browser
        .click(&format!(
            "[id='lead-{lead_id}'] button[data-action='shortlisted']"
        ))
        .await;
    browser
        .wait_url("the firm page after the change", |url| {
            url.contains("ok=status_changed")
        })
        .await;
    assert_eq!(
        browser
            .attribute(&format!("[id='lead-{lead_id}'] .status"), "data-status")
            .await
            .as_deref(),
        Some("shortlisted")
    );
    let stored = world
        .matchmaking()
        .get_match(pb::GetMatchRequest {
            id: lead_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stored.status,
        pb::MatchStatus::Shortlisted as i32,
        "the change persisted in matchmaking"
    );

    // A note, persisted too.
    browser
        .click(&format!(
            "[id='lead-{lead_id}'] details:last-of-type summary"
        ))
        .await;
    browser
        .type_into(
            &format!("[id='note-{lead_id}']"),
            "Appeler M. Dupuy mardi — intéressé par Saragosse",
        )
        .await;
    browser
        .click(&format!(
            "[id='lead-{lead_id}'] form[action$='/notes'] button"
        ))
        .await;
    browser
        .wait_url("the firm page after the note", |url| {
            url.contains("ok=note_added")
        })
        .await;
    let stored = world
        .matchmaking()
        .get_match(pb::GetMatchRequest {
            id: lead_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        stored.notes.iter().any(|n| n.text.contains("Dupuy")),
        "{:?}",
        stored.notes
    );

    // Dismissing another lead needs a reason, which is kept.
    let second = world
        .matchmaking()
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: firm.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matches
        .into_iter()
        .find(|m| m.id != lead_id && m.status == pb::MatchStatus::Proposed as i32)
        .unwrap();
    browser
        .goto(&format!("{base}/console/firms/{}", firm.id))
        .await;
    browser
        .type_into(
            &format!("[id='reason-{}']", second.id),
            "hors cible : volumes trop faibles",
        )
        .await;
    browser
        .click(&format!(
            "[id='lead-{}'] button[data-action='dismissed']",
            second.id
        ))
        .await;
    browser
        .wait_url("the firm page after the dismissal", |url| {
            url.contains("ok=status_changed")
        })
        .await;
    let dismissed = world
        .matchmaking()
        .get_match(pb::GetMatchRequest {
            id: second.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dismissed.status, pb::MatchStatus::Dismissed as i32);
    assert_eq!(
        dismissed.dismiss_reason,
        "hors cible : volumes trop faibles"
    );

    // The edit form shows the registry's field-level messages next to the fields.
    browser.click("#edit-link").await;
    browser
        .wait_url("the edit form", |url| url.ends_with("/edit"))
        .await;
    browser.type_into("#f-employees", "-4").await;
    browser.type_into("#f-location_place_code", "99999").await;
    browser.click("#save").await;
    browser.element("#e-employees").await;
    let employees_error = browser.text("#e-employees").await;
    assert!(!employees_error.is_empty());
    assert_eq!(
        browser
            .attribute("#f-employees", "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    assert!(
        browser
            .text("#e-location_place_code")
            .await
            .contains("99999")
    );
    shoot("06-modification-erreurs.png").await;
    assert_eq!(
        browser.script(UNLABELLED).await,
        serde_json::json!([]),
        "every input of the edit form is labelled"
    );
    let unchanged = world
        .registry()
        .get_company(pb::GetCompanyRequest {
            id: firm.id.clone(),
            legal_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        unchanged.employees, firm.employees,
        "nothing saved on error"
    );
    browser.type_into("#f-employees", "42").await;
    browser
        .type_into(
            "#f-location_place_code",
            &firm.location.as_ref().unwrap().place_code,
        )
        .await;
    browser.click("#save").await;
    browser
        .wait_url("the firm page after saving", |url| url.contains("ok=saved"))
        .await;
    let saved = world
        .registry()
        .get_company(pb::GetCompanyRequest {
            id: firm.id.clone(),
            legal_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(saved.employees, Some(42));

    // The map: the five outlines; a cluster fans its records out on click and folds
    // back on Escape; the PNG export draws the SVG on a canvas, all in the browser.
    // A fixed day (the Bielsa tunnel's documented closure, the Puymorens col's season),
    // so that the screenshots are the same whenever they are taken.
    browser
        .goto(&format!("{base}/console/map?day=2026-01-18"))
        .await;
    assert_eq!(browser.count("svg.pyred-map path.region").await, 5);
    assert!(browser.count("svg.pyred-map .marker").await > 60);
    let travel = pyred_travel::TravelModel::bundled();
    assert_eq!(
        browser.count("svg.pyred-map .crossing").await,
        travel.crossings().len()
    );
    let january = pyred_travel::Day::parse("2026-01-18").unwrap();
    assert_eq!(
        browser
            .count("svg.pyred-map .crossing[data-state=closed]")
            .await,
        travel
            .crossings()
            .iter()
            .filter(|c| c.closed_on(january))
            .count()
    );
    shoot("07-carte.png").await;
    let biggest = browser
        .script("return [...document.querySelectorAll('.cluster')].sort((a, b) => b.dataset.count - a.dataset.count)[0].id;")
        .await;
    let biggest = biggest.as_str().unwrap().to_owned();
    let shown = format!(
        "return document.querySelectorAll('.marker[data-cluster=\"{}\"]:not([display])').length;",
        biggest.trim_start_matches("cluster-")
    );
    assert_eq!(browser.script(&shown).await, 0);
    browser.click(&format!("#{biggest}")).await;
    let count = browser
        .attribute(&format!("#{biggest}"), "data-count")
        .await
        .unwrap();
    assert_eq!(browser.script(&shown).await.to_string(), count);
    assert_eq!(
        browser
            .attribute(&format!("#{biggest}"), "aria-expanded")
            .await
            .as_deref(),
        Some("true")
    );
    browser
        .script("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'})); return 0;")
        .await;
    assert_eq!(browser.script(&shown).await, 0);
    browser
        .script(
            "window.__png = null; let blob = null; const make = URL.createObjectURL; URL.createObjectURL = function (b) { blob = b; return make(b); }; HTMLAnchorElement.prototype.click = function () { const name = this.download; blob.arrayBuffer().then(b => { window.__png = {name: name, size: b.byteLength, head: [...new Uint8Array(b.slice(0, 4))].join(',')}; }); }; return 0;",
        )
        .await;
    browser.click("#map-png").await;
    let png = wait_until(
        "the PNG export to finish",
        Duration::from_secs(30),
        || async {
            let png = browser.script("return window.__png;").await;
            (!png.is_null()).then_some(png)
        },
    )
    .await;
    assert_eq!(png["name"], "pyred-carte.png");
    assert_eq!(png["head"], "137,80,78,71", "a PNG: {png}");
    assert!(png["size"].as_u64().unwrap() > 50_000, "{png}");
    browser
        .goto(&format!(
            "{base}/console/lang/es?back=/console/firms/{}",
            firm.id
        ))
        .await;
    browser
        .wait_url("the firm page", |url| url.contains("/console/firms/"))
        .await;
    assert!(browser.source().await.contains("Mejores pistas"));
    shoot("08-empresa-es.png").await;
    browser
        .goto(&format!("{base}/console/map?day=2026-01-18"))
        .await;
    assert_eq!(browser.text("h1").await, "Mapa: Gers, Aragón y La Rioja");
    assert!(browser.source().await.contains("Pasos del Pirineo"));
    assert!(browser.source().await.contains("Leyenda"));
    shoot("09-mapa-es.png").await;

    browser.quit().await;
    world.stop().await;
}

async fn sign_in_browser(browser: &Browser, base: &str, key: &str) {
    browser.goto(&format!("{base}/console")).await;
    browser.type_into("#key", key).await;
    browser.click("#sign-in").await;
    browser
        .wait_url("the dashboard", |url| url.ends_with("/console"))
        .await;
}

/// Alerts reach a signed-in adviser without a reload: a listing synced through the
/// registry shows in the header's count and at the top of the alerts list within 2 s;
/// marked read, it stays read after the gateway restarts (the inbox is matchmaking's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_alerts_arrive_live_and_stay_read_after_a_gateway_restart() {
    let Some((chromium, chromedriver)) = webdriver::installed() else {
        assert!(
            std::env::var("PYRED_REQUIRE_BROWSER").is_err(),
            "chromium and chromium-driver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIPPED: chromium or chromium-driver not installed");
        return;
    };
    let shots: Option<PathBuf> = std::env::var_os("PYRED_SCREENSHOTS").map(PathBuf::from);
    let mut world = World::start().await;
    let base = world.base_url.clone();
    let browser = Browser::start(&chromium, &chromedriver).await;
    sign_in_browser(&browser, &base, world.adviser.expose()).await;
    browser.goto(&format!("{base}/console/alerts")).await;
    browser
        .wait_url("the alerts page", |url| url.ends_with("/console/alerts"))
        .await;
    // Wait for the follower to finish with the demo set: a stable count.
    let count = || async {
        let text = browser
            .script("var b = document.getElementById('alert-count'); return b.hidden ? '0' : b.textContent;")
            .await;
        text.as_str().unwrap_or("0").parse::<i64>().unwrap_or(-1)
    };
    let mut before = -2;
    for _ in 0..60 {
        browser.goto(&format!("{base}/console/alerts")).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let now = count().await;
        if now == before && now > 0 {
            break;
        }
        before = now;
    }
    assert!(before > 0, "the demo's alerts are counted in the header");

    // A buyer's request for what a Gers firm makes, synced by its agency.
    let mut registry = world.registry();
    registry
        .sync_listings(pb::SyncListingsRequest {
            source: "arex".to_owned(),
            upserts: vec![pb::Opportunity {
                external_id: "arex-live-alert".to_owned(),
                kind: pb::OpportunityKind::BusinessRequest as i32,
                title: "Distribuidor gourmet busca proveedor de foie gras y magret de pato"
                    .to_owned(),
                description: "Tiendas delicatessen de Zaragoza buscan un fabricante francés \
                              de foie gras entero, bloc de foie gras, confit y magret de pato."
                    .to_owned(),
                language: pb::Language::Es as i32,
                location: Some(pb::Location {
                    place_code: "50297".to_owned(),
                    ..Default::default()
                }),
                region: "ES-AR".to_owned(),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("synced");
    let acknowledged = tokio::time::Instant::now();
    // Within 2 s of the sync, the page shows the alert (no reload).
    let (seq, after) = wait_until(
        "the alert to reach the page",
        Duration::from_secs(2).saturating_sub(acknowledged.elapsed()),
        || async {
            let first = browser
                .script(
                    "var li = document.querySelector('#alert-list li.unread'); \
                     return li ? [li.dataset.seq, li.textContent] : null;",
                )
                .await;
            let now = count().await;
            if let Some([seq, text]) = first.as_array().map(Vec::as_slice)
                && text
                    .as_str()
                    .unwrap_or_default()
                    .contains("foie gras y magret")
                && now > before
            {
                return Some((seq.as_str().unwrap().to_owned(), now));
            }
            None
        },
    )
    .await;
    assert!(
        browser.url().await.ends_with("/console/alerts"),
        "no reload"
    );
    // The same listing may match other firms: let the live count settle.
    let mut after = after;
    let mut stable = 0;
    while stable < 10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = count().await;
        if now == after {
            stable += 1;
        } else {
            after = now;
            stable = 0;
        }
    }
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).unwrap();
        browser.screenshot(&dir.join("11-alertes.png")).await;
    }

    // Mark it read from the live item's own button.
    browser
        .click(&format!("#alert-{seq} button[data-action='mark-read']"))
        .await;
    browser
        .wait_url("the alerts page after marking", |url| {
            url.contains("ok=alerts_read")
        })
        .await;
    assert_eq!(
        browser.count(&format!("#alert-{seq}.unread")).await,
        0,
        "marked read"
    );
    let wait_count = |expected: i64| {
        let count = &count;
        async move {
            wait_until(
                &format!("the header to count {expected} unread"),
                Duration::from_secs(15),
                || async { (count().await == expected).then_some(expected) },
            )
            .await
        }
    };
    assert_eq!(wait_count(after - 1).await, after - 1, "one less unread");

    // The gateway restarts: the session (in its store) and the inbox (matchmaking's)
    // both outlive it, so the adviser is still signed in.
    world.restart_gateway().await;
    browser.goto(&format!("{base}/console/alerts")).await;
    assert!(
        browser.url().await.ends_with("/console/alerts"),
        "still signed in after the restart"
    );
    browser.element(&format!("#alert-{seq}")).await;
    assert_eq!(
        browser.count(&format!("#alert-{seq}.unread")).await,
        0,
        "still read after the restart"
    );
    assert_eq!(
        wait_count(after - 1).await,
        after - 1,
        "the same unread count after the restart"
    );
    browser.quit().await;
    world.stop().await;
}

// ----- the service radius in hours -----

/// `application/x-www-form-urlencoded` of one value.
fn form_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The edit form as a browser would post it for `firm` unchanged, with `radius_hours`.
fn edit_body(firm: &pb::Company, csrf: &str, radius_hours: &str) -> String {
    let contact = firm.contact.clone().unwrap_or_default();
    let givens: Vec<String> = firm.activities.iter().map(|a| a.given.clone()).collect();
    [
        ("csrf", csrf.to_owned()),
        ("version", firm.version.to_string()),
        ("name", firm.name.clone()),
        ("description", firm.description.clone()),
        ("offers", firm.offers.clone()),
        ("seeks", firm.seeks.clone()),
        ("activities", givens.join(", ")),
        ("languages", firm.languages.join(", ")),
        (
            "employees",
            firm.employees.map(|e| e.to_string()).unwrap_or_default(),
        ),
        (
            "location_place_code",
            firm.location.as_ref().unwrap().place_code.clone(),
        ),
        ("contact_name", contact.name),
        ("contact_email", contact.email),
        ("contact_phone", contact.phone),
        (
            "visibility",
            if firm.visibility == pb::Visibility::Public as i32 {
                "public"
            } else {
                "advisers_only"
            }
            .to_owned(),
        ),
        (
            "service_radius_km",
            firm.service_radius_km
                .map(|r| r.to_string())
                .unwrap_or_default(),
        ),
        ("service_radius_hours", radius_hours.to_owned()),
    ]
    .iter()
    .map(|(key, value)| format!("{key}={}", form_value(value)))
    .collect::<Vec<_>>()
    .join("&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_firm_form_edits_the_service_radius_in_hours_in_french_and_spanish() {
    let world = World::start().await;
    let client = &world.client;
    let (cookie, csrf) = sign_in(&world, world.adviser.expose()).await;
    let spanish = format!("{cookie}; pyred_lang=es");
    let firm = world.demo_firm("demo-gers-05").await;
    let edit = format!("/console/firms/{}/edit", firm.id);

    let form = client.get(&edit, &[("cookie", &cookie)]).await.text();
    assert!(
        form.contains("<label for=\"f-service_radius_hours\">Rayon d&#x27;intervention (heures de route)</label>")
            || form.contains("<label for=\"f-service_radius_hours\">Rayon d'intervention (heures de route)</label>"),
        "{form}"
    );
    assert!(form.contains("name=\"service_radius_hours\""));
    let form_es = client.get(&edit, &[("cookie", &spanish)]).await.text();
    assert!(
        form_es.contains("Radio de servicio (horas de carretera)"),
        "{form_es}"
    );

    // Out of range: the registry's message next to the field, nothing saved.
    let refused = client
        .post_form(&edit, &cookie, edit_body(&firm, &csrf, "30"))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    let page = refused.text();
    assert!(
        page.contains("id=\"e-service_radius_hours\">must be more than 0 and at most 24 hours</p>"),
        "{page}"
    );
    assert!(page.contains("id=\"f-service_radius_hours\" name=\"service_radius_hours\" type=\"text\" value=\"30\" aria-invalid=\"true\""));
    // Not a number: said in the adviser's language, before any call.
    let words = client
        .post_form(&edit, &cookie, edit_body(&firm, &csrf, "trois"))
        .await;
    assert_eq!(words.status, 422);
    assert!(
        words
            .text()
            .contains("id=\"e-service_radius_hours\">nombre attendu</p>")
    );
    let palabras = client
        .post_form(&edit, &spanish, edit_body(&firm, &csrf, "tres"))
        .await;
    assert_eq!(palabras.status, 422);
    assert!(
        palabras
            .text()
            .contains("id=\"e-service_radius_hours\">se espera un número</p>")
    );
    assert_eq!(world.demo_firm("demo-gers-05").await.version, firm.version);

    // A decimal comma is read; only the radius changes; the firm page shows it.
    let saved = client
        .post_form(&edit, &cookie, edit_body(&firm, &csrf, "2,5"))
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let stored = world.demo_firm("demo-gers-05").await;
    assert_eq!(stored.service_radius_hours, Some(2.5));
    assert_eq!(stored.name, firm.name);
    assert_eq!(stored.service_radius_km, firm.service_radius_km);
    let page = client
        .get(
            &format!("/console/firms/{}", firm.id),
            &[("cookie", &cookie)],
        )
        .await
        .text();
    assert!(
        page.contains("<dd id=\"radius-hours\">2 h 30</dd>"),
        "{page}"
    );
    let pagina = client
        .get(
            &format!("/console/firms/{}", firm.id),
            &[("cookie", &spanish)],
        )
        .await
        .text();
    assert!(pagina.contains("Radio de servicio (horas de carretera)"));
    let form = client.get(&edit, &[("cookie", &cookie)]).await.text();
    assert!(form.contains("name=\"service_radius_hours\" type=\"text\" value=\"2.5\""));

    world.stop().await;
}

// ----- the Pyrenean crossings on the map -----

/// What a crossing's rules say of `day`, worked out here from the travel library alone:
/// (state word of the markup, the French and the Spanish texts that must be shown).
fn expected_crossing_state(
    crossing: &pyred_travel::Crossing,
    day: pyred_travel::Day,
) -> (&'static str, Vec<String>, Vec<String>) {
    use pyred_travel::{Closure, MonthDay};
    let today = MonthDay::of(day);
    let within = |from: MonthDay, to: MonthDay| {
        if from <= to {
            from <= today && today <= to
        } else {
            today >= from || today <= to
        }
    };
    if crossing.closed_on(day) {
        return (
            "closed",
            vec!["fermé ce jour".into()],
            vec!["cerrado ese día".into()],
        );
    }
    let (mut state, mut fr, mut es) = ("open", Vec::new(), Vec::new());
    for rule in crossing.regime().rules() {
        if let Closure::Nightly {
            from_hour,
            to_hour,
            season_from,
            season_to,
        } = rule
            && within(*season_from, *season_to)
        {
            state = "night";
            fr.push(format!("fermé la nuit ({from_hour} h–{to_hour} h)"));
            es.push(format!("cerrado de noche ({from_hour} h–{to_hour} h)"));
        }
    }
    if crossing
        .regime()
        .rules()
        .iter()
        .any(|rule| matches!(rule, Closure::Weather))
    {
        if state == "open" {
            state = "weather";
        }
        fr.push("peut fermer par mauvais temps".into());
        es.push("puede cerrar por mal tiempo".into());
    }
    if state == "open" {
        fr.push("ouvert".into());
        es.push("abierto".into());
    }
    (state, fr, es)
}

/// The text of HTML with the entities minijinja writes turned back into characters.
fn unescaped(html: &str) -> String {
    html.replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_shows_every_crossing_in_its_state_on_the_day() {
    let world = World::start().await;
    let client = &world.client;
    let (cookie, _) = sign_in(&world, world.adviser.expose()).await;
    let spanish = format!("{cookie}; pyred_lang=es");
    let model = pyred_travel::TravelModel::bundled();
    assert!(model.crossings().len() >= 7, "the bundled crossings");

    // Mid-January (the Puymorens col's season closed, the Bielsa tunnel's documented
    // closure, night closures), a winter weekday after it, and a summer day.
    let mut seen = HashSet::new();
    for text in ["2026-01-18", "2026-01-20", "2026-07-15"] {
        let day = pyred_travel::Day::parse(text).unwrap();
        let fr_page = client
            .get(&format!("/console/map?day={text}"), &[("cookie", &cookie)])
            .await;
        assert_eq!(fr_page.status, 200, "{}", fr_page.text());
        let fr_page = fr_page.text();
        let es_page = client
            .get(&format!("/console/map?day={text}"), &[("cookie", &spanish)])
            .await
            .text();
        let svg = client
            .get(
                &format!("/console/map.svg?day={text}"),
                &[("cookie", &cookie)],
            )
            .await
            .text();
        assert!(
            fr_page.contains(&format!("href=\"/console/map.svg?day={text}\"")),
            "the SVG download keeps the day"
        );
        assert!(fr_page.contains(&format!("<time datetime=\"{text}\">")));
        assert!(svg.contains(&format!("Passages des Pyrénées — {text}")));
        for crossing in model.crossings() {
            let id = crossing.id().as_str();
            let (state, fr, es) = expected_crossing_state(crossing, day);
            seen.insert(state);
            let node = model.node(id).unwrap().point();
            let marker = format!(
                "<g class=\"crossing\" id=\"crossing-{id}\" data-crossing=\"{id}\" data-state=\"{state}\" data-lat=\"{:.5}\" data-lon=\"{:.5}\"",
                node.lat(),
                node.lon()
            );
            for (doc, name) in [(&svg, "map.svg"), (&fr_page, "the page")] {
                assert!(doc.contains(&marker), "{text} {id}: {marker} in {name}");
            }
            for (page, name, texts) in [
                (&fr_page, capitalised(crossing.name_fr()), &fr),
                (&es_page, capitalised(crossing.name_es()), &es),
            ] {
                let start =
                    format!("<tr id=\"row-{id}\" data-crossing=\"{id}\" data-state=\"{state}\"");
                let row = page
                    .split(&start)
                    .nth(1)
                    .and_then(|rest| rest.split("</tr>").next())
                    .map(unescaped)
                    .unwrap_or_else(|| panic!("{text}: no row {start}"));
                assert!(row.contains(&format!(">{name}</th>")), "{text} {id}: {row}");
                assert!(row.contains(crossing.roads()), "{text} {id}: {row}");
                for expected in texts {
                    assert!(
                        row.contains(expected.as_str()),
                        "{text} {id}: {expected} in {row}"
                    );
                }
                if state == "closed" {
                    assert!(row.contains("class=\"closed\""));
                    assert!(!row.contains("mauvais") && !row.contains("mal tiempo"));
                }
            }
        }
        if text == "2026-01-18" {
            let closed: Vec<&str> = model
                .crossings()
                .iter()
                .filter(|c| c.closed_on(day))
                .map(|c| c.id().as_str())
                .collect();
            assert!(
                closed.contains(&"bielsa-tunnel") && closed.contains(&"puymorens-col"),
                "the day exercises both kinds of whole-day closure: {closed:?}"
            );
        }
    }
    for state in ["open", "closed", "night", "weather"] {
        assert!(
            seen.contains(state),
            "the three days show a crossing {state}"
        );
    }
    // The legend has both symbols; today is the default day.
    let today = client
        .get("/console/map", &[("cookie", &cookie)])
        .await
        .text();
    assert!(today.contains("Passage fermé ce jour") && today.contains("Passage des Pyrénées"));
    assert!(today.contains(&format!(
        "<time datetime=\"{}\">",
        pyred_travel::Day::today()
    )));
    assert!(today.contains("href=\"/console/map.svg\""));

    // A day that is not one: 400, said in the adviser's language; the SVG as JSON.
    for bad in ["2026-02-30", "tomorrow", "2026-1-18"] {
        let page = client
            .get(&format!("/console/map?day={bad}"), &[("cookie", &cookie)])
            .await;
        assert_eq!(page.status, 400, "{bad}");
        assert!(
            unescaped(&page.text()).contains(&format!("jour invalide « {bad} »")),
            "{}",
            page.text()
        );
        let pagina = client
            .get(&format!("/console/map?day={bad}"), &[("cookie", &spanish)])
            .await;
        assert_eq!(pagina.status, 400);
        assert!(unescaped(&pagina.text()).contains("día no válido"));
        let svg = client
            .get(
                &format!("/console/map.svg?day={bad}"),
                &[("cookie", &cookie)],
            )
            .await;
        assert_eq!(svg.status, 400);
        assert_eq!(svg.json()["error"]["violations"][0]["field"], "day");
    }

    world.stop().await;
}

/// "45 min", "3 h 05".
fn duration(minutes: f64) -> String {
    let total = minutes.round() as u64;
    if total < 60 {
        format!("{total} min")
    } else {
        format!("{} h {:02}", total / 60, total % 60)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lead_cards_and_exports_show_the_trip_by_road_in_french_and_spanish() {
    let world = World::start().await;
    let client = &world.client;
    // A Gers maker of stainless vats (Condom) and its leads as the firm page asks for
    // them: scored today, the first twenty.
    let firm = world.demo_firm("demo-gers-10").await;
    let leads = world
        .matchmaking_as(&world.adviser)
        .list_company_matches(pb::ListCompanyMatchesRequest {
            company_id: firm.id.clone(),
            as_of: None,
            statuses: Vec::new(),
            page: Some(pb::PageRequest {
                page_size: 20,
                page_token: String::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .matches;
    let mut aragon = None;
    for lead in &leads {
        let listing = world
            .registry()
            .get_opportunity(pb::GetOpportunityRequest {
                id: lead.opportunity_id.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        if listing.region == "ES-AR" {
            aragon = Some((lead.clone(), listing));
            break;
        }
    }
    let (lead, listing) = aragon.expect("a lead in Aragón");
    let route = common::expected_trip(&firm, &listing, pyred_travel::Day::today());
    let travel = lead.travel.clone().expect("the lead carries its trip");
    assert_eq!(travel.minutes, route.minutes, "{travel:?} {route:?}");
    assert_eq!(travel.km, route.km, "{travel:?} {route:?}");
    let model = pyred_travel::TravelModel::bundled();
    let crossing = model
        .crossing(route.crossing.as_ref().expect("across the Pyrenees"))
        .unwrap();
    assert_eq!(travel.crossing, crossing.id().as_str());
    assert_eq!(
        travel.closed_crossing,
        route
            .closed_detour
            .as_ref()
            .map(|(c, _)| c.as_str().to_owned())
            .unwrap_or_default()
    );
    let km = format!("{:.0} km", route.km);
    let french = format!(
        "Trajet : {} par {} · {km}",
        duration(route.minutes),
        crossing.name_fr()
    );
    let spanish = format!(
        "Trayecto : {} por {} · {km}",
        duration(route.minutes),
        crossing.name_es()
    );
    let closed = route.closed_detour.as_ref().map(|(c, detour)| {
        let c = model.crossing(c).unwrap();
        (
            format!("{} est fermé ce jour (+{})", c.name_fr(), duration(*detour)),
            format!(
                "{} está cerrado ese día (+{})",
                c.name_es(),
                duration(*detour)
            ),
        )
    });

    // The firm page, in French and in Spanish.
    let (cookie, _) = sign_in(&world, world.adviser.expose()).await;
    let es_cookie = format!("{cookie}; pyred_lang=es");
    let card = |html: &str| {
        let html = unescaped(html);
        let start = html.find(&format!("id=\"lead-{}\"", lead.id)).unwrap();
        let end = html[start..].find("</article>").unwrap();
        html[start..start + end].to_owned()
    };
    let path = format!("/console/firms/{}", firm.id);
    let fr = card(&client.get(&path, &[("cookie", &cookie)]).await.text());
    assert!(fr.contains(&french), "{french} not in\n{fr}");
    let es = card(&client.get(&path, &[("cookie", &es_cookie)]).await.text());
    assert!(es.contains(&spanish), "{spanish} not in\n{es}");
    match &closed {
        Some((closed_fr, closed_es)) => {
            assert!(fr.contains(closed_fr), "{fr}");
            assert!(es.contains(closed_es), "{es}");
        }
        None => assert!(!fr.contains("travel-closed") && !es.contains("travel-closed")),
    }

    // The listing's "firms to call" card, when the firm is among the first twenty.
    let firms = world
        .matchmaking_as(&world.adviser)
        .list_opportunity_matches(pb::ListOpportunityMatchesRequest {
            opportunity_id: listing.id.clone(),
            page: Some(pb::PageRequest {
                page_size: 20,
                page_token: String::new(),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matches;
    if let Some(shown) = firms.iter().find(|m| m.company_id == firm.id) {
        let page = client
            .get(
                &format!("/console/opportunities/{}", listing.id),
                &[("cookie", &cookie)],
            )
            .await
            .text();
        let page = unescaped(&page);
        let start = page.find(&format!("id=\"lead-{}\"", shown.id)).unwrap();
        assert!(page[start..].contains(&french), "{page}");
    }

    // The leads CSV: driving minutes, road km and the crossing, in the page's language.
    for (jar, header, name) in [
        (
            &cookie,
            ["Minutes de route", "Km par la route", "Passage"],
            crossing.name_fr(),
        ),
        (
            &es_cookie,
            ["Minutos en coche", "Km por carretera", "Paso"],
            crossing.name_es(),
        ),
    ] {
        let csv = client
            .get(
                &format!("/console/firms/{}/leads.csv", firm.id),
                &[("cookie", jar)],
            )
            .await;
        assert_eq!(csv.status, 200);
        let text = csv.text();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let columns: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
        let (minutes, road, via) = (at(header[0]), at(header[1]), at(header[2]));
        let row = reader
            .records()
            .map(Result::unwrap)
            .find(|r| r.iter().any(|cell| cell == listing.id))
            .expect("the Aragón lead's row");
        assert_eq!(row[minutes], format!("{:.0}", route.minutes));
        assert_eq!(row[road], format!("{:.1}", route.km));
        assert_eq!(&row[via], name);
    }

    // The PDF lead sheet prints the trip beside the lead, when it is among the ten best.
    if leads.iter().take(10).any(|m| m.id == lead.id) {
        let pdf = client
            .get(
                &format!("/console/firms/{}/leads.pdf", firm.id),
                &[("cookie", &cookie)],
            )
            .await;
        assert_eq!(pdf.status, 200);
        let trip = pyred_gateway::lead_sheet::winansi(french.trim_start_matches("Trajet : "));
        assert!(
            shown_strings(&pdf.body).iter().any(|s| contains(s, &trip)),
            "{french} not on the sheet"
        );
    }

    world.stop().await;
}
