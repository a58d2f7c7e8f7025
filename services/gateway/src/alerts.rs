//! Alerts that reach people: the adviser's inbox in the console — an unread count in
//! the header, a list with mark-as-read and a threshold, updated live through
//! server-sent events fed by matchmaking's `WatchAlerts` — and a partner's inbox in the
//! JSON API (`GET /api/v1/alerts`, long-polling with `wait`).
//!
//! The gateway keeps nothing: the inbox (threshold, read marks) lives in matchmaking,
//! per key. An event stream carries each alert's sequence number as its SSE id, so a
//! browser that reconnects (after a network cut or a gateway restart) sends
//! `Last-Event-ID` and the stream resumes after it: no alert is missed or repeated.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use futures::StreamExt as _;
use http::{HeaderMap, StatusCode};
use pyred_proto::v1 as pb;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::{ApiJson, ApiKey, ApiQuery};
use crate::console::views::LeadView;
use crate::console::{Console, match_view};
use crate::error::ApiError;
use crate::json::{MatchJson, timestamp_text};
use crate::upstream::Bearer;

/// Alerts per page of the console's list.
const CONSOLE_PAGE: i32 = 30;
/// Longest long-poll of `GET /api/v1/alerts?wait=`, seconds.
const MAX_WAIT_SECS: u64 = 30;
/// How long one upstream `WatchAlerts` call may last before the gateway reopens it
/// (from where it stopped).
const WATCH_SPAN: Duration = Duration::from_secs(300);
/// Pause before reopening a failed upstream stream.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// The alert routes of the console and the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/alerts", get(alerts_page))
        .route("/console/alerts/summary", get(summary))
        .route("/console/alerts/stream", get(stream))
        .route("/console/alerts/read", post(mark_read))
        .route("/console/alerts/settings", post(settings))
        .route("/api/v1/alerts", get(api_list))
        .route("/api/v1/alerts/read", post(api_mark_read))
        .route("/api/v1/alerts/settings", axum::routing::put(api_settings))
}

// ----- upstream calls -----

async fn list(
    state: &AppState,
    key: &Bearer,
    request: pb::ListAlertsRequest,
) -> Result<pb::ListAlertsResponse, ApiError> {
    Ok(state
        .upstream
        .matchmaking()
        .list_alerts(key.request(request))
        .await?
        .into_inner())
}

/// One alert as the console's live list and the SSE stream show it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    /// Sequence number (the SSE id).
    pub seq: i64,
    /// Read by the key's owner.
    pub read: bool,
    /// When raised (RFC 3339).
    pub raised_at: Option<String>,
    /// The lead.
    pub match_id: String,
    /// Its firm.
    pub company_id: String,
    /// The firm's name.
    pub company_name: String,
    /// Its listing.
    pub opportunity_id: String,
    /// The listing's title.
    pub opportunity_title: String,
    /// Score, percent.
    pub score: i64,
    /// The strongest reason, in the page's language.
    pub reason: Option<String>,
    /// The trip by road (« 3 h 10 par le tunnel du Somport · 263 km »), else the
    /// straight-line distance ("233 km"), when known.
    pub travel: Option<String>,
    /// The warning when the trip's best crossing was closed that day.
    pub travel_closed: Option<String>,
}

fn alert_view(
    lang: crate::i18n::Lang,
    seq: i64,
    read: bool,
    raised_at: Option<String>,
    found: &pb::Match,
) -> AlertView {
    let reason = found.reasons.first().map(|reason| match lang {
        crate::i18n::Lang::Es => reason.text_es.clone(),
        _ => reason.text_fr.clone(),
    });
    AlertView {
        seq,
        read,
        raised_at,
        match_id: found.id.clone(),
        company_id: found.company_id.clone(),
        company_name: found.company_name.clone(),
        opportunity_id: found.opportunity_id.clone(),
        opportunity_title: found.opportunity_title.clone(),
        // Scores are in [0, 1]: the rounded percent fits.
        #[allow(clippy::cast_possible_truncation)]
        score: (found.score * 100.0).round() as i64,
        reason,
        travel: crate::console::trip_view(lang, found.travel.as_ref())
            .or_else(|| found.distance_km.map(|d| format!("{d:.0} km"))),
        travel_closed: crate::console::closed_view(lang, found.travel.as_ref()),
    }
}

// ----- console -----

/// The alerts page's view: a page of the inbox, its counts and threshold.
#[derive(Debug, Serialize)]
pub(crate) struct AlertsPage {
    pub(crate) alerts: Vec<AlertCard>,
    pub(crate) unread_count: i64,
    pub(crate) unread_capped: bool,
    /// The threshold, whole percent.
    pub(crate) min_score: i64,
    pub(crate) last_seq: i64,
    /// The newest alert shown ("mark all as read" covers up to it).
    pub(crate) through: i64,
    pub(crate) unread_only: bool,
    pub(crate) next_before: i64,
    pub(crate) first_page: bool,
    /// The flash of the last action (a word key).
    pub(crate) ok: Option<String>,
}

/// An alert on the alerts page: its lead's card with the alert's number and state.
#[derive(Debug, Serialize)]
pub(crate) struct AlertCard {
    #[serde(flatten)]
    pub(crate) lead: LeadView,
    pub(crate) seq: i64,
    pub(crate) read: bool,
    pub(crate) raised_at: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    #[serde(default, deserialize_with = "crate::api::opt_from_str")]
    before: Option<i64>,
    #[serde(default, deserialize_with = "crate::api::opt_from_str")]
    unread: Option<u8>,
    ok: Option<String>,
}

async fn alerts_page(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<PageQuery>,
) -> Response {
    let unread_only = query.unread == Some(1);
    let response = match list(
        &state,
        console.key(),
        pb::ListAlertsRequest {
            unread_only,
            page_size: CONSOLE_PAGE,
            before_seq: query.before.unwrap_or_default().max(0),
            after_seq: 0,
        },
    )
    .await
    {
        Ok(response) => response,
        Err(error) => return console.error(&state, &error),
    };
    let inbox = response.inbox.unwrap_or_default();
    let alerts: Vec<_> = response
        .alerts
        .iter()
        .filter_map(|alert| {
            let found = alert.r#match.as_ref()?;
            Some(AlertCard {
                lead: match_view(console.lang, found),
                seq: alert.seq,
                read: alert.read,
                raised_at: alert.raised_at.as_ref().map(timestamp_text),
            })
        })
        .collect();
    // "Mark all as read" covers what this page shows, never an alert raised after it.
    let through = response.alerts.first().map_or(0, |alert| alert.seq);
    let view = AlertsPage {
        alerts,
        unread_count: inbox.unread_count,
        unread_capped: inbox.unread_count_capped,
        min_score: percent_of(inbox.min_score),
        last_seq: inbox.last_seq,
        through,
        unread_only,
        next_before: response.next_before_seq,
        first_page: query.before.unwrap_or_default() == 0,
        ok: query.ok,
    };
    console.render(&state, "alerts.html", &view)
}

/// A threshold in whole percent, for the form.
fn percent_of(score: f64) -> i64 {
    // Thresholds are in [0, 1]: the rounded percent fits.
    #[allow(clippy::cast_possible_truncation)]
    let percent = (score.clamp(0.0, 1.0) * 100.0).round() as i64;
    percent
}

/// The header's count: unread alerts and the point a live stream starts from.
#[derive(Debug, Serialize)]
struct Summary {
    unread_count: i64,
    unread_capped: bool,
    last_seq: i64,
}

/// The key's inbox summary (threshold, unread count, newest seq), with one alert read.
async fn inbox_of(state: &AppState, key: &Bearer) -> Result<pb::AlertInbox, ApiError> {
    let response = list(
        state,
        key,
        pb::ListAlertsRequest {
            unread_only: true,
            page_size: 1,
            ..Default::default()
        },
    )
    .await?;
    Ok(response.inbox.unwrap_or_default())
}

async fn summary(State(state): State<AppState>, console: Console) -> Response {
    match inbox_of(&state, console.key()).await {
        Ok(inbox) => (
            [(http::header::CACHE_CONTROL, "no-store")],
            Json(Summary {
                unread_count: inbox.unread_count,
                unread_capped: inbox.unread_count_capped,
                last_seq: inbox.last_seq,
            }),
        )
            .into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct StreamQuery {
    #[serde(default, deserialize_with = "crate::api::opt_from_str")]
    after: Option<i64>,
}

/// Where a stream starts: the browser's `Last-Event-ID` (a reconnection) wins over the
/// page's `after`.
fn resume_point(headers: &HeaderMap, after: Option<i64>) -> i64 {
    headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<i64>().ok())
        .or(after)
        .unwrap_or(0)
        .max(0)
}

async fn stream(
    State(state): State<AppState>,
    console: Console,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Response {
    let mut since = resume_point(&headers, query.after);
    // The threshold is the inbox's, read once when the stream opens; since 0 means
    // "from now", which the inbox's last_seq makes explicit.
    let inbox = match inbox_of(&state, console.key()).await {
        Ok(inbox) => inbox,
        Err(error) => return error.into_response(),
    };
    if since == 0 {
        since = inbox.last_seq;
    }
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Event>(32);
    let key = console.key().clone();
    let lang = console.lang;
    let upstream = state.upstream.clone();
    let ends = state.streams_end.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = ends.cancelled() => {}
            () = forward(upstream, key, lang, inbox.min_score, since, sender) => {}
        }
    });
    let events =
        futures::stream::poll_fn(move |cx| receiver.poll_recv(cx)).map(Ok::<_, Infallible>);
    (
        [(http::header::CACHE_CONTROL, "no-store")],
        Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))),
    )
        .into_response()
}

/// Forwards the alerts of `key`'s inbox after `since` to `sender` until the browser hangs
/// up, reopening the upstream stream when it ends or fails.
async fn forward(
    upstream: crate::upstream::Upstream,
    key: Bearer,
    lang: crate::i18n::Lang,
    min_score: f64,
    mut since: i64,
    sender: tokio::sync::mpsc::Sender<Event>,
) {
    loop {
        let mut request = key.request(pb::WatchAlertsRequest {
            company_ids: Vec::new(),
            min_score,
            since_seq: since,
        });
        request.set_timeout(WATCH_SPAN);
        let mut matchmaking = upstream.matchmaking();
        let opened = tokio::select! {
            () = sender.closed() => return,
            opened = matchmaking.watch_alerts(request) => opened,
        };
        match opened {
            Ok(response) => {
                let mut alerts = response.into_inner();
                loop {
                    let next = tokio::select! {
                        () = sender.closed() => return,
                        next = alerts.next() => next,
                    };
                    let Some(Ok(found)) = next else { break };
                    since = since.max(found.alert_seq);
                    let view = alert_view(lang, found.alert_seq, false, None, &found);
                    let Ok(event) = Event::default()
                        .event("alert")
                        .id(found.alert_seq.to_string())
                        .json_data(&view)
                    else {
                        continue;
                    };
                    if sender.send(event).await.is_err() {
                        return;
                    }
                }
            }
            Err(status) if status.code() == tonic::Code::Unauthenticated => return,
            Err(status) => tracing::debug!(%status, "alert stream: reopening"),
        }
        tokio::select! {
            () = sender.closed() => return,
            () = tokio::time::sleep(RETRY_PAUSE) => {}
        }
    }
}

#[derive(Debug, Deserialize)]
struct ReadForm {
    csrf: String,
    #[serde(default)]
    seq: String,
    #[serde(default)]
    through: String,
    #[serde(default)]
    back: String,
}

fn number(field: &str, text: &str) -> Result<i64, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse()
        .map_err(|_| ApiError::invalid(field, "must be a whole number"))
}

fn csrf_refused(console: &Console, state: &AppState) -> Response {
    console.error(
        state,
        &ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            console.lang.words()["csrf_failed"],
        ),
    )
}

/// Back to the alerts page (or the dashboard), never elsewhere.
fn back_of(back: &str) -> &'static str {
    match back {
        "/console" => "/console",
        "/console/alerts?unread=1" => "/console/alerts?unread=1",
        _ => "/console/alerts",
    }
}

async fn mark_read(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<ReadForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return csrf_refused(&console, &state);
    }
    let parsed =
        number("seq", &form.seq).and_then(|seq| Ok((seq, number("through", &form.through)?)));
    let (seq, through) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return console.error(&state, &error),
    };
    let result = state
        .upstream
        .matchmaking()
        .mark_alerts_read(console.key().request(pb::MarkAlertsReadRequest {
            seqs: if seq > 0 { vec![seq] } else { Vec::new() },
            through_seq: through,
        }))
        .await;
    match result {
        Ok(_) => {
            let back = back_of(&form.back);
            let separator = if back.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{back}{separator}ok=alerts_read")).into_response()
        }
        Err(status) => console.error(&state, &status.into()),
    }
}

#[derive(Debug, Deserialize)]
struct SettingsForm {
    csrf: String,
    min_score: String,
}

async fn settings(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<SettingsForm>,
) -> Response {
    if !console.check_csrf(&form.csrf) {
        return csrf_refused(&console, &state);
    }
    let percent = match form.min_score.trim().parse::<f64>() {
        Ok(percent) if (0.0..=100.0).contains(&percent) => percent,
        _ => {
            return console.error(
                &state,
                &ApiError::invalid("min_score", console.lang.words()["alert_threshold_invalid"]),
            );
        }
    };
    match state
        .upstream
        .matchmaking()
        .update_alert_inbox(console.key().request(pb::UpdateAlertInboxRequest {
            min_score: percent / 100.0,
        }))
        .await
    {
        Ok(_) => Redirect::to("/console/alerts?ok=alert_threshold_saved").into_response(),
        Err(status) => console.error(&state, &status.into()),
    }
}

// ----- JSON API -----

/// Filters of `GET /api/v1/alerts`.
#[derive(Debug, Default, Deserialize)]
pub struct AlertsQuery {
    unread_only: Option<bool>,
    page_size: Option<i32>,
    before_seq: Option<i64>,
    after_seq: Option<i64>,
    wait: Option<u64>,
}

/// One alert of an inbox.
#[derive(Debug, Serialize)]
pub struct InboxAlertJson {
    /// Sequence number.
    pub seq: i64,
    /// Read by the key's owner.
    pub read: bool,
    /// When raised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raised_at: Option<String>,
    /// The lead as it stands now.
    #[serde(rename = "match")]
    pub lead: MatchJson,
}

/// An inbox's threshold and unread count.
#[derive(Debug, Serialize)]
pub struct AlertInboxJson {
    /// Threshold, 0..1.
    pub min_score: f64,
    /// Unread alerts, counted up to 1000.
    pub unread_count: i64,
    /// More unread than counted.
    pub unread_count_capped: bool,
    /// Newest alert's sequence number: `after_seq` for the next long-poll.
    pub last_seq: i64,
}

impl From<&pb::AlertInbox> for AlertInboxJson {
    fn from(inbox: &pb::AlertInbox) -> Self {
        Self {
            min_score: inbox.min_score,
            unread_count: inbox.unread_count,
            unread_count_capped: inbox.unread_count_capped,
            last_seq: inbox.last_seq,
        }
    }
}

/// The answer of `GET /api/v1/alerts`.
#[derive(Debug, Serialize)]
pub struct AlertsJson {
    /// Newest first.
    pub items: Vec<InboxAlertJson>,
    /// The inbox.
    pub inbox: AlertInboxJson,
    /// `before_seq` of the next page; 0 on the last.
    pub next_before_seq: i64,
}

fn alerts_json(response: &pb::ListAlertsResponse) -> AlertsJson {
    AlertsJson {
        items: response
            .alerts
            .iter()
            .filter_map(|alert| {
                Some(InboxAlertJson {
                    seq: alert.seq,
                    read: alert.read,
                    raised_at: alert.raised_at.as_ref().map(timestamp_text),
                    lead: MatchJson::from(alert.r#match.as_ref()?),
                })
            })
            .collect(),
        inbox: AlertInboxJson::from(&response.inbox.unwrap_or_default()),
        next_before_seq: response.next_before_seq,
    }
}

async fn api_list(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiQuery(query): ApiQuery<AlertsQuery>,
) -> Result<Json<AlertsJson>, ApiError> {
    let wait = query.wait.unwrap_or_default();
    if wait > MAX_WAIT_SECS {
        return Err(ApiError::invalid(
            "wait",
            format!("must be between 0 and {MAX_WAIT_SECS} seconds"),
        ));
    }
    let request = pb::ListAlertsRequest {
        unread_only: query.unread_only.unwrap_or_default(),
        page_size: query.page_size.unwrap_or_default(),
        before_seq: query.before_seq.unwrap_or_default(),
        after_seq: query.after_seq.unwrap_or_default(),
    };
    let first = list(&state, &key, request).await?;
    if wait == 0 || !first.alerts.is_empty() || request.after_seq == 0 {
        return Ok(Json(alerts_json(&first)));
    }
    // Long-poll: nothing newer than after_seq yet; wait for the next alert of this
    // inbox (its threshold, its scope) or the end of `wait`, then answer the list.
    let min_score = first.inbox.as_ref().map_or(0.0, |inbox| inbox.min_score);
    let mut watch = key.request(pb::WatchAlertsRequest {
        company_ids: Vec::new(),
        min_score,
        since_seq: request.after_seq,
    });
    watch.set_timeout(Duration::from_secs(wait + 5));
    let waited = tokio::time::timeout(Duration::from_secs(wait), async {
        let mut matchmaking = state.upstream.matchmaking();
        let mut alerts = matchmaking.watch_alerts(watch).await?.into_inner();
        alerts.next().await.transpose()
    })
    .await;
    match waited {
        Err(_elapsed) => Ok(Json(alerts_json(&first))),
        Ok(Err(status)) => Err(status.into()),
        Ok(Ok(_)) => Ok(Json(alerts_json(&list(&state, &key, request).await?))),
    }
}

/// Body of `POST /api/v1/alerts/read`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkReadBody {
    #[serde(default)]
    seqs: Vec<i64>,
    #[serde(default)]
    through_seq: i64,
}

async fn api_mark_read(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiJson(body): ApiJson<MarkReadBody>,
) -> Result<Json<AlertInboxJson>, ApiError> {
    let inbox = state
        .upstream
        .matchmaking()
        .mark_alerts_read(key.request(pb::MarkAlertsReadRequest {
            seqs: body.seqs,
            through_seq: body.through_seq,
        }))
        .await?
        .into_inner();
    Ok(Json(AlertInboxJson::from(&inbox)))
}

/// Body of `PUT /api/v1/alerts/settings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    min_score: f64,
}

async fn api_settings(
    State(state): State<AppState>,
    ApiKey(key): ApiKey,
    ApiJson(body): ApiJson<SettingsBody>,
) -> Result<Json<AlertInboxJson>, ApiError> {
    let inbox = state
        .upstream
        .matchmaking()
        .update_alert_inbox(key.request(pb::UpdateAlertInboxRequest {
            min_score: body.min_score,
        }))
        .await?
        .into_inner();
    Ok(Json(AlertInboxJson::from(&inbox)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnection_resumes_after_its_last_event() {
        let mut headers = HeaderMap::new();
        assert_eq!(resume_point(&headers, Some(7)), 7);
        assert_eq!(resume_point(&headers, None), 0);
        headers.insert("last-event-id", http::HeaderValue::from_static("42"));
        assert_eq!(resume_point(&headers, Some(7)), 42);
        headers.insert("last-event-id", http::HeaderValue::from_static("x"));
        assert_eq!(resume_point(&headers, Some(7)), 7);
        assert_eq!(resume_point(&HeaderMap::new(), Some(-3)), 0);
    }

    #[test]
    fn return_paths_stay_on_the_console() {
        assert_eq!(back_of("/console"), "/console");
        assert_eq!(back_of("https://evil.example/"), "/console/alerts");
        assert_eq!(
            back_of("/console/alerts?unread=1"),
            "/console/alerts?unread=1"
        );
    }
}
