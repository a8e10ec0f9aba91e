//! The pages for people, over plain HTTP/1.1: `/` lists the reports,
//! `/report?year=2023&quarter=4&scope=area:MAASHORST` shows one, and
//! `/report.json?…` gives it as JSON. Read-only, one request per
//! connection; small on purpose (a browser and a printer are the clients).
//!
//! The pages are for the same callers as GetReport: a request carries a
//! token as `Authorization: Bearer …` or in the `partnership_token` cookie
//! that `/login?token=…&next=/report%3F…` sets (once, so a browser keeps it
//! out of later URLs). Without one: 401; the wrong kind of caller: 403.

use std::collections::HashMap;
use std::time::Duration;

use partnership_platform::auth::{Principal, Verifier};
use partnership_platform::{CancellationToken, ServiceError};
use partnership_proto::common as cpb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::Reporting;
use crate::render::html;

/// The most bytes of a request head read.
const MAX_HEAD: usize = 16 * 1024;

/// The cookie a browser keeps its token in.
const COOKIE: &str = "partnership_token";

/// One answer.
struct Page {
    status: u16,
    content_type: &'static str,
    body: String,
    headers: Vec<(&'static str, String)>,
}

impl Page {
    fn new(status: u16, content_type: &'static str, body: String) -> Self {
        Self { status, content_type, body, headers: Vec::new() }
    }
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";

pub async fn serve(reporting: Reporting, verifier: Verifier, listener: TcpListener, shutdown: CancellationToken) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "report pages served");
    }
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    let reporting = reporting.clone();
                    let verifier = verifier.clone();
                    tokio::spawn(async move {
                        if let Err(err) = tokio::time::timeout(Duration::from_secs(60), handle(reporting, verifier, stream)).await {
                            tracing::debug!(%err, "page request timed out");
                        }
                    });
                }
            }
        }
    }
}

async fn handle(reporting: Reporting, verifier: Verifier, mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.lines();
    let request_line = lines.next().unwrap_or_default();
    let headers: Vec<(String, &str)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim()))
        .collect();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let page = if method != "GET" {
        Page::new(405, TEXT, "only GET".to_owned())
    } else {
        route(&reporting, &verifier, target, &headers).await
    };
    let reason = match page.status {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let mut response = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        page.status,
        page.content_type,
        page.body.len()
    );
    for (name, value) in &page.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.write_all(page.body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The caller a request's token stands for, if it may read reports.
fn caller(verifier: &Verifier, token: Option<&str>) -> Result<Principal, Page> {
    let login = "<p>Log in with a token: <code>/login?token=…</code></p>";
    let token = token.ok_or_else(|| Page::new(401, HTML, login.into()))?;
    let (principal, _) = verifier.verify(token).map_err(|err| Page::new(401, HTML, format!("<p>{}</p>{login}", html::escape(&err.to_string()))))?;
    let allowed = crate::POLICY.rules.iter().find(|r| r.method == "GetReport").is_some_and(|r| r.allowed.contains(&principal.kind()));
    if allowed { Ok(principal) } else { Err(Page::new(403, HTML, format!("<p>{} may not read reports</p>", principal.subject()))) }
}

/// The token of a request: its bearer token, or the cookie's.
fn request_token<'a>(headers: &[(String, &'a str)]) -> Option<&'a str> {
    let values = |name: &'static str| headers.iter().filter(move |(n, _)| n == name).map(|(_, v)| *v);
    values("authorization").find_map(|v| v.strip_prefix("Bearer ")).or_else(|| {
        values("cookie").flat_map(|v| v.split(';')).find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
    })
}

async fn route(reporting: &Reporting, verifier: &Verifier, target: &str, headers: &[(String, &str)]) -> Page {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: HashMap<&str, &str> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
    if path == "/healthz" {
        return Page::new(200, TEXT, "ok".into());
    }
    if path == "/login" {
        let token = params.get("token").copied();
        if let Err(refused) = caller(verifier, token) {
            return refused;
        }
        // Only a path of this site, never another origin.
        let next = params.get("next").map(|n| percent_decode(n)).filter(|n| n.starts_with('/') && !n.starts_with("//"));
        let mut page = Page::new(303, TEXT, String::new());
        page.headers.push(("Location", next.unwrap_or_else(|| "/".into())));
        page.headers.push(("Set-Cookie", format!("{COOKIE}={}; HttpOnly; SameSite=Lax; Path=/", token.unwrap_or_default())));
        return page;
    }
    if let Err(refused) = caller(verifier, request_token(headers)) {
        return refused;
    }
    let (status, content_type, body) = match path {
        "/" => match reporting.available().await {
            Ok(available) => (200, HTML, html::index(&available)),
            Err(err) => (503, HTML, format!("<p>Niet beschikbaar: {}</p>", html::escape(&err.to_string()))),
        },
        "/report" | "/report.json" => {
            let report = match parse(&params) {
                Ok((year, quarter, scope)) => reporting.report(year, quarter, scope, false).await,
                Err(err) => Err(err),
            };
            match (report, path) {
                (Ok(report), "/report") => (200, HTML, html::page(&report)),
                (Ok(report), _) => (200, JSON, serde_json::to_string_pretty(&report).unwrap_or_default()),
                (Err(err @ ServiceError::InvalidArgument(_)), _) => (400, HTML, html::escape(&err.to_string())),
                (Err(err), _) => (503, HTML, html::escape(&err.to_string())),
            }
        }
        _ => (404, HTML, "<p>Niet gevonden</p>".into()),
    };
    Page::new(status, content_type, body)
}

/// `%2F` and friends back to their characters (for `next`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b'+', ..) => {
                out.push(b' ');
                i += 1;
            }
            (byte, ..) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse(params: &HashMap<&str, &str>) -> Result<(i32, u32, cpb::Scope), ServiceError> {
    let year = params.get("year").and_then(|y| y.parse().ok()).ok_or_else(|| ServiceError::invalid("year", "is required"))?;
    let quarter = params.get("quarter").and_then(|q| q.parse().ok()).ok_or_else(|| ServiceError::invalid("quarter", "is required"))?;
    let scope = parse_scope(params.get("scope").copied().unwrap_or("partnership"))?;
    Ok((year, quarter, scope))
}

/// `partnership`, `area:CODE` or `municipality:CODE`.
pub fn parse_scope(text: &str) -> Result<cpb::Scope, ServiceError> {
    let (level, code) = match text.split_once(':') {
        None if text == "partnership" => (cpb::ScopeLevel::Partnership, ""),
        Some(("area", code)) => (cpb::ScopeLevel::Area, code),
        Some(("municipality", code)) => (cpb::ScopeLevel::Municipality, code),
        _ => return Err(ServiceError::invalid("scope", "use partnership, area:CODE or municipality:CODE")),
    };
    Ok(cpb::Scope { level: level as i32, code: code.to_owned() })
}
