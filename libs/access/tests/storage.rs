//! The key store and the audit log on SQLite and PostgreSQL (a fresh database per test,
//! when `PYRED_TEST_DATABASE_URL` is set): keys are created, listed, verified, rotated
//! and revoked, and a rotated-away or revoked secret no longer verifies; audit records
//! are listed newest first, filtered by key and by object prefix (taken literally), and
//! paged with `before_seq` and `limit`.

use pyred_access::store::KeyError;
use pyred_access::{AuditLog, Caller, KeyStore, Language, Role};
use pyred_proto::v1 as pb;
use pyred_runtime::Secret;
use pyred_runtime::db::{Database, Migrations};

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

/// A key store and an audit log in the database at `url`.
async fn open(url: Secret) -> (KeyStore, AuditLog) {
    let keys = KeyStore::open(open_db(&url).await, Secret::new("k".repeat(40)))
        .await
        .expect("key store opens");
    let audit = AuditLog::open(open_db(&url).await)
        .await
        .expect("audit log opens");
    (keys, audit)
}

pyred_runtime::storage_suite! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    open = open -> (keys, audit);
    created_keys_are_listed_and_verify_as_their_holder,
    a_rotated_key_verifies_with_its_new_secret_only,
    a_revoked_key_no_longer_verifies_nor_rotates,
    audit_records_are_listed_newest_first_with_their_outcome,
    audit_records_filter_by_key_and_literal_object_prefix,
    audit_records_page_with_before_seq_and_limit,
}

fn caller(name: &str, role: Role) -> Caller {
    Caller {
        key_id: String::new(),
        name: name.into(),
        role,
        territory: vec!["FR-32".into()],
        company_id: String::new(),
        source: String::new(),
        organisation: String::new(),
    }
}

async fn created_keys_are_listed_and_verify_as_their_holder(keys: KeyStore, _audit: AuditLog) {
    assert!(!keys.has_active_admin().await.expect("count admins"));
    let (marie, marie_key) = keys
        .create(caller("Marie", Role::Adviser), String::new(), Language::Fr)
        .await
        .expect("created");
    let (admin, admin_key) = keys
        .create(caller("Root", Role::Admin), String::new(), Language::En)
        .await
        .expect("created");
    assert_ne!(marie.caller.key_id, admin.caller.key_id);
    assert!(keys.has_active_admin().await.expect("count admins"));

    let mut listed: Vec<String> = keys
        .list(false)
        .await
        .expect("listed")
        .into_iter()
        .map(|k| k.caller.key_id)
        .collect();
    listed.sort();
    let mut expected = vec![marie.caller.key_id.clone(), admin.caller.key_id.clone()];
    expected.sort();
    assert_eq!(listed, expected);

    let holder = keys
        .verify(marie_key.expose())
        .await
        .expect("verify")
        .expect("Marie's key verifies");
    assert_eq!(holder, marie.caller);
    assert_eq!(holder.role, Role::Adviser);
    assert_eq!(holder.territory, vec!["FR-32".to_owned()]);
    let root = keys
        .verify(admin_key.expose())
        .await
        .expect("verify")
        .expect("the admin key verifies");
    assert_eq!(root.role, Role::Admin);

    // Marie's id with another key's secret, and text that is no key at all.
    let admin_secret = pyred_access::keys::parse(admin_key.expose())
        .expect("a well-formed key")
        .secret;
    let forged = pyred_access::keys::format(&marie.caller.key_id, admin_secret);
    assert!(keys.verify(&forged).await.expect("verify").is_none());
    assert!(keys.verify("not a key").await.expect("verify").is_none());
    assert!(keys.verify("").await.expect("verify").is_none());
}

async fn a_rotated_key_verifies_with_its_new_secret_only(keys: KeyStore, _audit: AuditLog) {
    let (created, old) = keys
        .create(caller("Marie", Role::Adviser), String::new(), Language::Fr)
        .await
        .expect("created");
    let id = created.caller.key_id.clone();
    let (rotated, new) = keys.rotate(&id).await.expect("rotated");
    assert_eq!(rotated.caller.key_id, id);
    assert_ne!(old.expose(), new.expose());
    assert!(keys.verify(old.expose()).await.expect("verify").is_none());
    assert_eq!(
        keys.verify(new.expose())
            .await
            .expect("verify")
            .map(|c| c.key_id),
        Some(id.clone())
    );
    let stored = keys.get(&id).await.expect("read").expect("still there");
    assert!(stored.rotated_at.is_some());
    assert!(stored.revoked_at.is_none());
    assert!(matches!(
        keys.rotate("no-such-key").await,
        Err(KeyError::NotFound(_))
    ));
}

async fn a_revoked_key_no_longer_verifies_nor_rotates(keys: KeyStore, _audit: AuditLog) {
    let (admin, admin_key) = keys
        .create(caller("Root", Role::Admin), String::new(), Language::Fr)
        .await
        .expect("created");
    let (kept, kept_key) = keys
        .create(caller("Paul", Role::Adviser), String::new(), Language::Fr)
        .await
        .expect("created");
    let id = admin.caller.key_id.clone();
    assert!(
        keys.verify(admin_key.expose())
            .await
            .expect("verify")
            .is_some()
    );

    let revoked = keys.revoke(&id).await.expect("revoked");
    let first = revoked.revoked_at.expect("revocation time");
    assert!(
        keys.verify(admin_key.expose())
            .await
            .expect("verify")
            .is_none()
    );
    assert!(!keys.has_active_admin().await.expect("count admins"));
    assert!(matches!(keys.rotate(&id).await, Err(KeyError::Revoked(_))));

    // Revoking again keeps the first time; the other key is untouched.
    let again = keys.revoke(&id).await.expect("revoked again");
    assert_eq!(again.revoked_at, Some(first));
    assert!(
        keys.verify(kept_key.expose())
            .await
            .expect("verify")
            .is_some()
    );

    let active: Vec<String> = keys
        .list(false)
        .await
        .expect("listed")
        .into_iter()
        .map(|k| k.caller.key_id)
        .collect();
    assert_eq!(active, vec![kept.caller.key_id.clone()]);
    let all = keys.list(true).await.expect("listed");
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .any(|k| k.caller.key_id == id && k.revoked_at == Some(first))
    );
    assert!(matches!(
        keys.revoke("no-such-key").await,
        Err(KeyError::NotFound(_))
    ));
}

fn with_key(name: &str, key_id: &str, role: Role) -> Caller {
    Caller {
        key_id: key_id.into(),
        ..caller(name, role)
    }
}

async fn audit_records_are_listed_newest_first_with_their_outcome(
    _keys: KeyStore,
    audit: AuditLog,
) {
    let admin = with_key("Root", "key-admin", Role::Admin);
    let marie = with_key("Marie", "key-marie", Role::Adviser);
    audit
        .record(&admin, "CreateCompany", "company/c1", &Ok::<(), _>(()))
        .await;
    audit
        .record::<()>(
            &marie,
            "GetCompany",
            "company/c2",
            &Err(tonic::Status::not_found("no c2")),
        )
        .await;
    audit
        .record(&admin, "DeleteCompany", "company/c1", &Ok::<(), _>(()))
        .await;

    let events = audit
        .list(&pb::ListAuditEventsRequest::default())
        .await
        .expect("listed");
    let seen: Vec<(&str, &str, &str, &str)> = events
        .iter()
        .map(|e| {
            (
                e.key_id.as_str(),
                e.rpc.as_str(),
                e.object.as_str(),
                e.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("key-admin", "DeleteCompany", "company/c1", "OK"),
            ("key-marie", "GetCompany", "company/c2", "NOT_FOUND"),
            ("key-admin", "CreateCompany", "company/c1", "OK"),
        ]
    );
    assert!(events.windows(2).all(|w| w[0].seq > w[1].seq));
    assert_eq!(events[1].role, pb::Role::Adviser as i32);
    assert_eq!(events[0].role, pb::Role::Admin as i32);
    assert!(events.iter().all(|e| e.at.is_some()));
}

async fn audit_records_filter_by_key_and_literal_object_prefix(_keys: KeyStore, audit: AuditLog) {
    let admin = with_key("Root", "key-admin", Role::Admin);
    let marie = with_key("Marie", "key-marie", Role::Adviser);
    for (who, object) in [
        (&admin, "company/c1"),
        (&marie, "company/c2"),
        (&marie, "opportunity/o1"),
        (&admin, "co_x/1"),
        (&admin, "coax/1"),
    ] {
        audit.record(who, "Rpc", object, &Ok::<(), _>(())).await;
    }
    let objects = |request: pb::ListAuditEventsRequest| {
        let audit = audit.clone();
        async move {
            audit
                .list(&request)
                .await
                .expect("listed")
                .into_iter()
                .map(|e| (e.key_id, e.object))
                .collect::<Vec<_>>()
        }
    };
    let pair = |key: &str, object: &str| (key.to_owned(), object.to_owned());

    assert_eq!(
        objects(pb::ListAuditEventsRequest {
            key_id: "key-marie".into(),
            ..Default::default()
        })
        .await,
        vec![
            pair("key-marie", "opportunity/o1"),
            pair("key-marie", "company/c2")
        ]
    );
    assert_eq!(
        objects(pb::ListAuditEventsRequest {
            object_prefix: "company/".into(),
            ..Default::default()
        })
        .await,
        vec![
            pair("key-marie", "company/c2"),
            pair("key-admin", "company/c1")
        ]
    );
    assert_eq!(
        objects(pb::ListAuditEventsRequest {
            key_id: "key-admin".into(),
            object_prefix: "company/".into(),
            ..Default::default()
        })
        .await,
        vec![pair("key-admin", "company/c1")]
    );
    // `_` and `%` in a prefix are characters, not wildcards.
    assert_eq!(
        objects(pb::ListAuditEventsRequest {
            object_prefix: "co_".into(),
            ..Default::default()
        })
        .await,
        vec![pair("key-admin", "co_x/1")]
    );
    assert!(
        objects(pb::ListAuditEventsRequest {
            object_prefix: "%".into(),
            ..Default::default()
        })
        .await
        .is_empty()
    );
    assert!(
        objects(pb::ListAuditEventsRequest {
            key_id: "key-nobody".into(),
            ..Default::default()
        })
        .await
        .is_empty()
    );
}

async fn audit_records_page_with_before_seq_and_limit(_keys: KeyStore, audit: AuditLog) {
    let admin = with_key("Root", "key-admin", Role::Admin);
    for n in 0..7 {
        audit
            .record(&admin, "Rpc", &format!("company/c{n}"), &Ok::<(), _>(()))
            .await;
    }
    let page = |before_seq: i64, limit: i32| {
        let audit = audit.clone();
        async move {
            audit
                .list(&pb::ListAuditEventsRequest {
                    before_seq,
                    limit,
                    ..Default::default()
                })
                .await
                .expect("listed")
        }
    };

    let mut objects = Vec::new();
    let mut before = 0;
    loop {
        let events = page(before, 3).await;
        assert!(events.len() <= 3, "a page holds at most `limit` events");
        let Some(last) = events.last() else { break };
        assert!(before == 0 || events.iter().all(|e| e.seq < before));
        before = last.seq;
        objects.extend(events.into_iter().map(|e| e.object));
    }
    let expected: Vec<String> = (0..7).rev().map(|n| format!("company/c{n}")).collect();
    assert_eq!(
        objects, expected,
        "pages of 3 walk every event once, newest first"
    );

    // No limit means the default (100): all seven; a negative one too.
    assert_eq!(page(0, 0).await.len(), 7);
    assert_eq!(page(0, -5).await.len(), 7);
    let newest = page(0, 1).await;
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].object, "company/c6");
    assert!(page(newest[0].seq - 6, 10).await.is_empty());
}
