//! The gRPC face of beschut: decodes requests, calls the operations,
//! encodes the answers.

use chrono::NaiveDate;
use partnership_platform::auth::Caller;
use partnership_platform::fields::{self, codes, next_page as next_token, optional, request_id, required, scope};
use partnership_platform::{ServiceError, Violations, dates, decimals};
use partnership_proto::beschut as pb;
use partnership_proto::common as cpb;
use tonic::{Request, Response, Status};

use crate::Beschut;
use crate::domain::figures::{Figures, TARGET_PERCENT, rounded, target_date};
use crate::domain::indication::{Indication, IndicationEnd};
use crate::store::{Filter, IndicationRow, PlacementRow, SchakeltrajectRow, Subject};

pub const DEFAULT_PAGE_SIZE: i64 = 100;

fn page_size(size: i32) -> Result<i64, ServiceError> {
    fields::page_size(size, DEFAULT_PAGE_SIZE)
}

pub struct BeschutApi {
    beschut: Beschut,
}

impl BeschutApi {
    pub fn new(beschut: Beschut) -> Self {
        Self { beschut }
    }
}

type ApiResult<T> = Result<Response<T>, Status>;

partnership_platform::proto_enum_mapping!(end_from, end_to, pb::IndicationEnd, IndicationEnd, "INDICATION_END_");

fn subject(v: &mut Violations, candidate_id: &str, municipality_code: &str) -> Option<Subject> {
    let candidate_id = v.check(required("candidate_id", candidate_id));
    let municipality_code = v.check(required("municipality_code", municipality_code));
    Some(Subject { candidate_id: candidate_id?, municipality_code: municipality_code? })
}

/// A list filter, narrowed to what the caller may see.
fn filter(caller: &Caller, municipality_codes: &[String], candidate_id: &str, after: &str) -> Result<Filter, ServiceError> {
    Ok(Filter {
        municipality_codes: caller.narrow("municipality_codes", codes(municipality_codes))?,
        candidate_id: optional(candidate_id),
        after: optional(after),
    })
}

/// A record of another municipality's resident is NOT_FOUND, as if absent.
fn visible(caller: &Caller, subject: &Subject, resource: &'static str, id: &str) -> Result<(), ServiceError> {
    caller.check_visible(&subject.municipality_code, resource, id)?;
    caller.touched(&subject.candidate_id);
    Ok(())
}

/// A municipality decides only about its own residents.
fn acts_for(caller: &Caller, subject: &Subject) -> Result<(), ServiceError> {
    caller.check_acts_for("municipality_code", &subject.municipality_code)?;
    caller.touched(&subject.candidate_id);
    Ok(())
}

fn indication_to_proto(row: &IndicationRow, history: &[(String, NaiveDate, String)]) -> pb::Indication {
    pb::Indication {
        id: row.id.clone(),
        candidate_id: row.subject.candidate_id.clone(),
        municipality_code: row.subject.municipality_code.clone(),
        uwv_reference: row.uwv_reference.clone(),
        granted_date: Some(dates::to_proto(row.dates.granted_date)),
        valid_until: row.dates.valid_until.map(dates::to_proto),
        end: row.dates.ended.map(|(e, _)| end_to(e)).unwrap_or(0),
        end_date: row.dates.ended.map(|(_, d)| dates::to_proto(d)),
        history: history
            .iter()
            .map(|(event, date, at)| pb::IndicationEvent { event: event.clone(), date: Some(dates::to_proto(*date)), recorded_at: at.clone() })
            .collect(),
    }
}

fn placement_to_proto(p: &PlacementRow) -> pb::Placement {
    pb::Placement {
        id: p.id.clone(),
        candidate_id: p.subject.candidate_id.clone(),
        municipality_code: p.subject.municipality_code.clone(),
        employer: p.employer.clone(),
        start_date: Some(dates::to_proto(p.start_date)),
        end_date: p.end_date.map(dates::to_proto),
        hours_per_week: Some(decimals::to_proto(p.hours_per_week)),
    }
}

fn schakeltraject_to_proto(s: &SchakeltrajectRow) -> pb::Schakeltraject {
    pb::Schakeltraject {
        id: s.id.clone(),
        candidate_id: s.subject.candidate_id.clone(),
        municipality_code: s.subject.municipality_code.clone(),
        start_date: Some(dates::to_proto(s.start_date)),
        end_date: s.end_date.map(dates::to_proto),
    }
}

#[tonic::async_trait]
impl pb::beschut_service_server::BeschutService for BeschutApi {
    async fn grant_indication(&self, request: Request<pb::GrantIndicationRequest>) -> ApiResult<pb::Indication> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let subject = subject(&mut v, &req.candidate_id, &req.municipality_code);
        let reference = v.check(required("uwv_reference", &req.uwv_reference));
        let granted = v.check(dates::required_past("granted_date", req.granted_date.as_ref()));
        let until = v.check(dates::optional("valid_until", req.valid_until.as_ref()));
        v.finish()?;
        let (Some(subject), Some(uwv_reference), Some(granted_date), Some(valid_until)) = (subject, reference, granted, until) else {
            unreachable!("checked by finish")
        };
        acts_for(&caller, &subject)?;
        let row = IndicationRow {
            id: crate::new_id(),
            subject,
            uwv_reference,
            dates: Indication { granted_date, valid_until, ended: None },
        };
        let row = self.beschut.grant_indication(request_id(&req.request_id)?, row).await?;
        let (row, history) = self.beschut.indication(&row.id).await?;
        Ok(Response::new(indication_to_proto(&row, &history)))
    }

    async fn end_indication(&self, request: Request<pb::EndIndicationRequest>) -> ApiResult<pb::Indication> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(required("indication_id", &req.indication_id));
        let end = v.check(end_from("end", req.end).and_then(|e| e.ok_or_else(|| ServiceError::invalid("end", "is required: EXPIRED or WITHDRAWN"))));
        let date = v.check(dates::required("end_date", req.end_date.as_ref()));
        v.finish()?;
        let (Some(id), Some(end), Some(date)) = (id, end, date) else { unreachable!("checked by finish") };
        let (current, _) = self.beschut.indication(&id).await?;
        visible(&caller, &current.subject, "indication", &id)?;
        self.beschut.end_indication(&id, end, date).await?;
        let (row, history) = self.beschut.indication(&id).await?;
        Ok(Response::new(indication_to_proto(&row, &history)))
    }

    async fn get_indication(&self, request: Request<pb::GetIndicationRequest>) -> ApiResult<pb::Indication> {
        let caller = Caller::of(&request)?;
        let id = required("id", &request.into_inner().id)?;
        let (row, history) = self.beschut.indication(&id).await?;
        visible(&caller, &row.subject, "indication", &id)?;
        Ok(Response::new(indication_to_proto(&row, &history)))
    }

    async fn list_indications(&self, request: Request<pb::ListIndicationsRequest>) -> ApiResult<pb::ListIndicationsResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let limit = page_size(req.page_size)?;
        let active_on = dates::optional("active_on", req.active_on.as_ref())?;
        let filter = filter(&caller, &req.municipality_codes, &req.candidate_id, &req.page_token)?;
        let mut found = self.beschut.indications(&filter, active_on, limit + 1).await?;
        let next_page_token = next_token(&mut found, limit, |i| i.id.clone());
        caller.touched_all(found.iter().map(|i| i.subject.candidate_id.as_str()));
        let indications = found.iter().map(|i| indication_to_proto(i, &[])).collect();
        Ok(Response::new(pb::ListIndicationsResponse { indications, next_page_token }))
    }

    async fn create_placement(&self, request: Request<pb::CreatePlacementRequest>) -> ApiResult<pb::Placement> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let subject = subject(&mut v, &req.candidate_id, &req.municipality_code);
        let employer = v.check(required("employer", &req.employer));
        let start = v.check(dates::required_past("start_date", req.start_date.as_ref()));
        let end = v.check(dates::optional("end_date", req.end_date.as_ref()));
        let hours = v.check(decimals::required("hours_per_week", req.hours_per_week.as_ref()));
        v.finish()?;
        let (Some(subject), Some(employer), Some(start_date), Some(end_date), Some(hours_per_week)) = (subject, employer, start, end, hours) else {
            unreachable!("checked by finish")
        };
        acts_for(&caller, &subject)?;
        let row = PlacementRow { id: crate::new_id(), subject, employer, start_date, end_date, hours_per_week };
        let row = self.beschut.create_placement(request_id(&req.request_id)?, row).await?;
        Ok(Response::new(placement_to_proto(&row)))
    }

    async fn end_placement(&self, request: Request<pb::EndPlacementRequest>) -> ApiResult<pb::Placement> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(required("placement_id", &req.placement_id));
        let date = v.check(dates::required("end_date", req.end_date.as_ref()));
        v.finish()?;
        let (Some(id), Some(date)) = (id, date) else { unreachable!("checked by finish") };
        visible(&caller, &self.beschut.placement(&id).await?.subject, "placement", &id)?;
        Ok(Response::new(placement_to_proto(&self.beschut.end_placement(&id, date).await?)))
    }

    async fn list_placements(&self, request: Request<pb::ListPlacementsRequest>) -> ApiResult<pb::ListPlacementsResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let limit = page_size(req.page_size)?;
        let running_on = dates::optional("running_on", req.running_on.as_ref())?;
        let filter = filter(&caller, &req.municipality_codes, &req.candidate_id, &req.page_token)?;
        let mut found = self.beschut.placements(&filter, running_on, limit + 1).await?;
        let next_page_token = next_token(&mut found, limit, |p| p.id.clone());
        caller.touched_all(found.iter().map(|p| p.subject.candidate_id.as_str()));
        Ok(Response::new(pb::ListPlacementsResponse { placements: found.iter().map(placement_to_proto).collect(), next_page_token }))
    }

    async fn create_schakeltraject(&self, request: Request<pb::CreateSchakeltrajectRequest>) -> ApiResult<pb::Schakeltraject> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let subject = subject(&mut v, &req.candidate_id, &req.municipality_code);
        let start = v.check(dates::required_past("start_date", req.start_date.as_ref()));
        let end = v.check(dates::optional("end_date", req.end_date.as_ref()));
        v.finish()?;
        let (Some(subject), Some(start_date), Some(end_date)) = (subject, start, end) else { unreachable!("checked by finish") };
        acts_for(&caller, &subject)?;
        let row = SchakeltrajectRow { id: crate::new_id(), subject, start_date, end_date };
        let row = self.beschut.create_schakeltraject(request_id(&req.request_id)?, row).await?;
        Ok(Response::new(schakeltraject_to_proto(&row)))
    }

    async fn end_schakeltraject(&self, request: Request<pb::EndSchakeltrajectRequest>) -> ApiResult<pb::Schakeltraject> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(required("schakeltraject_id", &req.schakeltraject_id));
        let date = v.check(dates::required("end_date", req.end_date.as_ref()));
        v.finish()?;
        let (Some(id), Some(date)) = (id, date) else { unreachable!("checked by finish") };
        visible(&caller, &self.beschut.schakeltraject(&id).await?.subject, "schakeltraject", &id)?;
        Ok(Response::new(schakeltraject_to_proto(&self.beschut.end_schakeltraject(&id, date).await?)))
    }

    async fn get_beschut_figures(&self, request: Request<pb::GetBeschutFiguresRequest>) -> ApiResult<pb::BeschutFigures> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let scope = v.check(scope("scope", req.scope.as_ref()));
        let on = v.check(dates::required("on", req.on.as_ref()));
        v.finish()?;
        let (Some(scope), Some(on)) = (scope, on) else { unreachable!("checked by finish") };
        let figures = self.beschut.figures(scope.clone(), &[on]).await?;
        let f = figures.first().ok_or_else(|| ServiceError::Internal("no figures for the date".into()))?;
        Ok(Response::new(figures_to_proto(&scope, on, f)))
    }

    async fn batch_get_beschut_figures(
        &self,
        request: Request<pb::BatchGetBeschutFiguresRequest>,
    ) -> ApiResult<pb::BatchGetBeschutFiguresResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let scope = v.check(scope("scope", req.scope.as_ref()));
        let on = v.check(dates::several("dates", &req.dates, None));
        v.finish()?;
        let (Some(scope), Some(on)) = (scope, on) else { unreachable!("checked by finish") };
        let figures = self.beschut.figures(scope.clone(), &on).await?;
        Ok(Response::new(pb::BatchGetBeschutFiguresResponse {
            figures: on.iter().zip(&figures).map(|(&d, f)| figures_to_proto(&scope, d, f)).collect(),
        }))
    }

    async fn get_schakeltraject_figures(&self, request: Request<pb::GetSchakeltrajectFiguresRequest>) -> ApiResult<pb::SchakeltrajectFigures> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let scope = v.check(scope("scope", req.scope.as_ref()));
        let first = v.check(dates::required("first_day", req.first_day.as_ref()));
        let last = v.check(dates::required("last_day", req.last_day.as_ref()));
        v.finish()?;
        let (Some(scope), Some(first), Some(last)) = (scope, first, last) else { unreachable!("checked by finish") };
        if last < first {
            return Err(ServiceError::invalid("last_day", "is before the first day").into());
        }
        let (started, ended, running) = self.beschut.schakeltraject_figures(scope.clone(), first, last).await?;
        Ok(Response::new(pb::SchakeltrajectFigures { scope: Some(scope), started: started as i64, ended: ended as i64, running: running as i64 }))
    }
}

fn figures_to_proto(scope: &cpb::Scope, on: NaiveDate, f: &Figures) -> pb::BeschutFigures {
    pb::BeschutFigures {
        scope: Some(scope.clone()),
        on: Some(dates::to_proto(on)),
        active_indications: f.active_indications as i64,
        working_by_step: f.working_by_step.iter().map(|(step, n)| pb::StepCount { step: step.clone(), persons: *n as i64 }).collect(),
        working_at_ibn: f.working_at_ibn as i64,
        working_regulier_met_vangnet: f.working_vangnet as i64,
        working: f.working as i64,
        plaatsingspercentage: Some(decimals::to_proto(f.plaatsingspercentage)),
        plaatsingspercentage_rounded: rounded(f.plaatsingspercentage),
        target_percent: TARGET_PERCENT as i32,
        target_date: Some(dates::to_proto(target_date())),
        distance_to_target: Some(decimals::to_proto(f.distance_to_target)),
        fte_at_ibn: Some(decimals::to_proto(f.fte_at_ibn)),
        fte_elsewhere: Some(decimals::to_proto(f.fte_elsewhere)),
        fte_total: Some(decimals::to_proto(f.fte_total)),
        taakstelling_fte: f.taakstelling.map(decimals::to_proto),
        realisation_percent: f.realisation_percent.map(decimals::to_proto),
        realisation_percent_rounded: f.realisation_percent.map(rounded).unwrap_or(0),
    }
}
