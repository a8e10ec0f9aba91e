//! What finance learns from the other services, through their gRPC APIs
//! only: the municipalities and scopes (intake), the pluspakket
//! registrations (intake) and the PW contracts (employment).
//!
//! [`Peers`] is the seam: the service uses [`GrpcPeers`]; store tests use
//! fixed facts. Every outbound call has a deadline and carries the trace
//! context; reads (all of these are) are asked once more when the peer
//! could not take them (`peer::read`). The municipality directory is
//! cached for a few minutes: reference data changes rarely.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use partnership_platform::{ServiceError, dates, peer};
use partnership_proto::common as cpb;
use partnership_proto::employment as epb;
use partnership_proto::intake as ipb;
use rust_decimal::Decimal;
use tokio::sync::RwLock;

use crate::domain::lks::ContractFacts;
use crate::domain::money::parse_decimal;
use crate::domain::municipality::{Directory, Municipality};
use crate::domain::pluspakket::{Participants, Registration, participants};

/// What reports are made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Partnership,
    /// An area (uitvoeringsgebied) by code.
    Area(String),
    /// A municipality by CBS code.
    Municipality(String),
}

/// The other services, as finance sees them.
#[tonic::async_trait]
pub trait Peers: Send + Sync + 'static {
    /// Every municipality of the reference data, with its merger history.
    async fn municipalities(&self) -> Result<Arc<Directory>, ServiceError>;
    /// The municipality codes whose data belongs to a scope (old ones
    /// included in today's).
    async fn resolve_scope(&self, scope: &Scope) -> Result<Vec<String>, ServiceError>;
    /// The PW contracts paid by these municipalities that run on at least
    /// one day from `first` to `last`.
    async fn pw_contracts(
        &self,
        codes: &[String],
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<ContractFacts>, ServiceError>;
    /// The same contracts grouped by the facts LKS is computed from, their
    /// dates cut to `first..=last`, each with how many share it: for
    /// totals, which need no contract one by one. Without a grouping peer,
    /// every contract is its own group.
    async fn pw_contract_groups(
        &self,
        codes: &[String],
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<(ContractFacts, u64)>, ServiceError> {
        Ok(self.pw_contracts(codes, first, last).await?.into_iter().map(|c| (c, 1)).collect())
    }
    /// The pluspakket registrations dated in `year`, of one municipality
    /// (and those it was formed from) or of all.
    async fn pluspakket_registrations(
        &self,
        municipality_code: Option<&str>,
        year: i32,
    ) -> Result<Vec<Registration>, ServiceError>;
    /// The same registrations dated from `first` to `last` (in one year)
    /// counted per municipality and service, in that order: for figures,
    /// which need no person. Without a counting peer, counted from those
    /// listed.
    async fn pluspakket_participants(
        &self,
        municipality_code: Option<&str>,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<Participants>, ServiceError> {
        let listed = self.pluspakket_registrations(municipality_code, first.year()).await?;
        Ok(participants(&listed, first, last).into_iter().map(|(counted, _)| counted).collect())
    }
}

/// How long the municipality directory is kept before asking again.
const DIRECTORY_TTL: Duration = Duration::from_secs(300);

/// The other services over gRPC.
pub struct GrpcPeers {
    intake: peer::IntakeClient,
    employment: peer::EmploymentClient,
    deadline: Duration,
    directory: RwLock<Option<(Instant, Arc<Directory>)>>,
}

impl GrpcPeers {
    /// Clients for the peers at these URLs. Connections are made on first
    /// use, so finance starts whether or not its peers are up yet.
    pub fn new(intake_url: &str, employment_url: &str, peer_token: &str, deadline: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            intake: peer::intake(intake_url, peer_token)?,
            employment: peer::employment(employment_url, peer_token)?,
            deadline,
            directory: RwLock::new(None),
        })
    }

    /// Intake, as finance calls it (for the jurisdictions of the auth layer too).
    pub fn intake(&self) -> peer::IntakeClient {
        self.intake.clone()
    }

    /// A request with the deadline and the current trace context.
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        peer::request(message, self.deadline)
    }

    async fn fetch_directory(&self) -> Result<Directory, ServiceError> {
        let response = read_from("intake", || {
            let request = self.request(ipb::ListMunicipalitiesRequest { as_of: None });
            let mut client = self.intake.clone();
            async move { client.list_municipalities(request).await }
        })
        .await?;
        let municipalities = response
            .municipalities
            .into_iter()
            .map(|m| {
                Ok(Municipality {
                    valid_from: peer_date("intake", "valid_from", m.valid_from.as_ref())?,
                    valid_to: peer_date("intake", "valid_to", m.valid_to.as_ref())?,
                    successor: Some(m.successor_code).filter(|s| !s.is_empty()),
                    code: m.code,
                    name: m.name,
                })
            })
            .collect::<Result<Vec<_>, ServiceError>>()?;
        Ok(Directory::new(municipalities))
    }
}

#[tonic::async_trait]
impl Peers for GrpcPeers {
    async fn municipalities(&self) -> Result<Arc<Directory>, ServiceError> {
        if let Some((fetched, directory)) = self.directory.read().await.as_ref()
            && fetched.elapsed() < DIRECTORY_TTL
        {
            return Ok(directory.clone());
        }
        let directory = Arc::new(self.fetch_directory().await?);
        *self.directory.write().await = Some((Instant::now(), directory.clone()));
        Ok(directory)
    }

    async fn resolve_scope(&self, scope: &Scope) -> Result<Vec<String>, ServiceError> {
        let (level, code) = match scope {
            Scope::Partnership => (cpb::ScopeLevel::Partnership, String::new()),
            Scope::Area(code) => (cpb::ScopeLevel::Area, code.clone()),
            Scope::Municipality(code) => (cpb::ScopeLevel::Municipality, code.clone()),
        };
        let scope = cpb::Scope { level: level as i32, code };
        let response = read_from("intake", || {
            let request = self.request(ipb::ResolveScopeRequest { scope: Some(scope.clone()) });
            let mut client = self.intake.clone();
            async move { client.resolve_scope(request).await }
        })
        .await
        .map_err(|err| match err {
            // Intake refuses an unknown area or municipality code.
            PeerError::Refused(status) => ServiceError::invalid("scope.code", status.message().to_owned()),
            other => other.into(),
        })?;
        Ok(response.municipality_codes)
    }

    async fn pw_contracts(
        &self,
        codes: &[String],
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<ContractFacts>, ServiceError> {
        let mut contracts = Vec::new();
        let mut page_token = String::new();
        loop {
            let message = epb::ListContractsRequest {
                page_size: 1000,
                page_token: page_token.clone(),
                kind: epb::ContractKind::Pw as i32,
                municipality_codes: codes.to_vec(),
                active_from: Some(dates::to_proto(first)),
                active_to: Some(dates::to_proto(last)),
            };
            let page = read_from("employment", || {
                let request = self.request(message.clone());
                let mut client = self.employment.clone();
                async move { client.list_contracts(request).await }
            })
            .await?;
            for contract in page.contracts {
                contracts.push(contract_facts(contract)?);
            }
            if page.next_page_token.is_empty() {
                return Ok(contracts);
            }
            page_token = page.next_page_token;
        }
    }

    async fn pw_contract_groups(
        &self,
        codes: &[String],
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<(ContractFacts, u64)>, ServiceError> {
        let message = epb::GetLksContractGroupsRequest {
            municipality_codes: codes.to_vec(),
            period: Some(epb::Period { first_day: Some(dates::to_proto(first)), last_day: Some(dates::to_proto(last)) }),
        };
        let response = read_from("employment", || {
            let request = self.request(message.clone());
            let mut client = self.employment.clone();
            async move { client.get_lks_contract_groups(request).await }
        })
        .await?;
        response.groups.into_iter().enumerate().map(|(i, g)| group_facts(i, g)).collect()
    }

    async fn pluspakket_registrations(
        &self,
        municipality_code: Option<&str>,
        year: i32,
    ) -> Result<Vec<Registration>, ServiceError> {
        let mut registrations = Vec::new();
        let mut page_token = String::new();
        loop {
            let message = ipb::ListPluspakketRegistrationsRequest {
                page_size: 1000,
                page_token: page_token.clone(),
                municipality_code: municipality_code.unwrap_or_default().to_owned(),
                service_code: String::new(),
                year,
            };
            let page = read_from("intake", || {
                let request = self.request(message.clone());
                let mut client = self.intake.clone();
                async move { client.list_pluspakket_registrations(request).await }
            })
            .await?;
            for r in page.registrations {
                let date =
                    peer_date("intake", "registration_date", r.registration_date.as_ref())?.ok_or_else(|| {
                        ServiceError::Internal(format!("intake sent registration {} without a date", r.id))
                    })?;
                registrations.push(Registration {
                    id: r.id,
                    municipality_code: r.municipality_code,
                    service_code: r.service_code,
                    date,
                });
            }
            if page.next_page_token.is_empty() {
                return Ok(registrations);
            }
            page_token = page.next_page_token;
        }
    }

    async fn pluspakket_participants(
        &self,
        municipality_code: Option<&str>,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<Participants>, ServiceError> {
        let message = ipb::CountPluspakketRegistrationsRequest {
            municipality_code: municipality_code.unwrap_or_default().to_owned(),
            first_day: Some(dates::to_proto(first)),
            last_day: Some(dates::to_proto(last)),
        };
        let counted = read_from("intake", || {
            let request = self.request(message.clone());
            let mut client = self.intake.clone();
            async move { client.count_pluspakket_registrations(request).await }
        })
        .await?;
        counted
            .counts
            .into_iter()
            .map(|c| {
                let registrations = u64::try_from(c.registrations).map_err(|_| {
                    ServiceError::Internal(format!("intake counted {} pluspakket registrations", c.registrations))
                })?;
                Ok(Participants {
                    municipality_code: c.municipality_code,
                    service_code: c.service_code,
                    year: first.year(),
                    registrations,
                })
            })
            .collect()
    }
}

/// How a call to a peer failed.
enum PeerError {
    /// The peer could not answer (down, deadline, overloaded): UNAVAILABLE.
    Unavailable(String),
    /// The peer refused the request itself.
    Refused(tonic::Status),
}

impl From<PeerError> for ServiceError {
    fn from(err: PeerError) -> Self {
        match err {
            PeerError::Unavailable(detail) => ServiceError::Unavailable(detail),
            PeerError::Refused(status) => ServiceError::Internal(format!(
                "a peer refused finance's request: {}: {}",
                status.code(),
                status.message()
            )),
        }
    }
}

/// A read from a peer ([`peer::read`]: asked once more if the peer could
/// not take it), its failure told apart: the peer down, slow, busy or
/// unable to answer is UNAVAILABLE (finance cannot answer now either); a
/// request the peer refused is finance's own fault.
async fn read_from<T, F, Fut>(peer_name: &str, call: F) -> Result<T, PeerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    match peer::read(call).await.0 {
        Ok(answer) => Ok(answer),
        Err(status) if peer::is_transient(&status) || cannot_answer(&status) => {
            Err(PeerError::Unavailable(format!("{peer_name}: {:?}: {}", status.code(), status.message())))
        }
        Err(status) => Err(PeerError::Refused(status)),
    }
}

/// Not worth retrying, but not the request's fault either: the peer does
/// not serve this API (yet), failed inside, or answered more than finance
/// takes (tonic's OUT_OF_RANGE past `peer::MAX_ANSWER_BYTES`).
fn cannot_answer(status: &tonic::Status) -> bool {
    use tonic::Code::*;
    matches!(status.code(), Unimplemented | Internal | OutOfRange)
}

fn peer_date(
    peer: &str,
    field: &str,
    date: Option<&partnership_proto::google::r#type::Date>,
) -> Result<Option<NaiveDate>, ServiceError> {
    dates::optional(field, date).map_err(|e| ServiceError::Internal(format!("{peer} sent a bad {field}: {e}")))
}

/// The facts of a contract as employment lists it.
fn contract_facts(c: epb::Contract) -> Result<ContractFacts, ServiceError> {
    let bad = |field: &str, why: String| {
        ServiceError::precondition(
            "municipality_code",
            format!("employment/contracts/{}", c.hr_contract_id),
            format!("employment's contract {} has a bad {field}: {why}", c.hr_contract_id),
        )
    };
    let start = peer_date("employment", "start_date", c.start_date.as_ref())?
        .ok_or_else(|| bad("start_date", "unset".into()))?;
    let end = peer_date("employment", "end_date", c.end_date.as_ref())?;
    let decimal =
        |field: &str, d: Option<&partnership_proto::google::r#type::Decimal>| -> Result<Decimal, ServiceError> {
            let text = d.map(|d| d.value.as_str()).unwrap_or_default();
            parse_decimal(field, text).map_err(|e| bad(field, e.to_string()))
        };
    let hours_per_week = decimal("hours_per_week", c.hours_per_week.as_ref())?;
    let pw = c.pw.clone().unwrap_or_default();
    let (initial_loonwaarde, measurements) = loonwaarde_facts(pw.loonwaarde, &c.loonwaarde_measurements, &bad)?;
    let paying = if pw.paying_municipality_code.is_empty() {
        c.municipality_code.clone()
    } else {
        pw.paying_municipality_code.clone()
    };
    Ok(ContractFacts {
        contract_id: c.hr_contract_id.clone(),
        candidate_id: c.candidate_id.clone(),
        paying_municipality_code: paying,
        start,
        end,
        hours_per_week,
        beschut: pw.doelgroep == epb::Doelgroep::NieuwBeschut as i32,
        initial_loonwaarde,
        measurements,
    })
}

/// The loonwaarde at the start (`None`: forfaitair) and the measurements,
/// as employment sends them; `bad` names what is wrong.
fn loonwaarde_facts(
    at_start: Option<epb::Loonwaarde>,
    sent: &[epb::LoonwaardeMeasurement],
    bad: impl Fn(&str, String) -> ServiceError,
) -> Result<(Option<Decimal>, Vec<(NaiveDate, Decimal)>), ServiceError> {
    let decimal = |field: &str, d: Option<&partnership_proto::google::r#type::Decimal>| {
        let text = d.map(|d| d.value.as_str()).unwrap_or_default();
        parse_decimal(field, text).map_err(|e| bad(field, e.to_string()))
    };
    let initial = match at_start.and_then(|l| l.value) {
        Some(epb::loonwaarde::Value::MeasuredPercent(p)) => Some(decimal("pw.loonwaarde", Some(&p))?),
        Some(epb::loonwaarde::Value::Forfaitair(_)) | None => None,
    };
    let mut measurements = Vec::with_capacity(sent.len());
    for m in sent {
        let date = peer_date("employment", "loonwaarde_measurements.effective_date", m.effective_date.as_ref())?
            .ok_or_else(|| bad("loonwaarde_measurements.effective_date", "unset".into()))?;
        measurements.push((date, decimal("loonwaarde_measurements.measured_percent", m.measured_percent.as_ref())?));
    }
    Ok((initial, measurements))
}

/// The facts of the `i`th group employment sends, and its size.
fn group_facts(i: usize, g: epb::LksContractGroup) -> Result<(ContractFacts, u64), ServiceError> {
    let label = format!("group-{i}");
    let bad = |field: &str, why: String| {
        ServiceError::precondition(
            "municipality_code",
            format!("employment/lks-contract-groups/{i}"),
            format!("employment's LKS contract group {i} has a bad {field}: {why}"),
        )
    };
    let first = peer_date("employment", "first_day", g.first_day.as_ref())?.ok_or_else(|| bad("first_day", "unset".into()))?;
    let last = peer_date("employment", "last_day", g.last_day.as_ref())?.ok_or_else(|| bad("last_day", "unset".into()))?;
    let hours = g.hours_per_week.as_ref().map(|d| d.value.as_str()).unwrap_or_default();
    let hours_per_week = parse_decimal("hours_per_week", hours).map_err(|e| bad("hours_per_week", e.to_string()))?;
    let (initial_loonwaarde, measurements) = loonwaarde_facts(g.loonwaarde, &g.loonwaarde_measurements, &bad)?;
    let contracts = u64::try_from(g.contracts).ok().filter(|n| *n > 0).ok_or_else(|| bad("contracts", format!("{} is not a count", g.contracts)))?;
    let facts = ContractFacts {
        contract_id: label,
        candidate_id: String::new(),
        paying_municipality_code: g.paying_municipality_code,
        start: first,
        end: Some(last),
        hours_per_week,
        beschut: g.doelgroep == epb::Doelgroep::NieuwBeschut as i32,
        initial_loonwaarde,
        measurements,
    };
    Ok((facts, contracts))
}

/// Fixed facts instead of live peers: for tests, and for running finance
/// on its own with known data.
#[derive(Debug, Default)]
pub struct FixedPeers {
    pub directory: Directory,
    /// (scope, codes) answers for `resolve_scope`.
    pub scopes: Vec<(Scope, Vec<String>)>,
    pub contracts: std::sync::Mutex<Vec<ContractFacts>>,
    pub registrations: std::sync::Mutex<Vec<Registration>>,
}

#[tonic::async_trait]
impl Peers for FixedPeers {
    async fn municipalities(&self) -> Result<Arc<Directory>, ServiceError> {
        Ok(Arc::new(self.directory.clone()))
    }

    async fn resolve_scope(&self, scope: &Scope) -> Result<Vec<String>, ServiceError> {
        if let Some((_, codes)) = self.scopes.iter().find(|(s, _)| s == scope) {
            return Ok(codes.clone());
        }
        match scope {
            Scope::Municipality(code) if self.directory.get(code).is_some() => Ok(self.directory.formed_from(code)),
            Scope::Partnership => Ok(self.directory.all_codes()),
            _ => Err(ServiceError::invalid("scope.code", "unknown")),
        }
    }

    async fn pw_contracts(
        &self,
        codes: &[String],
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<ContractFacts>, ServiceError> {
        let contracts = self.contracts.lock().map_err(|_| ServiceError::Internal("poisoned".into()))?;
        Ok(contracts
            .iter()
            .filter(|c| codes.contains(&c.paying_municipality_code))
            .filter(|c| c.start <= last && c.end.is_none_or(|end| first <= end))
            .cloned()
            .collect())
    }

    async fn pluspakket_registrations(
        &self,
        municipality_code: Option<&str>,
        year: i32,
    ) -> Result<Vec<Registration>, ServiceError> {
        let codes = municipality_code.map(|code| self.directory.formed_from(code));
        let registrations = self.registrations.lock().map_err(|_| ServiceError::Internal("poisoned".into()))?;
        Ok(registrations
            .iter()
            .filter(|r| chrono::Datelike::year(&r.date) == year)
            .filter(|r| codes.as_ref().is_none_or(|codes| codes.contains(&r.municipality_code)))
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn failing(status: tonic::Status) -> (ServiceError, usize) {
        let mut calls = 0;
        let err = read_from("employment", || {
            calls += 1;
            std::future::ready(Err::<tonic::Response<()>, _>(status.clone()))
        })
        .await
        .err()
        .expect("fails");
        (err.into(), calls)
    }

    #[tokio::test]
    async fn a_peer_that_cannot_answer_is_unavailable_with_the_reason() {
        let too_large = tonic::Status::out_of_range("Error, decoded message length too large: found 5000000 bytes");
        let (err, calls) = failing(too_large).await;
        assert_eq!(calls, 1, "not retried");
        assert!(matches!(&err, ServiceError::Unavailable(why) if why.contains("employment") && why.contains("too large")), "{err:?}");
        let (err, calls) = failing(tonic::Status::unavailable("down")).await;
        assert_eq!(calls, 2, "retried once");
        assert!(matches!(err, ServiceError::Unavailable(_)), "{err:?}");
        let (err, calls) = failing(tonic::Status::deadline_exceeded("slow")).await;
        assert_eq!(calls, 1, "a slow peer is not waited for twice");
        assert!(matches!(err, ServiceError::Unavailable(_)), "{err:?}");
        let (err, _) = failing(tonic::Status::invalid_argument("scope: bad")).await;
        assert!(matches!(err, ServiceError::Internal(_)), "a refused request is finance's fault: {err:?}");
    }
}
