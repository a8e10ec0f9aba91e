//! # Reporting
//!
//! Composes the kwartaalrapportage and the jaarverslag (domain.md §6) per
//! partnership, area and municipality. It owns no data: [`sources`] asks
//! intake, employment, beschut and finance for their figures concurrently
//! (deadline and timing on every call, see [`fanout`]); [`sections`] turns
//! them into the nine sections, marking a section unavailable — with the
//! reason — when its source failed; [`render`] prints a report for people
//! (HTML with charts, and plain text), served by [`web`].

pub mod api;
pub mod fanout;
pub mod labels;
pub mod period;
pub mod render;
pub mod sections;
pub mod sources;
pub mod web;

use std::net::SocketAddr;
use std::path::Path;

use partnership_platform::auth::policy::{Policy, figures};
use partnership_platform::auth::ServiceAuth;
use partnership_platform::serve::ServiceRoutes;
use partnership_platform::{CancellationToken, ServiceError, dates, peer};
use partnership_proto::common as cpb;
use partnership_proto::intake as ipb;
use partnership_proto::reporting as pb;
use partnership_proto::reporting::reporting_service_server::{ReportingServiceServer, SERVICE_NAME};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::period::ReportPeriod;

pub const DEFAULT_PORT: u16 = 50055;
pub const DEFAULT_WEB_PORT: u16 = 8080;

/// Reporting's settings (the `[reporting]` table of the configuration).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportingConfig {
    /// gRPC.
    pub listen: SocketAddr,
    /// The pages for people (HTML): a dashboard and a page per report.
    pub web_listen: SocketAddr,
    pub intake_url: String,
    pub employment_url: String,
    pub beschut_url: String,
    pub finance_url: String,
    /// The deadline of every fan-out call, in ms.
    pub call_timeout_ms: u64,
    /// Requests handled at once; more are refused with RESOURCE_EXHAUSTED.
    pub max_in_flight: usize,
}

impl Default for ReportingConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            web_listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_WEB_PORT)),
            intake_url: "http://127.0.0.1:50051".into(),
            employment_url: "http://127.0.0.1:50052".into(),
            beschut_url: "http://127.0.0.1:50053".into(),
            finance_url: "http://127.0.0.1:50054".into(),
            call_timeout_ms: 5000,
            max_in_flight: partnership_platform::serve::DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// Reports are figures: for municipalities, dashboards and the administrator.
pub const POLICY: Policy = Policy { service: SERVICE_NAME, rules: &[figures("GetReport"), figures("ListReports")] };

/// The reporting service: clients of the services it asks.
#[derive(Clone)]
pub struct Reporting {
    config: ReportingConfig,
    intake: peer::IntakeClient,
    employment: peer::EmploymentClient,
    beschut: peer::BeschutClient,
    finance: peer::FinanceClient,
}

impl Reporting {
    /// Clients for the services a report is made from, calling them with `peer_token`.
    pub fn new(config: ReportingConfig, peer_token: &str) -> anyhow::Result<Self> {
        Ok(Self {
            intake: peer::intake(&config.intake_url, peer_token)?,
            employment: peer::employment(&config.employment_url, peer_token)?,
            beschut: peer::beschut(&config.beschut_url, peer_token)?,
            finance: peer::finance(&config.finance_url, peer_token)?,
            config,
        })
    }

    /// The report of year Y through quarter Q for a scope.
    pub async fn report(&self, year: i32, quarter: u32, scope: cpb::Scope, strict: bool) -> Result<pb::Report, ServiceError> {
        let p = ReportPeriod::new(year, quarter)
            .ok_or_else(|| ServiceError::invalid(if (1..=4).contains(&quarter) { "year" } else { "quarter" }, "is out of range"))?;
        // The scope is checked and named while the figures are fetched: a
        // refused scope ends the report (and the fetch with it), and the
        // two calls to intake are not in front of the fan-out.
        let (scope_name, sources) = tokio::try_join!(self.scope_name(&scope, p), async { Ok(self.fetch(&scope, p).await) })?;
        let partnership = scope.level == cpb::ScopeLevel::Partnership as i32;
        let sections = sections::compose(&sources, p, partnership);
        if strict {
            if let Some((section, reason)) = sections.iter().find_map(|s| match &s.content {
                Some(pb::section::Content::Unavailable(u)) => Some((s, u.reason.clone())),
                _ => None,
            }) {
                return Err(ServiceError::Unavailable(format!("section {} ({}) is unavailable: {reason}", section.number, section.title)));
            }
        }
        Ok(pb::Report {
            year,
            quarter: quarter as i32,
            scope: Some(scope),
            scope_name,
            title: p.title(),
            period_end: Some(dates::to_proto(p.end())),
            sections,
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })
    }

    /// Checks the scope with intake and names it. If intake is down the
    /// report goes on (its sections will say so) under the scope's code.
    async fn scope_name(&self, scope: &cpb::Scope, p: ReportPeriod) -> Result<String, ServiceError> {
        let level = cpb::ScopeLevel::try_from(scope.level).unwrap_or(cpb::ScopeLevel::Unspecified);
        if level == cpb::ScopeLevel::Unspecified {
            return Err(ServiceError::invalid("scope.level", "is required: PARTNERSHIP, AREA or MUNICIPALITY"));
        }
        if level == cpb::ScopeLevel::Partnership {
            return Ok("Partnership Noordoost-Brabant".into());
        }
        let deadline = std::time::Duration::from_millis(self.config.call_timeout_ms);
        let check = ipb::ResolveScopeRequest { scope: Some(scope.clone()) };
        match self.intake.clone().resolve_scope(peer::request(check, deadline)).await {
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                return Err(ServiceError::invalid("scope.code", status.message().to_owned()));
            }
            Err(_) => return Ok(scope.code.clone()),
            Ok(_) => {}
        }
        let name = match level {
            cpb::ScopeLevel::Area => {
                let request = ipb::ListAreasRequest { as_of: Some(dates::to_proto(p.end())) };
                let areas = self.intake.clone().list_areas(peer::request(request, deadline)).await.ok().map(|r| r.into_inner().areas);
                areas.and_then(|a| a.into_iter().find(|a| a.code == scope.code).map(|a| a.name))
            }
            _ => {
                let request = ipb::GetMunicipalityRequest { code: scope.code.clone(), as_of: None };
                self.intake.clone().get_municipality(peer::request(request, deadline)).await.ok().map(|m| m.into_inner().name)
            }
        };
        Ok(name.unwrap_or_else(|| scope.code.clone()))
    }

    /// What can be reported: years, and the scopes of today.
    pub async fn available(&self) -> Result<pb::ListReportsResponse, ServiceError> {
        let deadline = std::time::Duration::from_millis(self.config.call_timeout_ms);
        let areas = self
            .intake
            .clone()
            .list_areas(peer::request(ipb::ListAreasRequest { as_of: None }, deadline))
            .await
            .map_err(|s| ServiceError::Unavailable(format!("intake: {}", s.message())))?
            .into_inner()
            .areas;
        let today = dates::today();
        let municipalities = self
            .intake
            .clone()
            .list_municipalities(peer::request(ipb::ListMunicipalitiesRequest { as_of: Some(dates::to_proto(today)) }, deadline))
            .await
            .map_err(|s| ServiceError::Unavailable(format!("intake: {}", s.message())))?
            .into_inner()
            .municipalities;
        let option = |level: cpb::ScopeLevel, code: &str, name: &str| pb::ScopeOption {
            scope: Some(cpb::Scope { level: level as i32, code: code.to_owned() }),
            name: name.to_owned(),
        };
        let mut scopes = vec![option(cpb::ScopeLevel::Partnership, "", "Partnership Noordoost-Brabant")];
        // Areas and municipalities may share a name (Oss, Maashorst): say which.
        scopes.extend(areas.iter().map(|a| option(cpb::ScopeLevel::Area, &a.code, &format!("Gebied {}", a.name))));
        scopes.extend(municipalities.iter().map(|m| option(cpb::ScopeLevel::Municipality, &m.code, &format!("Gemeente {}", m.name))));
        let first = 2021;
        let years = (first..=chrono::Datelike::year(&today)).rev().collect();
        Ok(pb::ListReportsResponse { years, scopes })
    }
}

/// Runs reporting: gRPC on `listener`, the pages on `web_listener`.
pub async fn serve(
    config: &ReportingConfig,
    _data_dir: &Path,
    auth: ServiceAuth,
    listener: TcpListener,
    web_listener: Option<TcpListener>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let reporting = Reporting::new(config.clone(), auth.peer_token()?)?;
    let web = match web_listener {
        Some(listener) => Some(tokio::spawn(web::serve(reporting.clone(), auth.verifier.clone(), listener, shutdown.clone()))),
        None => None,
    };
    let service = ServiceRoutes {
        service_name: SERVICE_NAME,
        file_descriptor_set: partnership_proto::FILE_DESCRIPTOR_SET,
        routes: tonic::service::Routes::new(
            ReportingServiceServer::new(api::ReportingApi::new(reporting)).max_encoding_message_size(peer::MAX_ANSWER_BYTES),
        ),
        policy: POLICY,
        auth,
        // Reports hold figures only: no jurisdictions, nothing to audit.
        jurisdictions: None,
        audit: None,
        max_in_flight: config.max_in_flight,
    };
    let served = partnership_platform::serve::serve(service, listener, shutdown.clone()).await;
    shutdown.cancel();
    if let Some(web) = web {
        let _ = web.await;
    }
    served
}
