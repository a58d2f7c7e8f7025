//! Organisations through `pyred.v1.Access` on SQLite and PostgreSQL: create, list and
//! update with optimistic concurrency (of two racing updates of one version, one wins);
//! every field validated and named; only admins write, every role lists; writes
//! audited; adviser keys naming an organisation (its territory by default, a subset
//! otherwise, advisers only, known organisations only) read back with their
//! organisation; an old `api_keys` table gains the column.

use std::sync::Arc;

use pyred_access::api::AccessApi;
use pyred_access::{AuditLog, Caller, KeyStore, Role};
use pyred_proto::v1 as pb;
use pyred_proto::v1::access_server::Access;
use pyred_runtime::Secret;
use pyred_runtime::db::{Database, Migrations};
use tonic::Code;

static NONE: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

const MIGRATIONS: Migrations = Migrations {
    sqlite: &NONE,
    postgres: &NONE,
};

async fn open_db(url: &Secret) -> Database {
    Database::open(url, MIGRATIONS)
        .await
        .expect("database opens")
}

/// The database URL itself: these tests open what they need.
async fn url(url: Secret) -> Secret {
    url
}

pyred_runtime::storage_suite! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    open = url -> url;
    create_list_and_update_with_versions,
    of_two_concurrent_updates_of_one_version_exactly_one_wins,
    every_field_is_validated_and_named,
    only_admins_write_and_every_role_lists,
    writes_are_audited,
    adviser_keys_take_their_organisations_territory,
    an_old_key_table_gains_the_organisation_column,
}

async fn api(url: &Secret) -> (AccessApi, KeyStore, AuditLog) {
    let db = open_db(url).await;
    let store = KeyStore::open(db.clone(), Secret::new("k".repeat(40)))
        .await
        .expect("key store");
    let audit = AuditLog::open(db).await.expect("audit log");
    let company_exists: pyred_access::api::CompanyExists =
        Arc::new(|id| Box::pin(async move { id == "c1" }));
    (
        AccessApi::new(store.clone(), audit.clone(), company_exists),
        store,
        audit,
    )
}

fn caller(role: Role) -> Caller {
    Caller {
        key_id: format!("{:0<12}", role.as_str()),
        name: role.as_str().into(),
        role,
        territory: if role == Role::Adviser {
            vec!["FR-32".into()]
        } else {
            Vec::new()
        },
        company_id: if role == Role::Firm {
            "c1".into()
        } else {
            String::new()
        },
        source: if role == Role::Agency {
            "arex".into()
        } else {
            String::new()
        },
        organisation: String::new(),
    }
}

fn as_caller<T>(caller: Caller, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(caller);
    request
}

fn admin() -> Caller {
    caller(Role::Admin)
}

fn gers() -> pb::Organisation {
    pb::Organisation {
        id: "cci-gers".into(),
        name: "CCI Gers".into(),
        country: "FR".into(),
        territory: vec!["FR-32".into()],
        ..pb::Organisation::default()
    }
}

fn aragon() -> pb::Organisation {
    pb::Organisation {
        id: "arex".into(),
        name: "Aragón Exterior".into(),
        country: "es".into(),
        territory: vec!["es-ar".into()],
        sources: vec!["arex".into()],
        email: " Casos@AragonExterior.es ".into(),
        ..pb::Organisation::default()
    }
}

async fn create(
    api: &AccessApi,
    organisation: pb::Organisation,
) -> Result<pb::Organisation, tonic::Status> {
    api.create_organisation(as_caller(
        admin(),
        pb::CreateOrganisationRequest {
            organisation: Some(organisation),
        },
    ))
    .await
    .map(tonic::Response::into_inner)
}

async fn update(
    api: &AccessApi,
    who: Caller,
    organisation: pb::Organisation,
) -> Result<pb::Organisation, tonic::Status> {
    api.update_organisation(as_caller(
        who,
        pb::UpdateOrganisationRequest {
            organisation: Some(organisation),
        },
    ))
    .await
    .map(tonic::Response::into_inner)
}

async fn list(api: &AccessApi, who: Caller) -> Result<Vec<pb::Organisation>, tonic::Status> {
    api.list_organisations(as_caller(who, pb::ListOrganisationsRequest {}))
        .await
        .map(|r| r.into_inner().organisations)
}

fn violated_fields(result: Result<impl std::fmt::Debug, tonic::Status>) -> Vec<String> {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    pyred_runtime::error::violations_of(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

async fn create_list_and_update_with_versions(url: Secret) {
    let (api, _, _) = api(&url).await;
    let created = create(&api, gers()).await.expect("created");
    assert_eq!(created.version, 1);
    assert_eq!(created.language, "fr", "FR defaults to French");
    assert!(created.created_at.is_some() && created.updated_at.is_some());
    let arex = create(&api, aragon()).await.expect("created");
    assert_eq!(
        (
            arex.country.as_str(),
            arex.territory.as_slice(),
            arex.language.as_str()
        ),
        ("ES", ["ES-AR".to_owned()].as_slice(), "es"),
        "country and regions normalised, ES defaults to Spanish"
    );
    assert_eq!(arex.email, "casos@aragonexterior.es");
    assert_eq!(arex.sources, ["arex"]);

    let duplicate = create(&api, gers()).await.expect_err("duplicate");
    assert_eq!(duplicate.code(), Code::AlreadyExists, "{duplicate:?}");

    let listed = list(&api, admin()).await.expect("listed");
    let ids: Vec<&str> = listed.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["arex", "cci-gers"], "by id");

    let changed = update(
        &api,
        admin(),
        pb::Organisation {
            name: "CCI du Gers".into(),
            territory: vec!["FR-32".into(), "FR-OCC".into()],
            language: "en".into(),
            version: 1,
            ..gers()
        },
    )
    .await
    .expect("updated");
    assert_eq!(changed.version, 2);
    assert_eq!(changed.name, "CCI du Gers");
    assert_eq!(changed.territory, ["FR-32", "FR-OCC"]);
    assert_eq!(changed.language, "en");
    assert_eq!(changed.created_at, created.created_at);

    let stale = update(
        &api,
        admin(),
        pb::Organisation {
            name: "Lost update".into(),
            version: 1,
            ..gers()
        },
    )
    .await
    .expect_err("stale version");
    assert_eq!(stale.code(), Code::FailedPrecondition, "{stale:?}");
    let after = list(&api, admin()).await.expect("listed");
    let stored = after
        .iter()
        .find(|o| o.id == "cci-gers")
        .expect("still listed");
    assert_eq!((stored.name.as_str(), stored.version), ("CCI du Gers", 2));

    let unknown = update(
        &api,
        admin(),
        pb::Organisation {
            id: "nobody".into(),
            version: 1,
            ..gers()
        },
    )
    .await
    .expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound, "{unknown:?}");

    let moved = update(
        &api,
        admin(),
        pb::Organisation {
            country: "FR".into(),
            territory: vec!["FR-32".into()],
            version: 1,
            ..aragon()
        },
    )
    .await;
    assert_eq!(violated_fields(moved), ["organisation.country"]);
}

async fn of_two_concurrent_updates_of_one_version_exactly_one_wins(url: Secret) {
    let (api, _, _) = api(&url).await;
    create(&api, gers()).await.expect("created");
    let renamed = |name: &str| pb::Organisation {
        name: name.into(),
        version: 1,
        ..gers()
    };
    let (first, second) = tokio::join!(
        update(&api, admin(), renamed("CCI Gers A")),
        update(&api, admin(), renamed("CCI Gers B")),
    );
    let outcomes =
        [&first, &second].map(|r| r.as_ref().map_or_else(tonic::Status::code, |_| Code::Ok));
    let mut sorted = outcomes;
    sorted.sort_by_key(|code| *code as i32);
    assert_eq!(
        sorted,
        [Code::Ok, Code::FailedPrecondition],
        "{first:?} {second:?}"
    );
    let winner = first.or(second).expect("one won");
    let stored = list(&api, admin()).await.expect("listed");
    assert_eq!(
        (stored[0].name.as_str(), stored[0].version),
        (winner.name.as_str(), 2)
    );
}

async fn every_field_is_validated_and_named(url: Secret) {
    let (api, _, _) = api(&url).await;
    let cases: Vec<(pb::Organisation, &str)> = vec![
        (
            pb::Organisation {
                id: "x".into(),
                ..gers()
            },
            "organisation.id",
        ),
        (
            pb::Organisation {
                id: "-gers".into(),
                ..gers()
            },
            "organisation.id",
        ),
        (
            pb::Organisation {
                id: "gers-".into(),
                ..gers()
            },
            "organisation.id",
        ),
        (
            pb::Organisation {
                id: "CCI".into(),
                ..gers()
            },
            "organisation.id",
        ),
        (
            pb::Organisation {
                id: "a".repeat(33),
                ..gers()
            },
            "organisation.id",
        ),
        (
            pb::Organisation {
                name: "   ".into(),
                ..gers()
            },
            "organisation.name",
        ),
        (
            pb::Organisation {
                name: "n".repeat(201),
                ..gers()
            },
            "organisation.name",
        ),
        (
            pb::Organisation {
                country: "DE".into(),
                ..gers()
            },
            "organisation.country",
        ),
        (
            pb::Organisation {
                territory: Vec::new(),
                ..gers()
            },
            "organisation.territory",
        ),
        (
            pb::Organisation {
                territory: vec!["Gers".into()],
                ..gers()
            },
            "organisation.territory[0]",
        ),
        (
            pb::Organisation {
                territory: vec!["FR-32".into(), "ES-AR".into()],
                ..gers()
            },
            "organisation.territory[1]",
        ),
        (
            pb::Organisation {
                sources: vec!["AREX feed".into()],
                ..gers()
            },
            "organisation.sources[0]",
        ),
        (
            pb::Organisation {
                language: "de".into(),
                ..gers()
            },
            "organisation.language",
        ),
        (
            pb::Organisation {
                email: "no-at-sign".into(),
                ..gers()
            },
            "organisation.email",
        ),
    ];
    for (input, field) in cases {
        let described = format!("{input:?}");
        assert_eq!(
            violated_fields(create(&api, input).await),
            [field],
            "{described}"
        );
    }
    let empty = violated_fields(
        api.create_organisation(as_caller(admin(), pb::CreateOrganisationRequest::default()))
            .await,
    );
    for field in [
        "organisation.id",
        "organisation.name",
        "organisation.country",
    ] {
        assert!(empty.iter().any(|f| f == field), "{field} in {empty:?}");
    }
    let bad_update = update(
        &api,
        admin(),
        pb::Organisation {
            name: String::new(),
            version: 1,
            ..gers()
        },
    )
    .await;
    assert_eq!(violated_fields(bad_update), ["organisation.name"]);
    assert!(list(&api, admin()).await.expect("listed").is_empty());
}

async fn only_admins_write_and_every_role_lists(url: Secret) {
    let (api, _, _) = api(&url).await;
    create(&api, gers()).await.expect("admin creates");
    for role in [Role::Adviser, Role::Firm, Role::Agency, Role::Service] {
        let created = api
            .create_organisation(as_caller(
                caller(role),
                pb::CreateOrganisationRequest {
                    organisation: Some(aragon()),
                },
            ))
            .await
            .expect_err("not an admin");
        assert_eq!(created.code(), Code::PermissionDenied, "{role:?} create");
        let updated = update(
            &api,
            caller(role),
            pb::Organisation {
                version: 1,
                ..gers()
            },
        )
        .await
        .expect_err("not an admin");
        assert_eq!(updated.code(), Code::PermissionDenied, "{role:?} update");
        let listed = list(&api, caller(role)).await.expect("any role lists");
        assert_eq!(listed.len(), 1, "{role:?} list");
    }
    let anonymous = api
        .list_organisations(tonic::Request::new(pb::ListOrganisationsRequest {}))
        .await
        .expect_err("no caller");
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let stored = list(&api, admin()).await.expect("listed");
    assert_eq!(stored[0].version, 1, "no refused write changed anything");
}

async fn writes_are_audited(url: Secret) {
    let (api, _, audit) = api(&url).await;
    create(&api, gers()).await.expect("created");
    create(&api, gers()).await.expect_err("duplicate");
    update(
        &api,
        admin(),
        pb::Organisation {
            version: 1,
            ..gers()
        },
    )
    .await
    .expect("updated");
    let events = audit
        .list(&pb::ListAuditEventsRequest {
            object_prefix: "organisation/".into(),
            ..Default::default()
        })
        .await
        .expect("audit read");
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| (e.rpc.as_str(), e.object.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "pyred.v1.Access/UpdateOrganisation",
                "organisation/cci-gers",
                "OK"
            ),
            (
                "pyred.v1.Access/CreateOrganisation",
                "organisation/cci-gers",
                "ALREADY_EXISTS"
            ),
            (
                "pyred.v1.Access/CreateOrganisation",
                "organisation/cci-gers",
                "OK"
            ),
        ],
        "newest first"
    );
}

fn adviser_key(organisation: &str, territory: &[&str]) -> pb::CreateKeyRequest {
    pb::CreateKeyRequest {
        name: "Marie".into(),
        role: pb::Role::Adviser as i32,
        territory: territory.iter().map(|t| (*t).to_owned()).collect(),
        organisation: organisation.into(),
        ..Default::default()
    }
}

async fn create_key(
    api: &AccessApi,
    request: pb::CreateKeyRequest,
) -> Result<pb::IssuedKey, tonic::Status> {
    api.create_key(as_caller(admin(), request))
        .await
        .map(tonic::Response::into_inner)
}

async fn adviser_keys_take_their_organisations_territory(url: Secret) {
    let (api, store, _) = api(&url).await;
    create(&api, aragon()).await.expect("created");

    let whole = create_key(&api, adviser_key("arex", &[]))
        .await
        .expect("the organisation's territory");
    let key = whole.key.expect("described");
    assert_eq!(key.organisation, "arex");
    assert_eq!(key.territory, ["ES-AR"]);

    let zaragoza = create_key(&api, adviser_key("arex", &["es-z"]))
        .await
        .expect("a province of Aragón");
    assert_eq!(zaragoza.key.expect("described").territory, ["ES-Z"]);

    let outside = create_key(&api, adviser_key("arex", &["ES-Z", "ES-RI"])).await;
    assert_eq!(violated_fields(outside), ["territory[1]"]);
    let unknown = create_key(&api, adviser_key("nobody", &[])).await;
    let status = unknown.expect_err("unknown organisation");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .contains("organisation: no such organisation"),
        "{status:?}"
    );
    let firm = create_key(
        &api,
        pb::CreateKeyRequest {
            role: pb::Role::Firm as i32,
            company_id: "c1".into(),
            organisation: "arex".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(violated_fields(firm), ["organisation"]);
    // Backward compatible: an adviser key without an organisation keeps its own territory.
    let alone = create_key(&api, adviser_key("", &["FR-32"]))
        .await
        .expect("no organisation");
    assert_eq!(alone.key.expect("described").organisation, "");
    let neither = create_key(&api, adviser_key("", &[])).await;
    assert_eq!(violated_fields(neither), ["territory"]);

    // The organisation is stored: listed, and carried by verification (introspection).
    let listed = api
        .list_keys(as_caller(admin(), pb::ListKeysRequest::default()))
        .await
        .expect("listed")
        .into_inner()
        .keys;
    let of_arex = listed.iter().filter(|k| k.organisation == "arex").count();
    assert_eq!(of_arex, 2, "{listed:?}");
    let holder = store
        .verify(&whole.secret)
        .await
        .expect("verified")
        .expect("active");
    assert_eq!(holder.organisation, "arex");
    let introspected = api
        .authenticate(as_caller(
            Caller::service(),
            pb::AuthenticateRequest {
                key: whole.secret.clone(),
            },
        ))
        .await
        .expect("introspected")
        .into_inner();
    assert_eq!(introspected.key.expect("described").organisation, "arex");
    let (rotated, _) = store.rotate(&holder.key_id).await.expect("rotated");
    assert_eq!(rotated.caller.organisation, "arex");
}

/// `api_keys` as Pyred created it before organisations.
const OLD_LAYOUT: &str = "CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    territory TEXT NOT NULL,
    company_id TEXT NOT NULL,
    source TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT,
    revoked_at BIGINT,
    email TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'fr'
)";

async fn an_old_key_table_gains_the_organisation_column(url: Secret) {
    let db = open_db(&url).await;
    sqlx::query(OLD_LAYOUT)
        .execute(&db.pool)
        .await
        .expect("old table");
    sqlx::query(
        "INSERT INTO api_keys (id, name, role, territory, company_id, source, secret_hash, created_at) \
         VALUES ('0123456789ab', 'Old', 'adviser', 'FR-32', '', '', 'x', 1)",
    )
    .execute(&db.pool)
    .await
    .expect("old key");
    let store = KeyStore::open(db, Secret::new("k".repeat(40)))
        .await
        .expect("opens an old table");
    let old = store
        .get("0123456789ab")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(old.caller.organisation, "");
    assert!(
        store
            .organisations()
            .await
            .expect("table created")
            .is_empty()
    );
}
