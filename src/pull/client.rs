//! The HTTP side of `pull`: one client for Atlassian's API that sends the
//! key only to `base_url`'s origin, follows either form of `links.next`,
//! waits out rate limits, retries what a busy service fails with, and
//! turns every refusal into an error an admin can act on.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::api::{Event, EventPage, Page};
use crate::problems::BadInput;

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the whole pull may take.
const PULL_DEADLINE: Duration = Duration::from_secs(30 * 60);
/// Tries of one request that fails with a 5xx, a timeout or no connection.
const ATTEMPTS: u32 = 5;
/// The first wait before a retry; doubled each time, with jitter.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait a rate limit may ask for.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(120);
/// Rate-limit answers one request may get before the pull gives up.
const RATE_LIMITED_TRIES: u32 = 20;
/// The largest response body read (a page of 100 users is far smaller).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Why a pull failed; [`PullError::exit_code`] tells `main`.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// 401: the key is wrong, revoked or expired.
    #[error(
        "the Atlassian API refused the org API key ({endpoint} answered 401 Unauthorized). \
         Org API keys expire after at most a year: create a new one in admin.atlassian.com \
         (Settings > API keys) and put it in the environment variable {key_env}"
    )]
    KeyRefused { endpoint: String, key_env: String },
    /// 403: the key may not call this endpoint.
    #[error(
        "the Atlassian API forbade {endpoint} to this key (403 Forbidden): a key with scopes \
         may lack the scope this endpoint needs, or the endpoint needs an API key without scopes"
    )]
    Forbidden { endpoint: String },
    /// The settings do not fit what the key sees (no or several
    /// organizations, an organization that is not found).
    #[error("{0}")]
    Settings(String),
    /// 404 where a list was expected.
    #[error(
        "{endpoint} answered 404 Not Found: is [atlassian] org_id the id of an organization this key sees?"
    )]
    NotFound { endpoint: String },
    /// Anything else: the service, the network or its answers.
    #[error("pulling {endpoint} failed: {detail}")]
    Failed { endpoint: String, detail: String },
    /// The managed accounts export waiting beside the pull is wrong.
    #[error(transparent)]
    Export(#[from] BadInput),
    /// Reading the managed accounts export or writing the bundle failed.
    #[error("{0:#}")]
    Local(#[from] anyhow::Error),
}

impl PullError {
    /// Refusals and settings are the admin's to fix (2); the rest is an
    /// operational failure (1).
    pub fn exit_code(&self) -> u8 {
        match self {
            PullError::KeyRefused { .. }
            | PullError::Forbidden { .. }
            | PullError::Settings(_)
            | PullError::NotFound { .. }
            | PullError::Export(_) => 2,
            PullError::Failed { .. } | PullError::Local(_) => 1,
        }
    }

    fn failed(endpoint: &str, detail: impl Into<String>) -> Self {
        PullError::Failed {
            endpoint: endpoint.to_string(),
            detail: detail.into(),
        }
    }
}

/// A client bound to one API origin and key.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    /// `Authorization: Bearer …`, marked sensitive so no debug output shows it.
    authorization: HeaderValue,
    key_env: String,
    deadline: Instant,
    /// What the deadline bounds, for its error ("the pull").
    bounded: &'static str,
    /// The deadline's length, for the same error.
    allowed: Duration,
}

/// What one change (a DELETE, a suspend) did, as far as its answer tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// A 2xx: done.
    Done,
    /// A 404: there is nothing to change (any more).
    NotFound,
    /// A 409: the API says the thing is already so, or otherwise in the
    /// way; only a read of the state can tell which.
    Conflict,
    /// No answer, or a 5xx: it may or may not have been carried out, and
    /// only a read of the state can tell.
    Lost(String),
}

/// Where the next page of a list is.
enum Next {
    First,
    Cursor(String),
    Url(Url),
}

impl Client {
    pub fn new(base: Url, key: &str, key_env: &str) -> Result<Self, PullError> {
        let setup = |detail: String| PullError::failed("the HTTP client", detail);
        let mut authorization = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
            setup(format!(
                "the key in {key_env} holds characters no HTTP header may carry"
            ))
        })?;
        authorization.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("org-insights/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry the request elsewhere: none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .https_only(base.scheme() == "https")
            .connect_timeout(Duration::from_secs(15))
            .build()
            .map_err(|err| setup(err.to_string()))?;
        Ok(Client {
            http,
            base,
            authorization,
            key_env: key_env.to_string(),
            deadline: Instant::now() + PULL_DEADLINE,
            bounded: "the pull",
            allowed: PULL_DEADLINE,
        })
    }

    /// The same client with a deadline of its own from now: changes to
    /// the organization (`bounded`, "the reclaim") are not held to the
    /// pull's.
    pub fn with_deadline(mut self, allowed: Duration, bounded: &'static str) -> Self {
        self.deadline = Instant::now() + allowed;
        self.bounded = bounded;
        self.allowed = allowed;
        self
    }

    /// Every item of a list read with GET `path`, page after page.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        on_page: &mut (dyn FnMut(usize) + Send),
    ) -> Result<Vec<T>, PullError> {
        self.get_all_where(path, &[], on_page).await
    }

    /// [`Client::get_all`] with `query` on the first page's URL.
    pub async fn get_all_where<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        on_page: &mut (dyn FnMut(usize) + Send),
    ) -> Result<Vec<T>, PullError> {
        let first = || {
            let mut url = self.url(path);
            url.query_pairs_mut().extend_pairs(query);
            url
        };
        self.all_pages(path, on_page, |next| match next {
            Next::First => Ok((Method::GET, first(), None)),
            Next::Cursor(cursor) => {
                let mut url = first();
                url.query_pairs_mut().append_pair("cursor", cursor);
                Ok((Method::GET, url, None))
            }
            Next::Url(url) => Ok((Method::GET, url.clone(), None)),
        })
        .await
    }

    /// [`Client::get_all_where`] for a list the key may not be allowed to
    /// read (a scope it lacks, a product the organization does not have):
    /// a 403 or 404 is `Ok(Err(reason))`, and the pull goes on without it.
    pub async fn get_all_if_allowed<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Result<Vec<T>, String>, PullError> {
        match self.get_all_where(path, query, &mut |_| {}).await {
            Ok(items) => Ok(Ok(items)),
            Err(err) => not_allowed(path, err),
        }
    }

    /// The audit log's events from `from_ms` to `to_ms` (epoch
    /// milliseconds), oldest first, page after page of the events stream;
    /// a 403 (no Atlassian Guard, or a key without `read:events:admin`) or
    /// 404 is `Ok(Err(reason))`. The stream gives a cursor even after the
    /// last page (for polling, and a page may hold fewer than `limit`
    /// events before the end): an empty page, or a cursor given before,
    /// ends the read.
    pub async fn events_between(
        &self,
        path: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Result<Vec<Event>, String>, PullError> {
        const LIMIT: usize = 500;
        let (from, to, limit) = (from_ms.to_string(), to_ms.to_string(), LIMIT.to_string());
        let mut events = Vec::new();
        let mut seen = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = self.url(path);
            url.query_pairs_mut().extend_pairs([
                ("from", from.as_str()),
                ("to", to.as_str()),
                ("limit", limit.as_str()),
                ("sortOrder", "asc"),
            ]);
            if let Some(cursor) = &cursor {
                url.query_pairs_mut().append_pair("cursor", cursor);
            }
            let bytes = match self.send(path, Method::GET, url, None).await {
                Ok(bytes) => bytes,
                Err(err) => return not_allowed(path, err),
            };
            let page: EventPage = serde_json::from_slice(&bytes).map_err(|err| {
                PullError::failed(path, format!("the answer is not the JSON expected ({err})"))
            })?;
            let empty = page.data.is_empty();
            events.extend(page.data);
            // `links.next` may be the whole URL of the next page: its cursor.
            let next = page
                .meta
                .and_then(|m| m.next)
                .or_else(|| page.links.and_then(|l| l.next).map(|link| cursor_of(&link)))
                .filter(|n| !n.is_empty());
            match next {
                Some(next) if !empty && seen.insert(next.clone()) => cursor = Some(next),
                _ => return Ok(Ok(events)),
            }
        }
    }

    /// One change (`method` on `path`, without a body), never sent again
    /// on its own: a lost answer or a 409 is returned as such, for the
    /// caller to settle by reading the state. A rate limit (429, not
    /// carried out) is waited out; a refusal is an error.
    pub async fn change_once(&self, method: Method, path: &str) -> Result<Changed, PullError> {
        let mut rate_limited = 0u32;
        loop {
            let remaining = self.remaining(path)?;
            let request = self
                .http
                .request(method.clone(), self.url(path))
                .header(AUTHORIZATION, self.authorization.clone())
                .timeout(REQUEST_TIMEOUT.min(remaining));
            let response = match request.send().await {
                Ok(response) => response,
                Err(err) => return Ok(Changed::Lost(err.without_url().to_string())),
            };
            match response.status() {
                status if status.is_success() => return Ok(Changed::Done),
                StatusCode::NOT_FOUND => return Ok(Changed::NotFound),
                StatusCode::CONFLICT => return Ok(Changed::Conflict),
                StatusCode::TOO_MANY_REQUESTS if rate_limited < RATE_LIMITED_TRIES => {
                    rate_limited += 1;
                    let wait = rate_limit_wait(response.headers(), Utc::now());
                    tokio::time::sleep(wait.min(remaining)).await;
                }
                StatusCode::UNAUTHORIZED => {
                    return Err(PullError::KeyRefused {
                        endpoint: path.to_string(),
                        key_env: self.key_env.clone(),
                    })
                }
                StatusCode::FORBIDDEN => {
                    return Err(PullError::Forbidden {
                        endpoint: path.to_string(),
                    })
                }
                status if status.is_server_error() => {
                    return Ok(Changed::Lost(format!("the API answered {status}")))
                }
                status => {
                    return Err(PullError::failed(
                        path,
                        format!("the API answered {status}"),
                    ))
                }
            }
        }
    }

    /// One object read with GET `path` (its `data`), or `None` on a 404:
    /// retried as every read is.
    pub async fn get_one<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, PullError> {
        let Some(bytes) = self
            .send_or_not_found(path, Method::GET, self.url(path), None)
            .await?
        else {
            return Ok(None);
        };
        let one: super::api::One<T> = serde_json::from_slice(&bytes).map_err(|err| {
            PullError::failed(path, format!("the answer is not the JSON expected ({err})"))
        })?;
        Ok(one.data)
    }

    /// Every item of a search POSTed to `path` with `body`, page after page
    /// (the cursor goes in the body).
    pub async fn search_all<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Value,
        on_page: &mut (dyn FnMut(usize) + Send),
    ) -> Result<Vec<T>, PullError> {
        self.all_pages(path, on_page, |next| {
            let mut body = body.clone();
            let url = match next {
                Next::First => self.url(path),
                Next::Cursor(cursor) => {
                    body["cursor"] = json!(cursor);
                    self.url(path)
                }
                Next::Url(url) => url.clone(),
            };
            Ok((Method::POST, url, Some(body)))
        })
        .await
    }

    async fn all_pages<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        on_page: &mut (dyn FnMut(usize) + Send),
        request: impl Fn(&Next) -> Result<(Method, Url, Option<Value>), PullError>,
    ) -> Result<Vec<T>, PullError> {
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Next::First;
        loop {
            let (method, url, body) = request(&next)?;
            let bytes = self.send(endpoint, method, url, body.as_ref()).await?;
            let page: Page<T> = serde_json::from_slice(&bytes).map_err(|err| {
                PullError::failed(
                    endpoint,
                    format!("the answer is not the JSON expected ({err})"),
                )
            })?;
            items.extend(page.data);
            on_page(items.len());
            let Some(link) = page.links.and_then(|l| l.next).filter(|n| !n.is_empty()) else {
                return Ok(items);
            };
            // A service that hands out the same page twice would loop forever.
            if !seen.insert(link.clone()) {
                return Err(PullError::failed(
                    endpoint,
                    "the API returned a next-page link it had already given (a loop)",
                ));
            }
            next = self.next_of(endpoint, link)?;
        }
    }

    /// `links.next` as a cursor or, when it is a whole URL, that URL, which
    /// must be on `base_url`'s origin: the key goes nowhere else.
    fn next_of(&self, endpoint: &str, link: String) -> Result<Next, PullError> {
        let Ok(url) = Url::parse(&link) else {
            return Ok(Next::Cursor(link));
        };
        if !matches!(url.scheme(), "http" | "https") {
            return Ok(Next::Cursor(link));
        }
        if url.origin() != self.base.origin() {
            return Err(PullError::failed(
                endpoint,
                format!(
                    "the next page is on another host ({}); the key is only sent to {}",
                    url.host_str().unwrap_or("?"),
                    self.base.host_str().unwrap_or("?")
                ),
            ));
        }
        Ok(Next::Url(url))
    }

    /// `path` below `base_url` (which may itself have a path).
    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        url
    }

    /// One request, answered with a success body: rate limits are waited
    /// out, 5xx answers and network failures retried with backoff.
    async fn send(
        &self,
        endpoint: &str,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Vec<u8>, PullError> {
        self.send_or_not_found(endpoint, method, url, body)
            .await?
            .ok_or_else(|| PullError::NotFound {
                endpoint: endpoint.to_string(),
            })
    }

    /// The time left before the deadline; none left is an error.
    fn remaining(&self, endpoint: &str) -> Result<Duration, PullError> {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(PullError::failed(
                endpoint,
                format!(
                    "{} took longer than {} minutes",
                    self.bounded,
                    self.allowed.as_secs() / 60
                ),
            ));
        }
        Ok(remaining)
    }

    /// [`Client::send`], with a 404 answered as `None`.
    async fn send_or_not_found(
        &self,
        endpoint: &str,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Option<Vec<u8>>, PullError> {
        let (mut failures, mut rate_limited) = (0u32, 0u32);
        loop {
            let remaining = self.remaining(endpoint)?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, self.authorization.clone())
                .timeout(REQUEST_TIMEOUT.min(remaining));
            if let Some(body) = body {
                request = request.json(body);
            }
            let transient = match request.send().await {
                Ok(response) => match response.status() {
                    status if status.is_success() => {
                        return read_body(endpoint, response).await.map(Some)
                    }
                    StatusCode::TOO_MANY_REQUESTS => {
                        rate_limited += 1;
                        if rate_limited > RATE_LIMITED_TRIES {
                            return Err(PullError::failed(
                                endpoint,
                                format!(
                                    "still rate limited (429) after {RATE_LIMITED_TRIES} waits"
                                ),
                            ));
                        }
                        let wait = rate_limit_wait(response.headers(), Utc::now());
                        tracing::info!(
                            endpoint,
                            wait_ms = wait.as_millis() as u64,
                            "rate limited: waiting"
                        );
                        tokio::time::sleep(wait.min(remaining)).await;
                        continue;
                    }
                    StatusCode::UNAUTHORIZED => {
                        return Err(PullError::KeyRefused {
                            endpoint: endpoint.to_string(),
                            key_env: self.key_env.clone(),
                        })
                    }
                    StatusCode::FORBIDDEN => {
                        return Err(PullError::Forbidden {
                            endpoint: endpoint.to_string(),
                        })
                    }
                    StatusCode::NOT_FOUND => return Ok(None),
                    status if status.is_server_error() => format!("the API answered {status}"),
                    status => {
                        return Err(PullError::failed(
                            endpoint,
                            format!("the API answered {status}"),
                        ))
                    }
                },
                Err(err) => err.without_url().to_string(),
            };
            failures += 1;
            if failures >= ATTEMPTS {
                return Err(PullError::failed(
                    endpoint,
                    format!("{transient}, {ATTEMPTS} times"),
                ));
            }
            let wait = backoff(failures);
            tracing::warn!(endpoint, error = %transient, retry_in_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait.min(remaining)).await;
        }
    }
}

/// A 403 or 404 of an endpoint the pull can do without, as the reason it
/// is not recorded; any other failure fails the pull.
fn not_allowed<T>(path: &str, err: PullError) -> Result<Result<T, String>, PullError> {
    let reason = match &err {
        PullError::Forbidden { .. } => format!(
            "{path} answered 403 Forbidden: the key lacks the scope, or the organization the product, it needs"
        ),
        PullError::NotFound { .. } => format!("{path} answered 404 Not Found"),
        _ => return Err(err),
    };
    tracing::warn!(endpoint = path, %reason, "not recorded by this source");
    Ok(Err(reason))
}

/// The `cursor` of a next-page URL, or the link itself when it is a cursor.
fn cursor_of(link: &str) -> String {
    match Url::parse(link) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url
            .query_pairs()
            .find(|(name, _)| name == "cursor")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default(),
        _ => link.to_string(),
    }
}

/// A success body, read up to [`MAX_BODY_BYTES`].
async fn read_body(endpoint: &str, mut response: reqwest::Response) -> Result<Vec<u8>, PullError> {
    let too_large = || {
        PullError::failed(
            endpoint,
            format!(
                "the answer is larger than {} MiB",
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        )
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|err| {
        PullError::failed(
            endpoint,
            format!("reading the answer: {}", err.without_url()),
        )
    })? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The wait before the `failures`th retry: 0.5 s doubled each time, plus
/// up to half again at random, so that many clients do not retry at once.
fn backoff(failures: u32) -> Duration {
    let base = FIRST_BACKOFF * 2u32.pow(failures.saturating_sub(1).min(6));
    base + base.mul_f64(fastrand::f64() / 2.0)
}

/// How long a 429 asks to wait: `Retry-After` (seconds or an HTTP date),
/// else `X-RateLimit-Reset` (a time: RFC 3339 or epoch seconds), capped at
/// [`MAX_RATE_LIMIT_WAIT`]; a time in the past is no wait. Without either
/// header, one second.
fn rate_limit_wait(headers: &HeaderMap, now: DateTime<Utc>) -> Duration {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let until = |at: DateTime<Utc>| (at - now).to_std().unwrap_or(Duration::ZERO);
    let wait = if let Some(value) = header(RETRY_AFTER.as_str()) {
        match value.parse::<u64>() {
            Ok(seconds) => Duration::from_secs(seconds),
            Err(_) => DateTime::parse_from_rfc2822(value)
                .map(|at| until(at.with_timezone(&Utc)))
                .unwrap_or(Duration::from_secs(1)),
        }
    } else if let Some(value) = header("x-ratelimit-reset") {
        match value.parse::<i64>() {
            Ok(epoch) => DateTime::from_timestamp(epoch, 0)
                .map(until)
                .unwrap_or_default(),
            Err(_) => DateTime::parse_from_rfc3339(value)
                .map(|at| until(at.with_timezone(&Utc)))
                .unwrap_or(Duration::from_secs(1)),
        }
    } else {
        Duration::from_secs(1)
    };
    wait.min(MAX_RATE_LIMIT_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn rate_limit_waits_follow_the_headers_and_are_capped() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let wait = |pairs: &[(&'static str, &str)]| rate_limit_wait(&headers(pairs), now);
        assert_eq!(wait(&[("retry-after", "7")]), Duration::from_secs(7));
        assert_eq!(
            wait(&[("retry-after", "Mon, 30 Nov 2026 12:00:05 GMT")]),
            Duration::from_secs(5)
        );
        assert_eq!(wait(&[("retry-after", "86400")]), MAX_RATE_LIMIT_WAIT);
        assert_eq!(
            wait(&[("x-ratelimit-reset", "2026-11-30T12:00:30Z")]),
            Duration::from_secs(30)
        );
        // A reset in the past: retry now.
        assert_eq!(
            wait(&[("x-ratelimit-reset", "2026-11-30T11:00:00Z")]),
            Duration::ZERO
        );
        let epoch = (now.timestamp() + 3).to_string();
        assert_eq!(
            wait(&[("x-ratelimit-reset", &epoch)]),
            Duration::from_secs(3)
        );
        assert_eq!(wait(&[]), Duration::from_secs(1));
    }

    #[test]
    fn backoff_doubles_with_at_most_half_again_of_jitter() {
        for failures in 1..=4 {
            let base = FIRST_BACKOFF * 2u32.pow(failures - 1);
            let wait = backoff(failures);
            assert!(
                wait >= base && wait <= base + base / 2,
                "{failures}: {wait:?}"
            );
        }
    }
}
