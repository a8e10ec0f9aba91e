//! The pages for people, over plain HTTP/1.1: `/` lists the reports,
//! `/report?year=2023&quarter=4&scope=area:MAASHORST` shows one, and
//! `/report.json?…` gives it as JSON. Read-only, one request per
//! connection; small on purpose (a browser and a printer are the clients).

use std::collections::HashMap;
use std::time::Duration;

use partnership_platform::{CancellationToken, ServiceError};
use partnership_proto::common as cpb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::Reporting;
use crate::render::html;

/// The most bytes of a request head read.
const MAX_HEAD: usize = 16 * 1024;

pub async fn serve(reporting: Reporting, listener: TcpListener, shutdown: CancellationToken) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "report pages served");
    }
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    let reporting = reporting.clone();
                    tokio::spawn(async move {
                        if let Err(err) = tokio::time::timeout(Duration::from_secs(60), handle(reporting, stream)).await {
                            tracing::debug!(%err, "page request timed out");
                        }
                    });
                }
            }
        }
    }
}

async fn handle(reporting: Reporting, mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let request_line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_owned();
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let (status, content_type, body) = if method != "GET" {
        (405, "text/plain; charset=utf-8", "only GET".to_owned())
    } else {
        route(&reporting, target).await
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn route(reporting: &Reporting, target: &str) -> (u16, &'static str, String) {
    const HTML: &str = "text/html; charset=utf-8";
    const JSON: &str = "application/json";
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let params: HashMap<&str, &str> = query.split('&').filter_map(|kv| kv.split_once('=')).collect();
    match path {
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
        "/healthz" => (200, "text/plain; charset=utf-8", "ok".into()),
        _ => (404, HTML, "<p>Niet gevonden</p>".into()),
    }
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
