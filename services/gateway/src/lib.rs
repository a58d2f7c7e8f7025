//! Pyred's gateway: the advisers' web console and the JSON partner API, in front of the
//! three gRPC services.
//!
//! - [`console`]: server-rendered pages (minijinja templates, French by default, Spanish
//!   and English), sessions kept server-side in a SQL store ([`session`]), CSRF tokens
//!   on every form,
//!   the SVG map ([`map`]), CSV exports and the firm's one-page PDF lead sheet
//!   ([`lead_sheet`]).
//! - [`api`]: REST resources mirroring the gRPC API, with its OpenAPI document
//!   ([`openapi`]) at `/openapi.json`; JSON shapes in [`json`], errors in [`error`].
//! - [`upstream`]: one shared channel per service; every call carries the key of the
//!   person or program the gateway acts for, so the services' authorization applies
//!   unchanged.
//! - [`tls`]: HTTPS with the services' certificate (plaintext only when `tls.enabled`
//!   is false).
//!
//! [`Gateway::build`] binds (port 0 picks a free one) and returns; [`Gateway::run_until_stopped`]
//! serves until the token is cancelled.

#![recursion_limit = "256"]

pub mod alerts;
pub mod api;
pub mod cases;
pub mod console;
pub mod error;
pub mod i18n;
pub mod json;
pub mod lead_sheet;
pub mod map;
pub mod openapi;
pub mod session;
pub mod tls;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use pyred_runtime::Settings;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use upstream::UpstreamUrls;

/// Why the gateway could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::GatewayTlsError),
    /// Development certificates could not be created.
    #[error(transparent)]
    DevCertificates(#[from] pyred_runtime::tls::TlsError),
    /// A service address is invalid.
    #[error(transparent)]
    Client(#[from] pyred_runtime::client::ClientError),
    /// The session store could not be opened.
    #[error(transparent)]
    Sessions(#[from] session::SessionError),
    /// A template does not compile.
    #[error("template {name}: {source}")]
    Template {
        /// The template.
        name: &'static str,
        /// The error.
        #[source]
        source: minijinja::Error,
    },
    /// Serving failed.
    #[error("serving: {0}")]
    Serve(#[source] std::io::Error),
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Channels to the services.
    pub upstream: upstream::Upstream,
    /// Console sessions (their store and cookie).
    pub sessions: session::Sessions,
    /// Compiled templates.
    pub templates: Arc<minijinja::Environment<'static>>,
    /// Whether the gateway serves HTTPS (cookies are then `Secure`).
    pub tls: bool,
    /// Cancelled when the gateway stops: long-lived responses (alert streams) end then,
    /// so a graceful shutdown does not wait for browsers to hang up.
    pub streams_end: CancellationToken,
}

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    ("firm.html", include_str!("../templates/firm.html")),
    (
        "firm_edit.html",
        include_str!("../templates/firm_edit.html"),
    ),
    (
        "opportunity.html",
        include_str!("../templates/opportunity.html"),
    ),
    ("search.html", include_str!("../templates/search.html")),
    ("map.html", include_str!("../templates/map.html")),
    ("alerts.html", include_str!("../templates/alerts.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("leads.html", include_str!("../templates/leads.html")),
    ("cases.html", include_str!("../templates/cases.html")),
    ("case.html", include_str!("../templates/case.html")),
    (
        "joint_bids.html",
        include_str!("../templates/joint_bids.html"),
    ),
];

/// The console's templates, compiled once.
pub fn templates() -> Result<minijinja::Environment<'static>, GatewayError> {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|source| GatewayError::Template { name, source })?;
    }
    Ok(env)
}

enum Bound {
    Plain(TcpListener),
    Tls(tls::TlsListener),
}

/// A bound gateway, ready to serve.
pub struct Gateway {
    bound: Bound,
    router: Router,
    local_addr: SocketAddr,
    scheme: &'static str,
    streams_end: CancellationToken,
}

/// The whole router: console and API over `state`, each request with its console
/// session handle (loaded only when a handler reads it).
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let sessions = state.sessions.layer();
    Router::new()
        .merge(console::routes())
        .merge(cases::routes())
        .merge(alerts::routes())
        .merge(api::routes())
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn(session::end_marked))
        .layer(sessions)
        .with_state(state)
}

impl Gateway {
    /// Binds `server.host:gateway.port` with TLS as the settings say, opens the session
    /// store (`gateway.database_url`), and prepares the channels to the services at `urls`.
    pub async fn build(settings: &Settings, urls: &UpstreamUrls) -> Result<Self, GatewayError> {
        pyred_runtime::tls::ensure_dev_certificates(settings)?;
        let state = AppState {
            upstream: upstream::Upstream::connect(settings, urls)?,
            sessions: session::Sessions::open(settings).await?,
            templates: Arc::new(templates()?),
            tls: settings.tls.enabled,
            streams_end: CancellationToken::new(),
        };
        let addr = format!("{}:{}", settings.server.host, settings.gateway.port);
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| GatewayError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| GatewayError::Bind { addr, source })?;
        let (bound, scheme) = if settings.tls.enabled {
            let config = tls::server_config(settings)?;
            (
                Bound::Tls(tls::TlsListener::new(listener, config).map_err(GatewayError::Serve)?),
                "https",
            )
        } else {
            tracing::warn!(
                "the gateway serves plaintext HTTP (tls.enabled = false): development only"
            );
            (Bound::Plain(listener), "http")
        };
        Ok(Self {
            bound,
            streams_end: state.streams_end.clone(),
            router: router(state, settings.server.max_message_bytes),
            local_addr,
            scheme,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The console's URL, `https://host:port/console`.
    pub fn console_url(&self) -> String {
        format!("{}/console", self.base_url())
    }

    /// `https://host:port` (`http://` without TLS).
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.local_addr)
    }

    /// Serves until `shutdown` is cancelled, then lets in-flight requests finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), GatewayError> {
        tracing::info!(url = %self.console_url(), "gateway serving");
        let streams_end = self.streams_end.clone();
        let stopped = async move {
            shutdown.cancelled().await;
            streams_end.cancel();
        };
        match self.bound {
            Bound::Plain(listener) => axum::serve(listener, self.router)
                .with_graceful_shutdown(stopped)
                .await
                .map_err(GatewayError::Serve),
            Bound::Tls(listener) => axum::serve(listener, self.router)
                .with_graceful_shutdown(stopped)
                .await
                .map_err(GatewayError::Serve),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn every_template_renders() {
        let env = super::templates().expect("templates compile");
        let lead = json!({
            "id": "m1", "company_id": "c1", "company_name": "Foies <b>", "opportunity_id": "o1",
            "title": "Distribuidor", "score": "72", "reasons": ["concepts"], "distance": "210 km",
            "status": "proposed", "next": ["shortlisted", "won"], "can_dismiss": true,
            "dismiss_reason": "", "notes": [{"author": "k", "text": "n", "at": "2026-11-28T10:00:00Z"}], "version": 1
        });
        let firm = json!({"id": "c1", "name": "F", "place": "Auch", "place_code": "32013", "region": "FR-32",
            "employees": 3, "nace": ["25.62"], "description": "d", "offers": "o", "seeks": "s",
            "contact": {"name": "n", "email": "e", "phone": "p"}, "visibility": "public", "legal_id": "1"});
        let base = |extra: serde_json::Value| {
            let mut context = json!({
                "t": crate::i18n::Lang::Fr.words(), "lang": "fr", "csrf": "tok", "signed_in": true,
                "key_id": "abc", "here": "/console/search?q=x",
            });
            if let (Some(map), serde_json::Value::Object(extra)) = (context.as_object_mut(), extra)
            {
                map.extend(extra);
            }
            context
        };
        let cases = [
            (
                "login.html",
                base(json!({"signed_in": false, "error": "bad"})),
            ),
            ("error.html", base(json!({"status": 404, "message": "m"}))),
            (
                "dashboard.html",
                base(
                    json!({"firms": [{"id": "c1", "name": "F", "place": "Auch", "new": 2, "best": "70"}],
                "new_leads": [lead.clone()], "deadlines": [{"id": "o1", "title": "T", "deadline": "2026-12-01", "place": "Z", "region": "ES-AR", "language": "es"}],
                "unread_count": 3, "unread_capped": false}),
                ),
            ),
            (
                "firm.html",
                base(
                    json!({"firm": firm.clone(), "leads": [lead.clone()], "ok": "saved", "err": "e"}),
                ),
            ),
            (
                "firm_edit.html",
                base(
                    json!({"firm": firm.clone(), "form": {"name": "F", "version": "3", "visibility": "public"},
                "errors": {"employees": "must be ≥ 0"}, "other_errors": ["x"]}),
                ),
            ),
            (
                "opportunity.html",
                base(
                    json!({"o": {"id": "o1", "title": "T", "description": "D", "language": "es", "kind": "tender",
                "status": "published", "place": "Zaragoza", "region": "ES-AR", "nace": ["25.62"], "cpv": []},
                "terms": [{"term": "mecanizado", "fr": "usinage", "es": "mecanizado"}], "firms": [lead.clone()]}),
                ),
            ),
            (
                "opportunity.html",
                base(
                    json!({"o": {"id": "o2", "title": "Obras <b>", "description": "D", "language": "es", "kind": "tender",
                "status": "withdrawn", "place": "Zaragoza", "region": "ES-AR", "nace": [], "cpv": [],
                "buyer": {"name": "Ayuntamiento <b>", "nif": "P5030300G", "dir3": "L01502973"},
                "official_url": "https://contrataciondelestado.es/x?a=1&b=\"><b>", "official_host": "contrataciondelestado.es",
                "procedure": "open_simplified", "contract_type": "works", "tender_stage": "cancelled",
                "lots": [{"id": "1", "title": "Lote <b>", "cpv": ["45233140"], "budget": "1500 €"}, {"id": "2", "title": "", "cpv": [], "budget": null}],
                "nuts": "ES243", "location_approximate": true, "withdrawal_reason": "ANULADA <b>"},
                "terms": [], "firms": []}),
                ),
            ),
            (
                "search.html",
                base(
                    json!({"q": {"q": "bois", "sort": "relevance"}, "errors": [], "base_qs": "q=bois", "kinds": ["tender"],
                "facet_base": {"regions": "q=bois", "kinds": "q=bois", "language": "q=bois", "nace_prefix": "q=bois"},
                "results": {"total": 1, "next": "t", "geo_fallback": "", "facets": {"regions": [{"value": "ES-AR", "count": 1}], "kinds": [], "nace_divisions": [], "languages": []},
                "hits": [{"id": "o1", "entity": "opportunity", "title": "T", "place": "Z", "region": "ES-AR", "kind": "tender", "deadline": "2026-12-01",
                    "language": "es", "snippets": [[{"text": "a", "mark": false}, {"text": "<b>", "mark": true}]]}]}}),
                ),
            ),
            ("map.html", base(json!({}))),
            (
                "alerts.html",
                base(
                    json!({"alerts": [{"seq": 7, "read": false, "raised_at": "2026-12-01T10:00:00Z", "company_id": "c1",
                    "company_name": "F", "opportunity_id": "o1", "title": "<T>", "score": "70", "reasons": ["r"],
                    "travel": "3 h 10 par le tunnel du Somport · 263 km", "travel_closed": "le col du Pourtalet est fermé ce jour (+25 min)"}],
                    "unread_count": 1, "unread_capped": false, "min_score": 30.0, "last_seq": 7, "through": 7,
                    "unread_only": false, "next_before": 0, "first_page": true, "ok": "alerts_read"}),
                ),
            ),
        ];
        for (name, context) in cases {
            let html = env
                .get_template(name)
                .and_then(|template| template.render(&context))
                .unwrap_or_else(|error| panic!("{name}: {error:#}"));
            assert!(!html.contains("<b>"), "{name}: text is escaped");
        }
    }

    #[test]
    fn a_tender_page_shows_its_buyer_link_lots_and_words() {
        let env = super::templates().expect("templates compile");
        let render = |url: &str| {
            let context = json!({
                "t": crate::i18n::Lang::Fr.words(), "lang": "fr", "csrf": "tok", "signed_in": true,
                "key_id": "abc", "here": "/console/opportunities/o2",
                "o": {"id": "o2", "title": "Obras", "description": "D", "language": "es", "kind": "tender",
                    "status": "withdrawn", "place": "Huesca", "region": "ES-AR", "nace": [], "cpv": [],
                    "buyer": {"name": "Ayuntamiento de Huesca", "nif": "P2216900F", "dir3": ""},
                    "official_url": url, "official_host": "contrataciondelestado.es",
                    "procedure": "negotiated_without_publication", "contract_type": "works", "tender_stage": "cancelled",
                    "lots": [{"id": "LOT-1", "title": "Alumbrado", "cpv": ["34928500", "45316110"], "budget": "1500 €"}],
                    "nuts": "ES241", "location_approximate": true, "withdrawal_reason": "ANULADA"},
                "terms": [], "firms": []
            });
            env.get_template("opportunity.html")
                .and_then(|template| template.render(&context))
                .expect("renders")
        };
        let html = render("https://contrataciondelestado.es/x?a=1&b=2");
        for expected in [
            "Ayuntamiento de Huesca",
            "NIF P2216900F",
            // Attribute text escaped (`/` too): the browser reads the link back unchanged.
            r#"href="https:&#x2f;&#x2f;contrataciondelestado.es&#x2f;x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer""#,
            "Voir l&#x27;avis officiel",
            "Négociée sans publicité préalable",
            "Travaux",
            "Annulée",
            "<td>LOT-1</td>",
            "34928500, 45316110",
            "1500 €",
            "ES241",
            "(localisation approximative)",
            "Motif du retrait :",
            "ANULADA",
        ] {
            assert!(html.contains(expected), "{expected} missing in:\n{html}");
        }
        assert!(!html.contains("DIR3"), "an empty code is left out");
        for hostile in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,x",
            "&#x2f;&#x2f;evil.example",
        ] {
            let html = render(hostile);
            assert!(
                !html.contains("official-link") && !html.contains(hostile),
                "{hostile}"
            );
        }
    }
}
