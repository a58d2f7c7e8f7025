//! The key store and `pyred.v1.Access` over it: the holder's e-mail address and language
//! kept through create, list, rotate and revoke on SQLite and PostgreSQL; a table of the
//! layout before those columns gains them at open and keeps its keys; `CreateKey` names
//! a bad address or language; `ListKeys` answers the service token, not other roles.

use std::sync::Arc;

use pyred_access::api::AccessApi;
use pyred_access::keys::{self, KeyHasher};
use pyred_access::{AuditLog, Caller, KeyStore, Language, Role};
use pyred_proto::v1 as pb;
use pyred_proto::v1::access_server::Access;
use pyred_runtime::Secret;
use pyred_runtime::db::{Database, Migrations, testing};
use sqlx::Row;

static NONE: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

const MIGRATIONS: Migrations = Migrations {
    sqlite: &NONE,
    postgres: &NONE,
};

fn hash_secret() -> Secret {
    Secret::new("k".repeat(40))
}

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
    email_and_language_survive_create_list_rotate_and_revoke,
    a_table_of_the_old_layout_gains_the_columns_and_keeps_its_keys,
}

fn adviser(name: &str) -> Caller {
    Caller {
        key_id: String::new(),
        name: name.into(),
        role: Role::Adviser,
        territory: vec!["FR-32".into()],
        company_id: String::new(),
        source: String::new(),
        organisation: String::new(),
    }
}

async fn email_and_language_survive_create_list_rotate_and_revoke(url: Secret) {
    let store = KeyStore::open(open_db(&url).await, hash_secret())
        .await
        .expect("key store opens");
    let (created, key) = store
        .create(adviser("Marie"), "marie@cci-gers.fr".into(), Language::Es)
        .await
        .expect("created");
    assert_eq!(created.email, "marie@cci-gers.fr");
    assert_eq!(created.language, Language::Es);
    let (plain, _) = store
        .create(adviser("Paul"), String::new(), Language::default())
        .await
        .expect("created without an address");

    let listed = store.list(false).await.expect("listed");
    let marie = listed
        .iter()
        .find(|k| k.caller.key_id == created.caller.key_id)
        .expect("Marie listed");
    assert_eq!(
        (marie.email.as_str(), marie.language),
        ("marie@cci-gers.fr", Language::Es)
    );
    let paul = listed
        .iter()
        .find(|k| k.caller.key_id == plain.caller.key_id)
        .expect("Paul listed");
    assert_eq!((paul.email.as_str(), paul.language), ("", Language::Fr));

    let (rotated, new_key) = store.rotate(&created.caller.key_id).await.expect("rotated");
    assert_eq!(
        (rotated.email.as_str(), rotated.language),
        ("marie@cci-gers.fr", Language::Es)
    );
    assert!(store.verify(key.expose()).await.expect("verify").is_none());
    assert!(
        store
            .verify(new_key.expose())
            .await
            .expect("verify")
            .is_some()
    );
    let again = store
        .get(&created.caller.key_id)
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(again.email, "marie@cci-gers.fr");
    assert_eq!(again.language, Language::Es);
    assert!(again.rotated_at.is_some());

    let revoked = store.revoke(&created.caller.key_id).await.expect("revoked");
    assert_eq!(
        (revoked.email.as_str(), revoked.language),
        ("marie@cci-gers.fr", Language::Es)
    );
}

/// `api_keys` as Pyred created it before keys had an address and a language.
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
    revoked_at BIGINT
)";

/// Creates the old table holding one adviser key; returns the key.
async fn old_database_with_one_key(db: &Database) -> (String, Secret) {
    sqlx::query(OLD_LAYOUT)
        .execute(&db.pool)
        .await
        .expect("old table");
    let (id, key) = keys::generate().expect("randomness");
    let parsed = keys::parse(key.expose()).expect("well formed");
    let hash = KeyHasher::new(hash_secret()).hash(parsed.secret);
    sqlx::query(
        "INSERT INTO api_keys (id, name, role, territory, company_id, source, secret_hash, created_at) \
         VALUES ($1, 'CCI Gers', 'adviser', 'FR-32', '', '', $2, 1000)",
    )
    .bind(&id)
    .bind(hash)
    .execute(&db.pool)
    .await
    .expect("old row");
    (id, key)
}

async fn a_table_of_the_old_layout_gains_the_columns_and_keeps_its_keys(url: Secret) {
    let db = open_db(&url).await;
    let (id, key) = old_database_with_one_key(&db).await;
    // The old table has no `email` column: this is what a deployed database looks like.
    assert!(
        sqlx::query("SELECT email FROM api_keys LIMIT 1")
            .fetch_optional(&db.pool)
            .await
            .is_err()
    );

    let store = KeyStore::open(db.clone(), hash_secret())
        .await
        .expect("opens an old table");
    let listed = store.list(true).await.expect("listed");
    assert_eq!(listed.len(), 1, "{listed:?}");
    let old = &listed[0];
    assert_eq!(old.caller.key_id, id);
    assert_eq!(old.caller.name, "CCI Gers");
    assert_eq!(old.caller.territory, vec!["FR-32".to_owned()]);
    assert_eq!(old.created_at, 1000);
    assert_eq!((old.email.as_str(), old.language), ("", Language::Fr));
    let holder = store
        .verify(key.expose())
        .await
        .expect("verify")
        .expect("the old key still works");
    assert_eq!(holder.key_id, id);

    // New keys store their address; opening again (a restart) changes nothing.
    let (created, _) = store
        .create(adviser("Marie"), "marie@cci-gers.fr".into(), Language::En)
        .await
        .expect("created in the migrated table");
    let reopened = KeyStore::open(open_db(&url).await, hash_secret())
        .await
        .expect("opens again");
    let again = reopened
        .get(&created.caller.key_id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        (again.email.as_str(), again.language),
        ("marie@cci-gers.fr", Language::En)
    );
    assert_eq!(reopened.list(true).await.expect("listed").len(), 2);
    let columns = sqlx::query("SELECT email, language FROM api_keys WHERE id = $1")
        .bind(&id)
        .fetch_one(&db.pool)
        .await
        .expect("the columns exist");
    let email: String = columns.try_get("email").expect("email");
    let language: String = columns.try_get("language").expect("language");
    assert_eq!((email.as_str(), language.as_str()), ("", "fr"));
}

// --- the gRPC service (policy and validation do not depend on the engine: SQLite) ---

async fn api() -> (AccessApi, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = open_db(&testing::sqlite_url(dir.path(), "access")).await;
    let store = KeyStore::open(db.clone(), hash_secret())
        .await
        .expect("key store");
    let audit = AuditLog::open(db).await.expect("audit log");
    let company_exists: pyred_access::api::CompanyExists =
        Arc::new(|id| Box::pin(async move { id == "c1" }));
    (AccessApi::new(store, audit, company_exists), dir)
}

fn as_caller<T>(caller: Caller, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.extensions_mut().insert(caller);
    request
}

fn admin() -> Caller {
    Caller {
        key_id: "admin0000000".into(),
        role: Role::Admin,
        ..adviser("admin")
    }
}

fn role(role: Role) -> Caller {
    Caller {
        key_id: "other0000000".into(),
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
        ..adviser("someone")
    }
}

fn adviser_request(email: &str, language: &str) -> pb::CreateKeyRequest {
    pb::CreateKeyRequest {
        name: "CCI Gers — Marie".into(),
        role: pb::Role::Adviser as i32,
        territory: vec!["FR-32".into()],
        email: email.into(),
        language: language.into(),
        ..Default::default()
    }
}

fn violated_fields(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    pyred_runtime::error::violations_of(status)
        .into_iter()
        .map(|(field, _)| field)
        .collect()
}

#[tokio::test]
async fn create_key_stores_a_normalised_address_and_language() {
    let (api, _dir) = api().await;
    let issued = api
        .create_key(as_caller(
            admin(),
            adviser_request("  Marie.Dupont@CCI-Gers.FR ", " ES "),
        ))
        .await
        .expect("created")
        .into_inner();
    let key = issued.key.expect("described");
    assert_eq!(key.email, "marie.dupont@cci-gers.fr");
    assert_eq!(key.language, "es");

    let plain = api
        .create_key(as_caller(admin(), adviser_request("", "")))
        .await
        .expect("created without an address")
        .into_inner()
        .key
        .expect("described");
    assert_eq!((plain.email.as_str(), plain.language.as_str()), ("", "fr"));

    // Any role may carry an address (a firm's contact for later notices).
    let firm = api
        .create_key(as_caller(
            admin(),
            pb::CreateKeyRequest {
                role: pb::Role::Firm as i32,
                company_id: "c1".into(),
                email: "contact@firm.fr".into(),
                language: "en".into(),
                ..Default::default()
            },
        ))
        .await
        .expect("firm key with an address")
        .into_inner()
        .key
        .expect("described");
    assert_eq!(
        (firm.email.as_str(), firm.language.as_str()),
        ("contact@firm.fr", "en")
    );
}

#[tokio::test]
async fn create_key_names_a_bad_address_or_language() {
    let (api, _dir) = api().await;
    let long = format!("{}@cci-gers.fr", "a".repeat(250));
    for bad in [
        "marie",
        "marie@",
        "@cci-gers.fr",
        "marie@cci-gers",
        "marie@cci-gers.",
        "marie@.fr",
        "marie@@cci-gers.fr",
        "marie@a@cci-gers.fr",
        "marie dupont@cci-gers.fr",
        "marie@cci\u{7}gers.fr",
        "marie@cci-gers.fr\nBcc: x@y.z",
        long.as_str(),
    ] {
        let status = api
            .create_key(as_caller(admin(), adviser_request(bad, "fr")))
            .await
            .expect_err(bad);
        assert_eq!(
            violated_fields(&status),
            vec!["email".to_owned()],
            "{bad:?}"
        );
    }
    for bad in ["de", "french", "f", "fr-FR"] {
        let status = api
            .create_key(as_caller(
                admin(),
                adviser_request("marie@cci-gers.fr", bad),
            ))
            .await
            .expect_err(bad);
        assert_eq!(
            violated_fields(&status),
            vec!["language".to_owned()],
            "{bad:?}"
        );
    }
    // Both wrong at once: both named, nothing stored.
    let status = api
        .create_key(as_caller(admin(), adviser_request("nope", "xx")))
        .await
        .expect_err("two bad fields");
    assert_eq!(
        violated_fields(&status),
        vec!["email".to_owned(), "language".to_owned()]
    );
    let listed = api
        .list_keys(as_caller(admin(), pb::ListKeysRequest::default()))
        .await
        .expect("listed")
        .into_inner();
    assert!(listed.keys.is_empty(), "{listed:?}");
}

#[tokio::test]
async fn list_keys_answers_the_service_token_and_no_other_role() {
    let (api, _dir) = api().await;
    let issued = api
        .create_key(as_caller(
            admin(),
            adviser_request("marie@cci-gers.fr", "es"),
        ))
        .await
        .expect("created")
        .into_inner();

    let listed = api
        .list_keys(as_caller(Caller::service(), pb::ListKeysRequest::default()))
        .await
        .expect("a service lists keys")
        .into_inner();
    assert_eq!(listed.keys.len(), 1);
    assert_eq!(listed.keys[0].email, "marie@cci-gers.fr");
    assert_eq!(listed.keys[0].language, "es");
    assert!(
        !format!("{listed:?}").contains(&issued.secret),
        "no secret is listed"
    );

    for other in [Role::Adviser, Role::Firm, Role::Agency] {
        let status = api
            .list_keys(as_caller(role(other), pb::ListKeysRequest::default()))
            .await
            .expect_err("refused");
        assert_eq!(status.code(), tonic::Code::PermissionDenied, "{other:?}");
    }

    // The service token reads keys; it never issues, rotates or revokes them.
    let id = issued.key.expect("described").id;
    let create = api
        .create_key(as_caller(Caller::service(), adviser_request("", "")))
        .await
        .expect_err("a service does not issue keys");
    assert_eq!(create.code(), tonic::Code::PermissionDenied);
    let rotate = api
        .rotate_key(as_caller(
            Caller::service(),
            pb::RotateKeyRequest { id: id.clone() },
        ))
        .await
        .expect_err("a service does not rotate keys");
    assert_eq!(rotate.code(), tonic::Code::PermissionDenied);
    let revoke = api
        .revoke_key(as_caller(Caller::service(), pb::RevokeKeyRequest { id }))
        .await
        .expect_err("a service does not revoke keys");
    assert_eq!(revoke.code(), tonic::Code::PermissionDenied);
}
