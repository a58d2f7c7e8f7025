//! Console sessions in the gateway's SQL store (decision 0021), over HTTPS: a session
//! opened on one gateway is good on another over the same store and after a restart,
//! sign-out deletes it everywhere, an expired one is refused. On SQLite (the default
//! file in the data directory) and on PostgreSQL when `PYRED_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{World, http, sign_in, spawn_gateway_with};
use pyred_runtime::Secret;
use pyred_runtime::db::testing::fresh_postgres;

/// A client of the gateway at `base_url`, trusting the stack's CA.
fn client_of(world: &World, base_url: &str) -> http::Client {
    let settings = pyred_e2e::test_settings(world.test.data_dir.path());
    let ca = std::fs::read(settings.tls_ca_file()).unwrap();
    let addr = base_url.trim_start_matches("https://").parse().unwrap();
    http::Client::new(addr, Some(&ca))
}

/// The session id in a `pyred_session=…` cookie.
fn id_of(cookie: &str) -> &str {
    cookie.trim_start_matches("pyred_session=")
}

/// How many session records `url` holds under `id`.
async fn records(url: &Secret, id: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url.expose()).await.unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM console_sessions WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

/// Sets the expiry of session `id` in `url` to a second ago.
async fn expire(url: &Secret, id: &str) {
    let pool = sqlx::AnyPool::connect(url.expose()).await.unwrap();
    let past = pyred_runtime::db::now_micros() - 1_000_000;
    let updated = sqlx::query("UPDATE console_sessions SET expires_at = $1 WHERE id = $2")
        .bind(past)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(updated.rows_affected(), 1);
    pool.close().await;
}

/// Two gateways on the store `database_url` (`None`: the data directory's SQLite file),
/// then a third after the first stops.
async fn sessions_are_shared_survive_and_end(database_url: Option<Secret>) {
    let mut world = World::start().await;
    let mut settings = common::gateway_settings(&world.test, 0);
    settings.gateway.database_url = database_url;
    let store = settings.gateway_database_url();
    let (a_url, a_stop, a_task) = spawn_gateway_with(&world.test, &settings).await;
    let (b_url, b_stop, b_task) = spawn_gateway_with(&world.test, &settings).await;
    let (a, b) = (client_of(&world, &a_url), client_of(&world, &b_url));

    // Signed in on A, the same session (its CSRF token) on B; its idle lifetime restarts.
    let (cookie, csrf) = sign_in(&a, world.adviser.expose()).await;
    assert_eq!(records(&store, id_of(&cookie)).await, 1);
    let on_b = b.get("/console", &[("cookie", &cookie)]).await;
    assert_eq!(on_b.status, 200, "{}", on_b.text());
    assert!(on_b.text().contains(&csrf), "the same session on B");
    let refreshed = on_b
        .headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&format!("{cookie};")))
        .unwrap()
        .to_owned();
    assert!(refreshed.contains("Max-Age=1800"), "{refreshed}");

    // A stops; a new gateway on the same store still knows the session.
    a_stop.cancel();
    a_task.await.unwrap();
    let (c_url, c_stop, c_task) = spawn_gateway_with(&world.test, &settings).await;
    let c = client_of(&world, &c_url);
    let on_c = c.get("/console", &[("cookie", &cookie)]).await;
    assert_eq!(on_c.status, 200, "survives a restart");
    assert!(on_c.text().contains(&csrf));

    // The stack's own gateway (the default store) restarts on its port: still signed in.
    let (own, _) = sign_in(&world.client, world.adviser.expose()).await;
    world.restart_gateway().await;
    assert_eq!(
        world
            .client
            .get("/console", &[("cookie", &own)])
            .await
            .status,
        200
    );

    // An expired session is refused on every gateway, and stays so.
    let (stale, _) = sign_in(&b, world.adviser.expose()).await;
    assert_eq!(b.get("/console", &[("cookie", &stale)]).await.status, 200);
    expire(&store, id_of(&stale)).await;
    for client in [&b, &c] {
        let refused = client.get("/console", &[("cookie", &stale)]).await;
        assert_eq!(refused.status, 303);
        assert_eq!(refused.header("location"), Some("/console/login"));
    }
    let login = c.get("/console/login", &[("cookie", &stale)]).await;
    assert_eq!(login.status, 200, "the sign-in form, not the dashboard");

    // Sign-out on C deletes the record and the cookie: B refuses it too.
    let out = c
        .post_form("/console/logout", &cookie, format!("csrf={csrf}"))
        .await;
    assert_eq!(out.status, 303);
    assert!(
        out.headers_named("set-cookie")
            .iter()
            .any(|c| c.starts_with("pyred_session=;") && c.contains("Max-Age=0")),
        "{:?}",
        out.headers_named("set-cookie")
    );
    assert_eq!(records(&store, id_of(&cookie)).await, 0);
    assert_eq!(b.get("/console", &[("cookie", &cookie)]).await.status, 303);

    b_stop.cancel();
    c_stop.cancel();
    b_task.await.unwrap();
    c_task.await.unwrap();
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sessions_are_shared_survive_a_restart_and_end() {
    sessions_are_shared_survive_and_end(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sessions_are_shared_survive_a_restart_and_end() {
    if let Some(url) =
        fresh_postgres("postgres_sessions_are_shared_survive_a_restart_and_end").await
    {
        sessions_are_shared_survive_and_end(Some(url)).await;
    }
}
