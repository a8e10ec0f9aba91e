//! The gRPC face of intake: decodes requests into domain types (collecting
//! every bad field), calls the operations, encodes the answers. No rules
//! live here beyond "which field is required".

use std::pin::Pin;

use chrono::{DateTime, Datelike, NaiveDate};
use futures::Stream;
use partnership_platform::auth::Caller;
use partnership_platform::fields::{self, next_page, optional, required, request_id, text};
use partnership_platform::{ServiceError, Violations, dates};
use partnership_proto::common as cpb;
use partnership_proto::intake as pb;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::Intake;
use crate::candidates::NewCandidate;
use crate::domain::bsn::Bsn;
use crate::domain::cohort::{Breakdown, Share};
use crate::domain::reference::{Area, Municipality, Scope};
use crate::domain::registration::{RegistrationKind, VoortrajectKind};
use crate::domain::status::{RegistrationStatus, StatusChange, StatusGroup, TerugmeldingReason};
use crate::import::{ImportOutcome, ImportedRegistration, MAX_BATCH};
use crate::pluspakket::NewPluspakket;
use crate::registrations::{Correction, EmploymentOutcome, NewRegistration, NewStatus, RegistrationView};
use crate::store::{CandidateRow, EntryRow, PluspakketFilter, PluspakketRow, RegistrationFilter};

/// Page size when a list request leaves it unset (at most
/// `fields::MAX_PAGE_SIZE`).
pub const DEFAULT_PAGE_SIZE: i64 = 50;

/// The most BSNs one BatchResolveCandidates may carry.
pub const MAX_RESOLVE: usize = 10_000;

/// The largest request message accepted (an import batch at its maximum
/// fits with room to spare).
pub const MAX_REQUEST_BYTES: usize = 4 << 20;

pub struct IntakeApi {
    intake: Intake,
}

impl IntakeApi {
    pub fn new(intake: Intake) -> Self {
        Self { intake }
    }

    /// A municipality may only name its own residents: another's candidate
    /// is NOT_FOUND, as if absent. (Other callers are not narrowed.)
    async fn check_candidate(&self, caller: &Caller, candidate_id: &str) -> Result<(), ServiceError> {
        if caller.jurisdiction.is_some() {
            let candidate = self.intake.candidate(candidate_id).await?;
            caller.check_visible(&candidate.municipality_code, "candidate", candidate_id)?;
        }
        caller.touched(candidate_id);
        Ok(())
    }

    /// A municipality names only itself (or a municipality merged into it).
    /// A code nobody knows is left to the operation, which refuses it as
    /// INVALID_ARGUMENT like for any caller.
    fn check_acts_for(&self, caller: &Caller, municipality_code: &str) -> Result<(), ServiceError> {
        if self.intake.reference.municipality(municipality_code).is_err() {
            return Ok(());
        }
        caller.check_acts_for("municipality_code", municipality_code)
    }

    /// The registration, if the caller may see it (NOT_FOUND otherwise).
    async fn visible_registration(&self, caller: &Caller, id: &str) -> Result<RegistrationView, ServiceError> {
        let registration = self.intake.registration(id).await?;
        caller.check_visible(&registration.row.municipality_code, "registration", id)?;
        caller.touched(&registration.row.candidate_id);
        Ok(registration)
    }
}

type ApiResult<T> = Result<Response<T>, Status>;

fn reply<T>(result: Result<T, ServiceError>) -> ApiResult<T> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl pb::intake_service_server::IntakeService for IntakeApi {
    async fn get_municipality(&self, request: Request<pb::GetMunicipalityRequest>) -> ApiResult<pb::Municipality> {
        let req = request.into_inner();
        reply((|| {
            let as_of = dates::optional("as_of", req.as_of.as_ref())?;
            let reference = &self.intake.reference;
            let m = match as_of {
                Some(date) => reference.municipality_on(&req.code, date),
                None => reference.municipality(&req.code),
            }
            .map_err(|e| match as_of {
                Some(_) if reference.municipality(&req.code).is_ok() => {
                    ServiceError::precondition("as_of", format!("municipalities/{}", req.code), e.to_string())
                }
                _ => ServiceError::invalid("code", e.to_string()),
            })?;
            Ok(municipality_to_proto(&self.intake, m, as_of))
        })())
    }

    async fn list_municipalities(
        &self,
        request: Request<pb::ListMunicipalitiesRequest>,
    ) -> ApiResult<pb::ListMunicipalitiesResponse> {
        let req = request.into_inner();
        reply((|| {
            let as_of = dates::optional("as_of", req.as_of.as_ref())?;
            let reference = &self.intake.reference;
            let list: Vec<&Municipality> = match as_of {
                Some(date) => reference.municipalities_on(date),
                None => reference.municipalities.iter().collect(),
            };
            let municipalities = list.into_iter().map(|m| municipality_to_proto(&self.intake, m, as_of)).collect();
            Ok(pb::ListMunicipalitiesResponse { municipalities })
        })())
    }

    async fn list_areas(&self, request: Request<pb::ListAreasRequest>) -> ApiResult<pb::ListAreasResponse> {
        let req = request.into_inner();
        reply((|| {
            let date = dates::optional("as_of", req.as_of.as_ref())?.unwrap_or_else(dates::today);
            let areas = self.intake.reference.areas.iter().map(|a| area_to_proto(&self.intake, a, date)).collect();
            Ok(pb::ListAreasResponse { areas })
        })())
    }

    async fn create_candidate(&self, request: Request<pb::CreateCandidateRequest>) -> ApiResult<pb::Candidate> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let bsn = v.check(bsn("bsn", &req.bsn));
        let birth_date = v.check(dates::required_past("birth_date", req.birth_date.as_ref()));
        let municipality = v.check(required("municipality_code", &req.municipality_code));
        v.finish()?;
        let (Some(bsn), Some(birth_date), Some(municipality_code)) = (bsn, birth_date, municipality) else {
            unreachable!("checked by finish")
        };
        self.check_acts_for(&caller, &municipality_code)?;
        let new = NewCandidate { request_id: request_id(&req.request_id)?, bsn, birth_date, municipality_code };
        let candidate = self.intake.create_candidate(new).await?;
        caller.touched(&candidate.id);
        Ok(Response::new(candidate_to_proto(&candidate)))
    }

    async fn get_candidate(&self, request: Request<pb::GetCandidateRequest>) -> ApiResult<pb::Candidate> {
        let caller = Caller::of(&request)?;
        let id = required("id", &request.into_inner().id)?;
        let candidate = self.intake.candidate(&id).await?;
        caller.check_visible(&candidate.municipality_code, "candidate", &id)?;
        caller.touched(&candidate.id);
        Ok(Response::new(candidate_to_proto(&candidate)))
    }

    async fn resolve_candidate(&self, request: Request<pb::ResolveCandidateRequest>) -> ApiResult<pb::Candidate> {
        let caller = Caller::of(&request)?;
        let bsn = bsn("bsn", &request.into_inner().bsn)?;
        let candidate = self.intake.resolve_candidate(&bsn).await?;
        // The same answer as for an unknown BSN: the BSN is not echoed.
        caller.check_visible(&candidate.municipality_code, "candidate with this BSN", "")?;
        caller.touched(&candidate.id);
        Ok(Response::new(candidate_to_proto(&candidate)))
    }

    async fn batch_resolve_candidates(
        &self,
        request: Request<pb::BatchResolveCandidatesRequest>,
    ) -> ApiResult<pb::BatchResolveCandidatesResponse> {
        let caller = Caller::of(&request)?;
        let bsns = request.into_inner().bsns;
        if bsns.len() > MAX_RESOLVE {
            return Err(ServiceError::invalid("bsns", format!("at most {MAX_RESOLVE} per request")).into());
        }
        let parsed: Vec<Result<Bsn, String>> =
            bsns.iter().map(|b| Bsn::parse(b).map_err(|e| e.to_string())).collect();
        let valid: Vec<Bsn> = parsed.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
        let mut ids = self.intake.resolve_candidates(&valid).await?.into_iter();
        let resolutions = bsns
            .into_iter()
            .zip(parsed)
            .map(|(bsn, parsed)| {
                let (candidate_id, problem) = match parsed {
                    Err(problem) => (String::new(), problem),
                    Ok(_) => match ids.next().flatten() {
                        Some(id) => (id, String::new()),
                        None => (String::new(), "unknown".to_owned()),
                    },
                };
                pb::CandidateResolution { bsn, candidate_id, problem }
            })
            .collect::<Vec<_>>();
        caller.touched_all(resolutions.iter().map(|r| r.candidate_id.as_str()).filter(|id| !id.is_empty()));
        Ok(Response::new(pb::BatchResolveCandidatesResponse { resolutions }))
    }

    async fn resolve_scope(&self, request: Request<pb::ResolveScopeRequest>) -> ApiResult<pb::ResolvedScope> {
        let req = request.into_inner();
        let scope = scope_from_proto("scope", req.scope.as_ref())?;
        let codes = self.intake.reference.codes_in_scope(&scope).map_err(|e| ServiceError::invalid("scope.code", e.to_string()))?;
        Ok(Response::new(pb::ResolvedScope { scope: req.scope, municipality_codes: codes }))
    }

    async fn record_employment_outcome(
        &self,
        request: Request<pb::RecordEmploymentOutcomeRequest>,
    ) -> ApiResult<pb::RecordEmploymentOutcomeResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let request_id = v.check(required("request_id", &req.request_id));
        let candidate_id = v.check(required("candidate_id", &req.candidate_id));
        let date = v.check(dates::required_past("effective_date", req.effective_date.as_ref()));
        v.finish()?;
        let (Some(request_id), Some(candidate_id), Some(date)) = (request_id, candidate_id, date) else {
            unreachable!("checked by finish")
        };
        caller.touched(&candidate_id);
        let outcome = self.intake.record_employment_outcome(&request_id, &candidate_id, date).await?;
        Ok(Response::new(match outcome {
            EmploymentOutcome::Applied { registration_id } => {
                pb::RecordEmploymentOutcomeResponse { applied: true, registration_id, detail: String::new() }
            }
            EmploymentOutcome::NotApplied(detail) => {
                pb::RecordEmploymentOutcomeResponse { applied: false, registration_id: String::new(), detail }
            }
        }))
    }

    async fn create_registration(&self, request: Request<pb::CreateRegistrationRequest>) -> ApiResult<pb::Registration> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let candidate_id = v.check(required("candidate_id", &req.candidate_id));
        let municipality = v.check(required("municipality_code", &req.municipality_code));
        let kind = v.check(kind_from_proto("kind", req.kind));
        let voortraject = v.check(voortraject_from_proto("voortraject_kind", req.voortraject_kind));
        let date = v.check(dates::required_past("registration_date", req.registration_date.as_ref()));
        v.finish()?;
        let (Some(candidate_id), Some(municipality_code), Some(kind), Some(voortraject_kind), Some(registration_date)) =
            (candidate_id, municipality, kind, voortraject, date)
        else {
            unreachable!("checked by finish")
        };
        self.check_acts_for(&caller, &municipality_code)?;
        self.check_candidate(&caller, &candidate_id).await?;
        let new = NewRegistration {
            request_id: request_id(&req.request_id)?,
            candidate_id,
            municipality_code,
            kind,
            voortraject_kind,
            registration_date,
        };
        reply(self.intake.create_registration(new, Some(&caller)).await.map(|r| registration_to_proto(&r)))
    }

    async fn get_registration(&self, request: Request<pb::GetRegistrationRequest>) -> ApiResult<pb::Registration> {
        let caller = Caller::of(&request)?;
        let id = required("id", &request.into_inner().id)?;
        reply(self.visible_registration(&caller, &id).await.map(|r| registration_to_proto(&r)))
    }

    async fn list_registrations(
        &self,
        request: Request<pb::ListRegistrationsRequest>,
    ) -> ApiResult<pb::ListRegistrationsResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let limit = v.check(page_size(req.page_size));
        let after = v.check(page_token(&req.page_token));
        let codes = v.check(municipality_filter(&self.intake, "municipality_code", &req.municipality_code));
        let years = v.check(year_filter("cohort_year", req.cohort_year));
        let status = v.check(optional_status("status", req.status));
        let as_of = v.check(dates::optional("status_as_of", req.status_as_of.as_ref()));
        v.finish()?;
        let (Some(limit), Some(after), Some(codes), Some(years), Some(status), Some(as_of)) =
            (limit, after, codes, years, status, as_of)
        else {
            unreachable!("checked by finish")
        };
        let filter = RegistrationFilter {
            municipality_codes: caller.narrow("municipality_code", codes)?,
            registered_from: years.map(|y| y.0),
            registered_to: years.map(|y| y.1),
            status_on: status.map(|s| (s, as_of.unwrap_or_else(dates::today))),
            candidate_id: optional(&req.candidate_id),
            after,
        };
        let mut found = self.intake.list_registrations(&filter, limit + 1).await?;
        let next_page_token = next_token(&mut found, limit, |r| (r.row.registration_date, r.row.id.clone()));
        caller.touched_all(found.iter().map(|r| r.row.candidate_id.as_str()));
        let registrations = found.iter().map(registration_to_proto).collect();
        Ok(Response::new(pb::ListRegistrationsResponse { registrations, next_page_token }))
    }

    async fn change_registration_status(
        &self,
        request: Request<pb::ChangeRegistrationStatusRequest>,
    ) -> ApiResult<pb::Registration> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(required("registration_id", &req.registration_id));
        let status = v.check(status_from_proto("status", req.status));
        let date = v.check(dates::required_past("effective_date", req.effective_date.as_ref()));
        let reason = v.check(reason_from_proto("terugmelding_reason", req.terugmelding_reason));
        v.finish()?;
        let (Some(registration_id), Some(status), Some(effective_date), Some(reason)) = (id, status, date, reason) else {
            unreachable!("checked by finish")
        };
        self.visible_registration(&caller, &registration_id).await?;
        let new = NewStatus {
            request_id: request_id(&req.request_id)?,
            registration_id,
            change: StatusChange { status, effective_date, reason },
            note: text("note", &req.note)?,
        };
        reply(self.intake.change_status(new).await.map(|r| registration_to_proto(&r)))
    }

    async fn correct_registration_status(
        &self,
        request: Request<pb::CorrectRegistrationStatusRequest>,
    ) -> ApiResult<pb::Registration> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(required("registration_id", &req.registration_id));
        if req.sequence < 1 {
            v.add("sequence", "is required: the sequence of the entry to correct");
        }
        let date = v.check(dates::required_past("effective_date", req.effective_date.as_ref()));
        let status = v.check(optional_status("status", req.status));
        let reason = v.check(reason_from_proto("terugmelding_reason", req.terugmelding_reason));
        let why = v.check(required("correction_reason", &req.correction_reason));
        v.finish()?;
        let (Some(registration_id), Some(effective_date), Some(status), Some(reason), Some(correction_reason)) =
            (id, date, status, reason, why)
        else {
            unreachable!("checked by finish")
        };
        self.visible_registration(&caller, &registration_id).await?;
        let correction = Correction {
            registration_id,
            seq: i64::from(req.sequence),
            effective_date,
            status,
            reason,
            correction_reason,
        };
        reply(self.intake.correct_status(correction).await.map(|r| registration_to_proto(&r)))
    }

    type ImportRegistrationsStream =
        Pin<Box<dyn Stream<Item = Result<pb::ImportRegistrationsResponse, Status>> + Send + 'static>>;

    async fn import_registrations(
        &self,
        request: Request<Streaming<pb::ImportRegistrationsRequest>>,
    ) -> ApiResult<Self::ImportRegistrationsStream> {
        let caller = Caller::of(&request)?;
        let mut inbound = request.into_inner();
        let intake = self.intake.clone();
        let (answers, rx) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            while let Some(batch) = inbound.next().await {
                let answer = match batch {
                    Ok(batch) => import_audited(&intake, &caller, batch).await.map_err(Status::from),
                    Err(status) => Err(status),
                };
                let failed = answer.is_err();
                if answers.send(answer).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn create_pluspakket_registration(
        &self,
        request: Request<pb::CreatePluspakketRegistrationRequest>,
    ) -> ApiResult<pb::PluspakketRegistration> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let candidate_id = v.check(required("candidate_id", &req.candidate_id));
        let municipality = v.check(required("municipality_code", &req.municipality_code));
        let service = v.check(required("service_code", &req.service_code));
        let date = v.check(dates::required_past("registration_date", req.registration_date.as_ref()));
        v.finish()?;
        let (Some(candidate_id), Some(municipality_code), Some(service_code), Some(registration_date)) =
            (candidate_id, municipality, service, date)
        else {
            unreachable!("checked by finish")
        };
        self.check_acts_for(&caller, &municipality_code)?;
        self.check_candidate(&caller, &candidate_id).await?;
        let new = NewPluspakket {
            request_id: request_id(&req.request_id)?,
            candidate_id,
            municipality_code,
            service_code,
            registration_date,
        };
        reply(self.intake.create_pluspakket(new).await.map(|p| pluspakket_to_proto(&p)))
    }

    async fn list_pluspakket_registrations(
        &self,
        request: Request<pb::ListPluspakketRegistrationsRequest>,
    ) -> ApiResult<pb::ListPluspakketRegistrationsResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let limit = v.check(page_size(req.page_size));
        let after = v.check(page_token(&req.page_token));
        let codes = v.check(municipality_filter(&self.intake, "municipality_code", &req.municipality_code));
        let years = v.check(year_filter("year", req.year));
        v.finish()?;
        let (Some(limit), Some(after), Some(codes), Some(years)) = (limit, after, codes, years) else {
            unreachable!("checked by finish")
        };
        let filter = PluspakketFilter {
            municipality_codes: caller.narrow("municipality_code", codes)?,
            service_code: optional(&req.service_code),
            registered_from: years.map(|y| y.0),
            registered_to: years.map(|y| y.1),
            after,
        };
        let mut found = self.intake.list_pluspakket(&filter, limit + 1).await?;
        let next_page_token = next_token(&mut found, limit, |p| (p.registration_date, p.id.clone()));
        caller.touched_all(found.iter().map(|p| p.candidate_id.as_str()));
        let registrations = found.iter().map(pluspakket_to_proto).collect();
        Ok(Response::new(pb::ListPluspakketRegistrationsResponse { registrations, next_page_token }))
    }

    async fn get_cohort_figures(&self, request: Request<pb::GetCohortFiguresRequest>) -> ApiResult<pb::CohortFigures> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let scope = v.check(scope_from_proto("scope", req.scope.as_ref()));
        let year = v.check(year_filter("cohort_year", req.cohort_year));
        let as_of = v.check(dates::required("as_of", req.as_of.as_ref()));
        if req.cohort_year == 0 {
            v.add("cohort_year", "is required");
        }
        v.finish()?;
        let (Some(scope), Some(_), Some(as_of)) = (scope, year, as_of) else { unreachable!("checked by finish") };
        let figures = self.intake.cohort_figures(&scope, req.cohort_year, as_of).await?;
        Ok(Response::new(pb::CohortFigures {
            scope: req.scope,
            cohort_year: req.cohort_year,
            as_of: Some(dates::to_proto(as_of)),
            all: Some(breakdown_to_proto(&figures.all)),
            youth: Some(breakdown_to_proto(&figures.youth)),
            youth_share: Some(share(figures.youth_share)),
        }))
    }

    async fn get_area_registration_counts(
        &self,
        request: Request<pb::GetAreaRegistrationCountsRequest>,
    ) -> ApiResult<pb::AreaRegistrationCounts> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let scope = v.check(scope_from_proto("scope", req.scope.as_ref()));
        let as_of = v.check(dates::optional("as_of", req.as_of.as_ref()));
        for (field, year) in [("from_year", req.from_year), ("to_year", req.to_year)] {
            if year == 0 {
                v.add(field, "is required");
            }
        }
        v.finish()?;
        let (Some(scope), Some(as_of)) = (scope, as_of) else { unreachable!("checked by finish") };
        let as_of = as_of.unwrap_or_else(dates::today);
        let areas = self.intake.area_counts(&scope, req.from_year, req.to_year, as_of).await?;
        let mut totals: Vec<pb::YearCount> =
            (req.from_year..=req.to_year).map(|year| pb::YearCount { year, count: 0, youth: 0 }).collect();
        let areas = areas
            .into_iter()
            .map(|area| {
                for (total, &(_, count, youth)) in totals.iter_mut().zip(&area.years) {
                    total.count += count as i64;
                    total.youth += youth as i64;
                }
                let name = self.intake.reference.area(&area.area_code).map(|a| a.name_on(dates::today()).to_owned());
                pb::AreaYearCounts {
                    area_name: name.unwrap_or_default(),
                    area_code: area.area_code,
                    years: area
                        .years
                        .into_iter()
                        .map(|(year, count, youth)| pb::YearCount { year, count: count as i64, youth: youth as i64 })
                        .collect(),
                }
            })
            .collect();
        Ok(Response::new(pb::AreaRegistrationCounts { scope: req.scope, areas, totals }))
    }

    async fn count_pluspakket_registrations(
        &self,
        request: Request<pb::CountPluspakketRegistrationsRequest>,
    ) -> ApiResult<pb::PluspakketRegistrationCounts> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let codes = v.check(municipality_filter(&self.intake, "municipality_code", &req.municipality_code));
        let first = v.check(dates::required("first_day", req.first_day.as_ref()));
        let last = v.check(dates::required("last_day", req.last_day.as_ref()));
        if let (Some(first), Some(last)) = (first, last) {
            if last < first {
                v.add("last_day", "is before first_day");
            } else if last.year() != first.year() {
                v.add("last_day", "is not in the year of first_day (a price is per participant per year)");
            }
        }
        v.finish()?;
        let (Some(codes), Some(first), Some(last)) = (codes, first, last) else { unreachable!("checked by finish") };
        let counts = self.intake.count_pluspakket(codes.as_deref(), first, last).await?;
        Ok(Response::new(pb::PluspakketRegistrationCounts {
            counts: counts
                .into_iter()
                .map(|(municipality_code, service_code, n)| pb::PluspakketRegistrationCount {
                    municipality_code,
                    service_code,
                    registrations: n as i64,
                })
                .collect(),
        }))
    }
}

// ------------------------------------------------------------------ import

/// One batch, for a caller: a municipality imports only its own residents,
/// and every batch is written to the audit log before it is answered.
async fn import_audited(
    intake: &Intake,
    caller: &Caller,
    batch: pb::ImportRegistrationsRequest,
) -> Result<pb::ImportRegistrationsResponse, ServiceError> {
    let started = chrono::Utc::now();
    let foreign: Vec<pb::ImportError> = batch
        .registrations
        .iter()
        .enumerate()
        .filter(|(_, item)| !caller.may_see(item.municipality_code.trim()))
        .map(|(index, item)| pb::ImportError {
            index: index as i32,
            field: format!("registrations[{index}].municipality_code"),
            description: format!("{} may not import residents of {}", caller.principal.subject(), item.municipality_code),
        })
        .collect();
    let (answer, subjects) = if foreign.is_empty() {
        import_batch(intake, batch).await?
    } else {
        (refused_batch(batch.request_id, foreign), Vec::new())
    };
    let code = if answer.imported { 0 } else { tonic::Code::InvalidArgument as i32 };
    caller.audit_batch(subjects, code, started).await?;
    Ok(answer)
}

fn refused_batch(request_id: String, errors: Vec<pb::ImportError>) -> pb::ImportRegistrationsResponse {
    pb::ImportRegistrationsResponse { request_id, imported: false, registration_ids: Vec::new(), errors, already_imported: false }
}

/// Imports one batch; the answer, and the candidates it touched.
async fn import_batch(
    intake: &Intake,
    batch: pb::ImportRegistrationsRequest,
) -> Result<(pb::ImportRegistrationsResponse, Vec<String>), ServiceError> {
    let refused = |request_id, errors| (refused_batch(request_id, errors), Vec::new());
    let batch_error = |field: &str, description: String| pb::ImportError { index: -1, field: field.into(), description };
    if let Err(e) = required("request_id", &batch.request_id) {
        let why = e.violations().first().map(|v| v.description.clone()).unwrap_or_default();
        return Ok(refused(batch.request_id, vec![batch_error("request_id", why)]));
    }
    if batch.registrations.len() > MAX_BATCH {
        let why = format!("holds {} registrations; at most {MAX_BATCH} per batch", batch.registrations.len());
        return Ok(refused(batch.request_id, vec![batch_error("registrations", why)]));
    }
    let mut v = Violations::new();
    let items: Vec<Option<ImportedRegistration>> = batch
        .registrations
        .iter()
        .enumerate()
        .map(|(index, item)| decode_imported(&format!("registrations[{index}]."), item, &mut v))
        .collect();
    let outcome = if v.is_empty() {
        intake.import_batch(&batch.request_id, items.into_iter().flatten().collect()).await?
    } else {
        ImportOutcome::Refused(v.into_vec())
    };
    Ok(match outcome {
        ImportOutcome::Imported { registration_ids, already_imported, candidate_ids } => (
            pb::ImportRegistrationsResponse {
                request_id: batch.request_id,
                imported: true,
                registration_ids,
                errors: Vec::new(),
                already_imported,
            },
            candidate_ids,
        ),
        ImportOutcome::Refused(violations) => {
            let errors = violations
                .into_iter()
                .map(|v| pb::ImportError { index: index_of(&v.field), field: v.field, description: v.description })
                .collect();
            refused(batch.request_id, errors)
        }
    })
}

/// The registration index in a field path like `registrations[3].bsn`.
fn index_of(field: &str) -> i32 {
    field
        .strip_prefix("registrations[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(-1)
}

fn decode_imported(prefix: &str, item: &pb::ImportedRegistration, v: &mut Violations) -> Option<ImportedRegistration> {
    let field = |name: &str| format!("{prefix}{name}");
    let bsn = v.check(bsn(&field("bsn"), &item.bsn));
    let birth_date = v.check(dates::required_past(&field("birth_date"), item.birth_date.as_ref()));
    let municipality = v.check(required(&field("municipality_code"), &item.municipality_code));
    let kind = v.check(kind_from_proto(&field("kind"), item.kind));
    let voortraject = v.check(voortraject_from_proto(&field("voortraject_kind"), item.voortraject_kind));
    let date = v.check(dates::required_past(&field("registration_date"), item.registration_date.as_ref()));
    let mut history = Vec::with_capacity(item.history.len());
    for (n, entry) in item.history.iter().enumerate() {
        let field = |name: &str| format!("{prefix}history[{n}].{name}");
        let status = v.check(status_from_proto(&field("status"), entry.status));
        let effective = v.check(dates::required_past(&field("effective_date"), entry.effective_date.as_ref()));
        let reason = v.check(reason_from_proto(&field("terugmelding_reason"), entry.terugmelding_reason));
        let note = v.check(text(&field("note"), &entry.note));
        if let (Some(status), Some(effective_date), Some(reason), Some(note)) = (status, effective, reason, note) {
            history.push((StatusChange { status, effective_date, reason }, note));
        }
    }
    Some(ImportedRegistration {
        bsn: bsn?,
        birth_date: birth_date?,
        municipality_code: municipality?,
        kind: kind?,
        voortraject_kind: voortraject?,
        registration_date: date?,
        history,
    })
}

// ----------------------------------------------------------------- decoding

fn bsn(field: &str, value: &str) -> Result<Bsn, ServiceError> {
    if value.is_empty() {
        return Err(ServiceError::invalid(field, "is required"));
    }
    Bsn::parse(value).map_err(|e| ServiceError::invalid(field, e.to_string()))
}

partnership_platform::proto_enum_mapping!(optional_status, status_to_proto, pb::RegistrationStatus, RegistrationStatus, "REGISTRATION_STATUS_");
partnership_platform::proto_enum_mapping!(optional_kind, kind_to_proto, pb::RegistrationKind, RegistrationKind, "REGISTRATION_KIND_");
partnership_platform::proto_enum_mapping!(voortraject_from_proto, voortraject_to_proto, pb::VoortrajectKind, VoortrajectKind, "VOORTRAJECT_KIND_");
partnership_platform::proto_enum_mapping!(reason_from_proto, reason_to_proto, pb::TerugmeldingReason, TerugmeldingReason, "TERUGMELDING_REASON_");

fn status_from_proto(field: &str, value: i32) -> Result<RegistrationStatus, ServiceError> {
    optional_status(field, value)?.ok_or_else(|| ServiceError::invalid(field, "is required"))
}

fn kind_from_proto(field: &str, value: i32) -> Result<RegistrationKind, ServiceError> {
    optional_kind(field, value)?
        .ok_or_else(|| ServiceError::invalid(field, "is required: DIENSTVERBAND or ARBEIDSVOORBEREIDING"))
}

fn group_to_proto(group: StatusGroup) -> i32 {
    match group {
        StatusGroup::AanHetWerkOpleiding => pb::StatusGroup::AanHetWerkOpleiding as i32,
        StatusGroup::NogInTraject => pb::StatusGroup::NogInTraject as i32,
        StatusGroup::NietInTraject => pb::StatusGroup::NietInTraject as i32,
    }
}

fn scope_from_proto(field: &str, scope: Option<&cpb::Scope>) -> Result<Scope, ServiceError> {
    let scope = fields::scope(field, scope)?;
    Ok(match cpb::ScopeLevel::try_from(scope.level) {
        Ok(cpb::ScopeLevel::Area) => Scope::Area(scope.code),
        Ok(cpb::ScopeLevel::Municipality) => Scope::Municipality(scope.code),
        _ => Scope::Partnership,
    })
}

fn municipality_filter(intake: &Intake, field: &str, code: &str) -> Result<Option<Vec<String>>, ServiceError> {
    match optional(code) {
        None => Ok(None),
        Some(code) => intake
            .reference
            .codes_in_scope(&Scope::Municipality(code))
            .map(Some)
            .map_err(|e| ServiceError::invalid(field, e.to_string())),
    }
}

fn year_filter(field: &str, year: i32) -> Result<Option<(NaiveDate, NaiveDate)>, ServiceError> {
    if year == 0 {
        return Ok(None);
    }
    if !(1900..=9999).contains(&year) {
        return Err(ServiceError::invalid(field, "must be a year from 1900"));
    }
    Ok(dates::year_bounds(year))
}

/// Page tokens are opaque to clients: the hex of "date|id" of the last item.
fn page_token(token: &str) -> Result<Option<(NaiveDate, String)>, ServiceError> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || ServiceError::invalid("page_token", "is not a token this service gave out");
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| token.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (date, id) = text.split_once('|').ok_or_else(invalid)?;
    Ok(Some((date.parse().map_err(|_| invalid())?, id.to_owned())))
}

/// Cuts the extra item fetched to see if there is a next page, and makes
/// the token that continues after the last item kept.
fn next_token<T>(items: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> (NaiveDate, String)) -> String {
    next_page(items, limit, |item| {
        let (date, id) = key(item);
        format!("{date}|{id}").bytes().map(|b| format!("{b:02x}")).collect()
    })
}

fn page_size(size: i32) -> Result<i64, ServiceError> {
    fields::page_size(size, DEFAULT_PAGE_SIZE)
}

// ----------------------------------------------------------------- encoding

fn timestamp(rfc3339: &str) -> Option<prost_types::Timestamp> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 })
}

fn candidate_to_proto(c: &CandidateRow) -> pb::Candidate {
    pb::Candidate {
        id: c.id.clone(),
        bsn: c.bsn.clone(),
        birth_date: Some(dates::to_proto(c.birth_date)),
        municipality_code: c.municipality_code.clone(),
        create_time: timestamp(&c.created_at),
    }
}

fn registration_to_proto(r: &RegistrationView) -> pb::Registration {
    let row = &r.row;
    pb::Registration {
        id: row.id.clone(),
        candidate_id: row.candidate_id.clone(),
        municipality_code: row.municipality_code.clone(),
        kind: kind_to_proto(row.kind),
        voortraject_kind: row.voortraject_kind.map(voortraject_to_proto).unwrap_or(0),
        registration_date: Some(dates::to_proto(row.registration_date)),
        youth: row.youth,
        status: status_to_proto(r.current.status),
        status_date: Some(dates::to_proto(r.current.effective_date)),
        terugmelding_reason: r.current.reason.map(reason_to_proto).unwrap_or(0),
        outcome: r.current.status.is_outcome().then(|| status_to_proto(r.current.status)).unwrap_or(0),
        history: r.history.iter().map(entry_to_proto).collect(),
        create_time: timestamp(&row.created_at),
    }
}

fn entry_to_proto(e: &EntryRow) -> pb::StatusEntry {
    pb::StatusEntry {
        sequence: e.seq as i32,
        status: status_to_proto(e.change.status),
        effective_date: Some(dates::to_proto(e.change.effective_date)),
        terugmelding_reason: e.change.reason.map(reason_to_proto).unwrap_or(0),
        note: e.note.clone(),
        record_time: timestamp(&e.recorded_at),
        corrects_sequence: e.corrects_seq.unwrap_or(0) as i32,
        correction_reason: e.correction_reason.clone().unwrap_or_default(),
        superseded_by_sequence: e.superseded_by_seq.unwrap_or(0) as i32,
    }
}

fn pluspakket_to_proto(p: &PluspakketRow) -> pb::PluspakketRegistration {
    pb::PluspakketRegistration {
        id: p.id.clone(),
        candidate_id: p.candidate_id.clone(),
        municipality_code: p.municipality_code.clone(),
        service_code: p.service_code.clone(),
        registration_date: Some(dates::to_proto(p.registration_date)),
        create_time: timestamp(&p.created_at),
    }
}

fn municipality_to_proto(intake: &Intake, m: &Municipality, as_of: Option<NaiveDate>) -> pb::Municipality {
    let reference = &intake.reference;
    // Without a date: as it was on its last day, or today if it still exists.
    let date = as_of.or(m.valid_to).unwrap_or_else(dates::today);
    pb::Municipality {
        code: m.code.clone(),
        name: m.name.clone(),
        valid_from: m.valid_from.map(dates::to_proto),
        valid_to: m.valid_to.map(dates::to_proto),
        successor_code: m.successor.clone().unwrap_or_default(),
        predecessor_codes: reference.predecessors(&m.code).into_iter().map(|p| p.code.clone()).collect(),
        area: Some(area_to_proto(intake, reference.area_of(m), date)),
        current_municipality_code: reference.current_municipality(&m.code).map(|c| c.code.clone()).unwrap_or_default(),
    }
}

fn area_to_proto(intake: &Intake, area: &Area, date: NaiveDate) -> pb::Area {
    pb::Area {
        code: area.code.clone(),
        name: area.name_on(date).to_owned(),
        municipality_codes: intake.reference.members_on(&area.code, date).into_iter().map(|m| m.code.clone()).collect(),
    }
}

fn share(s: Share) -> cpb::Share {
    cpb::Share { count: s.count as i64, percent: s.percent as i32 }
}

fn breakdown_to_proto(b: &Breakdown) -> pb::StatusBreakdown {
    pb::StatusBreakdown {
        total: b.total as i64,
        groups: b
            .groups
            .iter()
            .map(|g| pb::GroupFigure {
                group: group_to_proto(g.group),
                share: Some(share(g.share)),
                statuses: g
                    .statuses
                    .iter()
                    .map(|&(status, s)| pb::StatusFigure { status: status_to_proto(status), share: Some(share(s)) })
                    .collect(),
            })
            .collect(),
        terugmelding_reasons: b
            .reasons
            .iter()
            .map(|&(reason, s)| pb::ReasonFigure { reason: reason_to_proto(reason), share: Some(share(s)) })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_value_has_a_protobuf_value_and_back() {
        for status in RegistrationStatus::ALL {
            let proto = status_to_proto(status);
            assert_ne!(proto, 0, "{status:?}");
            assert_eq!(optional_status("s", proto).unwrap(), Some(status));
        }
        for reason in TerugmeldingReason::REPORT_ORDER {
            assert_eq!(reason_from_proto("r", reason_to_proto(reason)).unwrap(), Some(reason));
        }
        for kind in RegistrationKind::ALL {
            assert_eq!(kind_from_proto("k", kind_to_proto(kind)).unwrap(), kind);
        }
        for kind in VoortrajectKind::ALL {
            assert_eq!(voortraject_from_proto("v", voortraject_to_proto(kind)).unwrap(), Some(kind));
        }
    }

    #[test]
    fn unknown_enum_numbers_are_invalid_arguments() {
        let err = status_from_proto("status", 99).unwrap_err();
        assert_eq!(err.violations()[0].field, "status");
        assert!(status_from_proto("status", 0).is_err());
    }

    #[test]
    fn page_tokens_round_trip_and_garbage_is_refused() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2022, 1, d).unwrap();
        let mut items = vec![1, 2, 3];
        let token = next_token(&mut items, 2, |&i| (day(i), format!("id{i}")));
        assert_eq!(items, vec![1, 2]);
        assert_eq!(page_token(&token).unwrap(), Some((day(2), "id2".to_owned())));
        assert_eq!(next_token(&mut vec![1, 2], 2, |&i| (day(i), String::new())), "");
        assert!(page_token("zz").is_err());
        assert!(page_token("abc").is_err());
    }
}
