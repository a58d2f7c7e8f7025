//! The audit layer in front of a real service: a listed RPC whose handler noted an object
//! writes one row with the caller, the RPC and the outcome the client got; an unlisted
//! RPC, or a listed one left unnoted, writes none.

use std::convert::Infallible;
use std::future::Ready;
use std::task::{Context, Poll};

use pyred_access::{AuditLayer, AuditLog, AuditNote, Caller, Role};
use pyred_proto::v1 as pb;
use pyred_runtime::db::{Database, Migrations};
use tonic::body::Body;
use tower::{Layer as _, Service as _};

static NONE: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

/// A handler that notes `company/<path's last segment>` when the path ends in a name
/// starting with `Note`, and refuses with NOT_FOUND when it contains `Refuse`.
#[derive(Clone)]
struct Handler;

impl tower::Service<http::Request<Body>> for Handler {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Ready<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let tonic_request = tonic::Request::from_http(request);
        if path.contains("/Note") {
            AuditNote::of(&tonic_request).object("company/c1");
        }
        let response = if path.contains("Refuse") {
            tonic::Status::not_found("company c1 not found").into_http()
        } else {
            http::Response::new(Body::empty())
        };
        std::future::ready(Ok(response))
    }
}

fn request(path: &str, caller: &Caller) -> http::Request<Body> {
    let mut request = http::Request::builder()
        .uri(format!("http://registry{path}"))
        .body(Body::empty())
        .expect("a request");
    request.extensions_mut().insert(caller.clone());
    request
}

#[tokio::test]
async fn listed_and_noted_calls_are_audited_with_their_outcome() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = pyred_runtime::db::testing::sqlite_url(dir.path(), "audit");
    let migrations = Migrations {
        sqlite: &NONE,
        postgres: &NONE,
    };
    let db = Database::open(&url, migrations).await.expect("database");
    let log = AuditLog::open(db).await.expect("audit log");
    let caller = Caller {
        key_id: "k1".into(),
        name: "Marie".into(),
        role: Role::Adviser,
        territory: vec!["FR-32".into()],
        company_id: String::new(),
        source: String::new(),
        organisation: String::new(),
    };
    let mut service =
        AuditLayer::new(log.clone(), &["NoteWrite", "NoteRefuse", "Quiet"]).layer(Handler);
    for path in [
        "/pyred.v1.CompanyRegistry/NoteWrite",
        "/pyred.v1.CompanyRegistry/NoteRefuse",
        "/pyred.v1.CompanyRegistry/Quiet",
        "/pyred.v1.CompanyRegistry/NoteUnlisted",
    ] {
        service
            .call(request(path, &caller))
            .await
            .expect("infallible");
    }
    let rows: Vec<_> = log
        .list(&pb::ListAuditEventsRequest::default())
        .await
        .expect("rows")
        .into_iter()
        .map(|e| (e.key_id, e.rpc, e.object, e.outcome))
        .collect();
    let row = |rpc: &str, outcome: &str| {
        (
            "k1".to_owned(),
            format!("pyred.v1.CompanyRegistry/{rpc}"),
            "company/c1".to_owned(),
            outcome.to_owned(),
        )
    };
    assert_eq!(
        rows,
        [row("NoteRefuse", "NOT_FOUND"), row("NoteWrite", "OK")],
        "newest first; the unnoted and the unlisted call wrote nothing"
    );
}
