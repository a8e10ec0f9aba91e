//! The gRPC face of employment: decodes requests into domain types, calls
//! the operations, encodes the answers.

use chrono::NaiveDate;
use partnership_platform::auth::Caller;
use partnership_platform::fields::{self, codes, next_page as next_token, optional as optional_text, optional_checked, request_id, required as required_text, scope};
use partnership_platform::{ServiceError, Violations, dates, decimals};
use partnership_proto::common as cpb;
use partnership_proto::employment as pb;
use futures::Stream;
use std::pin::Pin;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::domain::contract::{
    Contract, ContractKind, Doelgroep, Loonwaarde, Loonwaardeklasse, PwClassification, Rejection, SoortPlaatsing,
    Uitstroomprofiel, WerkladderStep,
};
use crate::domain::figures::{Named, Period, Results};
use crate::domain::trajectory::{ResultGroup, TrajectoryResult, max_end_date};
use crate::push::{MAX_PUSH, Outcome, Prepared, Pushed};
use crate::store::{ActivityRow, ContractFilter, EventRow, ListedContract, TrajectoryFilter, TrajectoryRow};
use crate::{Development, Employment};

pub const DEFAULT_PAGE_SIZE: i64 = 100;

fn page_size(size: i32) -> Result<i64, ServiceError> {
    fields::page_size(size, DEFAULT_PAGE_SIZE)
}

pub struct EmploymentApi {
    employment: Employment,
}

impl EmploymentApi {
    pub fn new(employment: Employment) -> Self {
        Self { employment }
    }
}

type ApiResult<T> = Result<Response<T>, Status>;

partnership_platform::proto_enum_mapping!(kind_from, kind_to, pb::ContractKind, ContractKind, "CONTRACT_KIND_");
partnership_platform::proto_enum_mapping!(soort_from, soort_to, pb::SoortPlaatsing, SoortPlaatsing, "SOORT_PLAATSING_");
partnership_platform::proto_enum_mapping!(doelgroep_from, doelgroep_to, pb::Doelgroep, Doelgroep, "DOELGROEP_");
partnership_platform::proto_enum_mapping!(profiel_from, profiel_to, pb::Uitstroomprofiel, Uitstroomprofiel, "UITSTROOMPROFIEL_");
partnership_platform::proto_enum_mapping!(step_from, step_to, pb::WerkladderStep, WerkladderStep, "WERKLADDER_STEP_");
partnership_platform::proto_enum_mapping!(result_from, result_to, pb::TrajectoryResult, TrajectoryResult, "TRAJECTORY_RESULT_");
partnership_platform::proto_enum_mapping!(group_from, group_to, pb::TrajectoryResultGroup, ResultGroup, "TRAJECTORY_RESULT_GROUP_");
partnership_platform::proto_enum_mapping!(activity_from, activity_to, pb::ActivityKind, crate::domain::activity::ActivityKind, "ACTIVITY_KIND_");
partnership_platform::proto_enum_mapping!(klasse_from, klasse_to, pb::Loonwaardeklasse, Loonwaardeklasse, "LOONWAARDEKLASSE_");

fn required<T>(field: &str, value: Result<Option<T>, ServiceError>) -> Result<T, ServiceError> {
    value?.ok_or_else(|| ServiceError::invalid(field, "is required"))
}

fn period(field: &str, period: Option<&pb::Period>) -> Result<Period, ServiceError> {
    let period = period.ok_or_else(|| ServiceError::invalid(field, "is required"))?;
    let first = dates::required(&format!("{field}.first_day"), period.first_day.as_ref())?;
    let last = dates::required(&format!("{field}.last_day"), period.last_day.as_ref())?;
    if last < first {
        return Err(ServiceError::invalid(format!("{field}.last_day"), "is before the first day"));
    }
    Ok(Period { first, last })
}

fn period_to_proto(p: Period) -> Option<pb::Period> {
    Some(pb::Period { first_day: Some(dates::to_proto(p.first)), last_day: Some(dates::to_proto(p.last)) })
}

// ------------------------------------------------------------- contracts

/// Decodes one pushed contract, naming the first bad field.
fn decode_contract(input: &pb::ContractInput) -> Result<Pushed, Rejection> {
    let reject = |e: ServiceError| {
        let v = e.violations().first().cloned();
        v.map(|v| Rejection::new(&v.field, v.description)).unwrap_or_else(|| Rejection::new("", e.to_string()))
    };
    let bsn = required_text("bsn", &input.bsn).map_err(reject)?;
    let kind = required("kind", kind_from("kind", input.kind)).map_err(reject)?;
    let start_date = dates::required("start_date", input.start_date.as_ref()).map_err(reject)?;
    let end_date = dates::optional("end_date", input.end_date.as_ref()).map_err(reject)?;
    let hours_per_week = decimals::required("hours_per_week", input.hours_per_week.as_ref()).map_err(reject)?;
    let (pw, municipality_code) = match &input.pw {
        None => (None, optional_text(&input.municipality_code)),
        Some(pw) => {
            let loonwaarde = match pw.loonwaarde.as_ref().and_then(|l| l.value.as_ref()) {
                Some(pb::loonwaarde::Value::Forfaitair(true)) => Loonwaarde::Forfaitair,
                Some(pb::loonwaarde::Value::MeasuredPercent(p)) => {
                    Loonwaarde::Measured(decimals::required("pw.loonwaarde.measured_percent", Some(p)).map_err(reject)?)
                }
                _ => return Err(Rejection::new("pw.loonwaarde", "is required: measured_percent or forfaitair")),
            };
            let classification = PwClassification {
                soort_plaatsing: required("pw.soort_plaatsing", soort_from("pw.soort_plaatsing", pw.soort_plaatsing)).map_err(reject)?,
                doelgroep: required("pw.doelgroep", doelgroep_from("pw.doelgroep", pw.doelgroep)).map_err(reject)?,
                uitstroomprofiel: required("pw.uitstroomprofiel", profiel_from("pw.uitstroomprofiel", pw.uitstroomprofiel))
                    .map_err(reject)?,
                loonwaarde,
                werkladder_step: required("pw.werkladder_step", step_from("pw.werkladder_step", pw.werkladder_step))
                    .map_err(reject)?,
            };
            (Some(classification), optional_text(&pw.paying_municipality_code))
        }
    };
    let contract = Contract {
        hr_contract_id: input.hr_contract_id.trim().to_owned(),
        candidate_id: String::new(),
        kind,
        start_date,
        end_date,
        hours_per_week,
        municipality_code,
        pw,
    };
    Ok(Pushed { bsn, contract })
}

fn contract_input(c: &Contract) -> pb::ContractInput {
    pb::ContractInput {
        hr_contract_id: c.hr_contract_id.clone(),
        bsn: String::new(),
        kind: kind_to(c.kind),
        start_date: Some(dates::to_proto(c.start_date)),
        end_date: c.end_date.map(dates::to_proto),
        hours_per_week: Some(decimals::to_proto(c.hours_per_week)),
        pw: c.pw.as_ref().map(|p| classification_to_proto(p, c)),
        municipality_code: c.municipality_code.clone().unwrap_or_default(),
    }
}

fn loonwaarde_to_proto(loonwaarde: Loonwaarde) -> pb::Loonwaarde {
    let value = match loonwaarde {
        Loonwaarde::Forfaitair => pb::loonwaarde::Value::Forfaitair(true),
        Loonwaarde::Measured(percent) => pb::loonwaarde::Value::MeasuredPercent(decimals::to_proto(percent)),
    };
    pb::Loonwaarde { value: Some(value) }
}

fn classification_to_proto(p: &PwClassification, c: &Contract) -> pb::PwClassification {
    pb::PwClassification {
        soort_plaatsing: soort_to(p.soort_plaatsing),
        doelgroep: doelgroep_to(p.doelgroep),
        uitstroomprofiel: profiel_to(p.uitstroomprofiel),
        loonwaarde: Some(loonwaarde_to_proto(p.loonwaarde)),
        werkladder_step: step_to(p.werkladder_step),
        paying_municipality_code: c.municipality_code.clone().unwrap_or_default(),
    }
}

fn contract_to_proto(l: &ListedContract, measurements: Vec<pb::LoonwaardeMeasurement>) -> pb::Contract {
    let c = &l.contract;
    pb::Contract {
        hr_contract_id: c.hr_contract_id.clone(),
        candidate_id: c.candidate_id.clone(),
        kind: kind_to(c.kind),
        start_date: Some(dates::to_proto(c.start_date)),
        end_date: c.end_date.map(dates::to_proto),
        hours_per_week: Some(decimals::to_proto(c.hours_per_week)),
        pw: c.pw.as_ref().map(|p| classification_to_proto(p, c)),
        municipality_code: c.municipality_code.clone().unwrap_or_default(),
        version: l.version as i32,
        loonwaarde_measurements: measurements,
        trajectory_id: l.trajectory_id.clone().unwrap_or_default(),
        earlier_versions: Vec::new(),
    }
}

fn trajectory_to_proto(t: &TrajectoryRow) -> pb::Trajectory {
    pb::Trajectory {
        id: t.id.clone(),
        candidate_id: t.contract.candidate_id.clone(),
        hr_contract_id: t.contract.hr_contract_id.clone(),
        start_date: Some(dates::to_proto(t.contract.start_date)),
        max_end_date: Some(dates::to_proto(max_end_date(t.contract.start_date))),
        uitstroomprofiel_at_start: t.contract.pw.as_ref().map(|p| profiel_to(p.uitstroomprofiel)).unwrap_or(0),
        completion_date: t.completion.map(|(d, _)| dates::to_proto(d)),
        result: t.completion.map(|(_, r)| result_to(r)).unwrap_or(0),
        municipality_code: t.contract.municipality_code.clone().unwrap_or_default(),
    }
}

fn event_to_proto(e: &EventRow) -> pb::DevelopmentEvent {
    let change = Development::from_row(&e.kind, &e.value).map(|d| match d {
        Development::WerkladderStep(step) => pb::development_event::Change::WerkladderStep(step_to(step)),
        Development::Loonwaarde(p) => pb::development_event::Change::LoonwaardePercent(decimals::to_proto(p)),
        Development::Uitstroomprofiel(p) => pb::development_event::Change::Uitstroomprofiel(profiel_to(p)),
    });
    pb::DevelopmentEvent {
        hr_contract_id: e.hr_contract_id.clone(),
        effective_date: Some(dates::to_proto(e.effective_date)),
        change,
    }
}

fn results_to_proto(r: &Results) -> Vec<pb::GroupCount> {
    r.groups
        .iter()
        .map(|(group, count, results)| pb::GroupCount {
            group: group_to(*group),
            count: *count as i64,
            results: results.iter().map(|(r, n)| pb::ResultCount { result: result_to(*r), count: *n as i64 }).collect(),
        })
        .collect()
}

fn class_counts<T: Copy>(counts: &[(T, u64)], code: fn(T) -> &'static str) -> Vec<pb::ClassCount> {
    counts.iter().map(|&(v, n)| pb::ClassCount { value: code(v).to_owned(), count: n as i64 }).collect()
}

/// A municipality sees a contract only if it is paid for (PW) or placed
/// by one of its municipalities; otherwise NOT_FOUND, as if absent.
fn check_visible(caller: &Caller, contract: &crate::domain::contract::Contract, id: &str) -> Result<(), ServiceError> {
    if caller.jurisdiction.is_some() {
        match &contract.municipality_code {
            Some(code) => caller.check_visible(code, "contract", id)?,
            None => return Err(ServiceError::not_found("contract", id)),
        }
    }
    caller.touched(&contract.candidate_id);
    Ok(())
}

#[tonic::async_trait]
impl pb::employment_service_server::EmploymentService for EmploymentApi {
    async fn push_contracts(&self, request: Request<pb::PushContractsRequest>) -> ApiResult<pb::PushContractsResponse> {
        let caller = Caller::of(&request)?;
        let items = decoded_batch(&request.into_inner().contracts)?;
        let pushed = self.employment.push(items, Some(&caller)).await?;
        Ok(Response::new(push_response(pushed.outcomes)))
    }

    type PushContractBatchesStream = Pin<Box<dyn Stream<Item = Result<pb::PushContractsResponse, Status>> + Send + 'static>>;

    /// Two stages, each a task: the first reads, decodes, resolves and
    /// plans each batch; the second writes them in order and answers. A
    /// batch is planned while the one before it is written.
    async fn push_contract_batches(
        &self,
        request: Request<Streaming<pb::PushContractsRequest>>,
    ) -> ApiResult<Self::PushContractBatchesStream> {
        let caller = Caller::of(&request)?;
        let mut inbound = request.into_inner();
        let (answers, answered) = tokio::sync::mpsc::channel(2);
        let (planned, mut to_write) = tokio::sync::mpsc::channel::<Result<StreamedBatch, Status>>(1);
        let employment = self.employment.clone();
        tokio::spawn(async move {
            while let Some(batch) = inbound.next().await {
                let next = match batch {
                    Ok(batch) => Ok(StreamedBatch::prepare(&employment, &caller, batch.contracts).await),
                    Err(status) => Err(status),
                };
                if planned.send(next).await.is_err() {
                    break;
                }
            }
        });
        let employment = self.employment.clone();
        tokio::spawn(async move {
            while let Some(next) = to_write.recv().await {
                let answer = match next {
                    Ok(batch) => batch.store(&employment).await.map(push_response),
                    Err(status) => Err(status),
                };
                let failed = answer.is_err();
                if answers.send(answer).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(answered))))
    }

    async fn get_contract(&self, request: Request<pb::GetContractRequest>) -> ApiResult<pb::Contract> {
        let caller = Caller::of(&request)?;
        let id = required_text("hr_contract_id", &request.into_inner().hr_contract_id)?;
        let (listed, measurements, versions) = self.employment.contract(&id).await?;
        check_visible(&caller, &listed.contract, &id)?;
        let mut contract = contract_to_proto(&listed, measurements.iter().map(measurement).collect());
        contract.earlier_versions = versions
            .into_iter()
            .map(|(version, c, replaced_at)| pb::ContractVersion {
                version: version as i32,
                contract: Some(contract_input(&c)),
                replaced_at,
            })
            .collect();
        Ok(Response::new(contract))
    }

    async fn list_contracts(&self, request: Request<pb::ListContractsRequest>) -> ApiResult<pb::ListContractsResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let limit = v.check(page_size(req.page_size));
        let kind = v.check(kind_from("kind", req.kind));
        let from = v.check(dates::optional("active_from", req.active_from.as_ref()));
        let to = v.check(dates::optional("active_to", req.active_to.as_ref()));
        v.finish()?;
        let (Some(limit), Some(kind), Some(active_from), Some(active_to)) = (limit, kind, from, to) else {
            unreachable!("checked by finish")
        };
        let filter = ContractFilter {
            hr_contract_id: None,
            kind,
            municipality_codes: caller.narrow("municipality_codes", codes(&req.municipality_codes))?,
            active_from,
            active_to,
            after: optional_text(&req.page_token),
        };
        let mut found = self.employment.list_contracts(&filter, limit + 1).await?;
        let next_page_token = next_token(&mut found, limit, |(l, _)| l.contract.hr_contract_id.clone());
        caller.touched_all(found.iter().map(|(l, _)| l.contract.candidate_id.as_str()));
        let contracts = found
            .iter()
            .map(|(l, measurements)| contract_to_proto(l, measurements.iter().map(measurement).collect()))
            .collect();
        Ok(Response::new(pb::ListContractsResponse { contracts, next_page_token }))
    }

    async fn list_trajectories(&self, request: Request<pb::ListTrajectoriesRequest>) -> ApiResult<pb::ListTrajectoriesResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let limit = page_size(req.page_size)?;
        let past = dates::optional("past_maximum_on", req.past_maximum_on.as_ref())?;
        let filter = TrajectoryFilter {
            municipality_codes: caller.narrow("municipality_codes", codes(&req.municipality_codes))?,
            open_only: req.open_only,
            completed_in: None,
            after: optional_text(&req.page_token),
        };
        let mut found = self.employment.trajectories(&filter, past, limit + 1).await?;
        let next_page_token = next_token(&mut found, limit, |t| t.id.clone());
        caller.touched_all(found.iter().map(|t| t.contract.candidate_id.as_str()));
        Ok(Response::new(pb::ListTrajectoriesResponse {
            trajectories: found.iter().map(trajectory_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn complete_trajectory(&self, request: Request<pb::CompleteTrajectoryRequest>) -> ApiResult<pb::Trajectory> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.check(required_text("trajectory_id", &req.trajectory_id));
        let date = v.check(dates::required_past("completion_date", req.completion_date.as_ref()));
        let result = v.check(required("result", result_from("result", req.result)));
        v.finish()?;
        let (Some(id), Some(date), Some(result)) = (id, date, result) else { unreachable!("checked by finish") };
        let done = self.employment.complete_trajectory(&id, date, result).await?;
        caller.touched(&done.contract.candidate_id);
        Ok(Response::new(trajectory_to_proto(&done)))
    }

    async fn record_development(&self, request: Request<pb::RecordDevelopmentRequest>) -> ApiResult<pb::DevelopmentEvent> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let event = req.event.ok_or_else(|| ServiceError::invalid("event", "is required"))?;
        let mut v = Violations::new();
        let id = v.check(required_text("event.hr_contract_id", &event.hr_contract_id));
        let date = v.check(dates::required_past("event.effective_date", event.effective_date.as_ref()));
        let change = v.check(match &event.change {
            Some(pb::development_event::Change::WerkladderStep(s)) => {
                required("event.werkladder_step", step_from("event.werkladder_step", *s)).map(Development::WerkladderStep)
            }
            Some(pb::development_event::Change::LoonwaardePercent(p)) => {
                decimals::required("event.loonwaarde_percent", Some(p)).map(Development::Loonwaarde)
            }
            Some(pb::development_event::Change::Uitstroomprofiel(p)) => {
                required("event.uitstroomprofiel", profiel_from("event.uitstroomprofiel", *p)).map(Development::Uitstroomprofiel)
            }
            None => Err(ServiceError::invalid("event.change", "is required: a step, a loonwaarde or an uitstroomprofiel")),
        });
        v.finish()?;
        let (Some(id), Some(date), Some(change)) = (id, date, change) else { unreachable!("checked by finish") };
        let (listed, _, _) = self.employment.contract(&id).await?;
        caller.touched(&listed.contract.candidate_id);
        let row = self.employment.record_development(request_id(&req.request_id)?, &id, date, change).await?;
        Ok(Response::new(event_to_proto(&row)))
    }

    async fn list_forfaitair_overdue(
        &self,
        request: Request<pb::ListForfaitairOverdueRequest>,
    ) -> ApiResult<pb::ListForfaitairOverdueResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let as_of = dates::optional("as_of", req.as_of.as_ref())?.unwrap_or_else(dates::today);
        let municipality_codes = caller.narrow("municipality_codes", codes(&req.municipality_codes))?;
        let overdue = self.employment.forfaitair_overdue(as_of, municipality_codes).await?;
        caller.touched_all(overdue.iter().map(|(c, _)| c.candidate_id.as_str()));
        let contracts = overdue
            .into_iter()
            .map(|(c, deadline)| pb::ForfaitairOverdue {
                hr_contract_id: c.hr_contract_id,
                candidate_id: c.candidate_id,
                start_date: Some(dates::to_proto(c.start_date)),
                deadline: Some(dates::to_proto(deadline)),
                municipality_code: c.municipality_code.unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(pb::ListForfaitairOverdueResponse { contracts }))
    }

    async fn record_activity(&self, request: Request<pb::RecordActivityRequest>) -> ApiResult<pb::Activity> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let kind = v.check(required("kind", activity_from("kind", req.kind)));
        let municipality = v.check(required_text("municipality_code", &req.municipality_code));
        let date = v.check(dates::required_past("date", req.date.as_ref()));
        v.finish()?;
        let (Some(kind), Some(municipality_code), Some(date)) = (kind, municipality, date) else {
            unreachable!("checked by finish")
        };
        let row = ActivityRow {
            id: crate::new_id(),
            kind: kind.code().to_owned(),
            candidate_id: optional_checked("candidate_id", &req.candidate_id)?,
            municipality_code,
            date,
        };
        let row = self.employment.record_activity(request_id(&req.request_id)?, row).await?;
        if let Some(candidate_id) = &row.candidate_id {
            caller.touched(candidate_id);
        }
        Ok(Response::new(pb::Activity {
            id: row.id,
            kind: crate::domain::activity::ActivityKind::from_code(&row.kind).map(activity_to).unwrap_or(0),
            candidate_id: row.candidate_id.unwrap_or_default(),
            municipality_code: row.municipality_code,
            date: Some(dates::to_proto(row.date)),
        }))
    }

    async fn get_started_contract_figures(
        &self,
        request: Request<pb::GetStartedContractFiguresRequest>,
    ) -> ApiResult<pb::StartedContractFigures> {
        let req = request.into_inner();
        let (scope, period) = scope_and_period(req.scope.as_ref(), req.period.as_ref())?;
        let (started, norm) = self.employment.started_figures(&scope, period).await?;
        Ok(Response::new(pb::StartedContractFigures {
            scope: Some(scope),
            period: period_to_proto(period),
            total: started.total as i64,
            by_soort_plaatsing: class_counts(&started.by_soort_plaatsing, SoortPlaatsing::code),
            by_doelgroep: class_counts(&started.by_doelgroep, Doelgroep::code),
            by_uitstroomprofiel: class_counts(&started.by_uitstroomprofiel, Uitstroomprofiel::code),
            by_loonwaardeklasse: class_counts(&started.by_loonwaardeklasse, Loonwaardeklasse::code),
            by_instroom_trede: class_counts(&started.by_instroom_trede, WerkladderStep::code),
            norm_total: norm.map(|n| i64::from(n.total)).unwrap_or(0),
            norm_aanbodgestuurd: norm.map(|n| i64::from(n.aanbodgestuurd)).unwrap_or(0),
            norm_vraaggestuurd: norm.map(|n| i64::from(n.vraaggestuurd)).unwrap_or(0),
        }))
    }

    async fn get_trajectory_result_figures(
        &self,
        request: Request<pb::GetTrajectoryResultFiguresRequest>,
    ) -> ApiResult<pb::TrajectoryResultFigures> {
        let req = request.into_inner();
        let (scope, period) = scope_and_period(req.scope.as_ref(), req.period.as_ref())?;
        let (all, by_profile) = self.employment.trajectory_figures(&scope, period).await?;
        Ok(Response::new(pb::TrajectoryResultFigures {
            scope: Some(scope),
            period: period_to_proto(period),
            completed: all.completed as i64,
            groups: results_to_proto(&all),
            by_uitstroomprofiel: by_profile
                .iter()
                .map(|(profile, r)| pb::ProfileResults {
                    uitstroomprofiel_at_start: profiel_to(*profile),
                    completed: r.completed as i64,
                    groups: results_to_proto(r),
                })
                .collect(),
        }))
    }

    async fn get_headcount_figures(&self, request: Request<pb::GetHeadcountFiguresRequest>) -> ApiResult<pb::HeadcountFigures> {
        let req = request.into_inner();
        let (scope, period) = scope_and_period(req.scope.as_ref(), req.period.as_ref())?;
        let on = dates::required("on", req.on.as_ref())?;
        let h = self.employment.headcount_figures(&scope, on, period).await?;
        Ok(Response::new(pb::HeadcountFigures {
            scope: Some(scope),
            on: Some(dates::to_proto(on)),
            period: period_to_proto(period),
            pw_persons: h.pw_persons as i64,
            pw_beschut: h.pw_beschut as i64,
            pw_niet_beschut: h.pw_niet_beschut as i64,
            pw_inflow: h.pw_inflow as i64,
            pw_outflow: h.pw_outflow as i64,
            by_kind: h.by_kind.iter().map(|&(k, n)| pb::KindCount { kind: kind_to(k), persons: n as i64 }).collect(),
        }))
    }

    async fn get_beschut_figures(&self, request: Request<pb::GetBeschutFiguresRequest>) -> ApiResult<pb::BeschutFigures> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let scope = v.check(scope("scope", req.scope.as_ref()));
        let on = v.check(dates::required("on", req.on.as_ref()));
        v.finish()?;
        let (Some(scope), Some(on)) = (scope, on) else { unreachable!("checked by finish") };
        let b = self.employment.beschut_figures(&scope, on).await?;
        Ok(Response::new(pb::BeschutFigures {
            scope: Some(scope),
            on: Some(dates::to_proto(on)),
            by_step: b.by_step.iter().map(|&(s, n)| pb::StepCount { step: step_to(s), persons: n as i64 }).collect(),
            persons: b.persons as i64,
            hours_per_week: Some(decimals::to_proto(b.hours_per_week)),
            fte: Some(decimals::to_proto(b.fte)),
        }))
    }

    async fn get_activity_figures(&self, request: Request<pb::GetActivityFiguresRequest>) -> ApiResult<pb::ActivityFigures> {
        let req = request.into_inner();
        let (scope, period) = scope_and_period(req.scope.as_ref(), req.period.as_ref())?;
        let counts = self.employment.activity_figures(&scope, period).await?;
        let counts = crate::domain::activity::ActivityKind::ALL
            .iter()
            .map(|&kind| pb::ActivityCount {
                kind: activity_to(kind),
                count: counts.iter().find(|(k, _)| k == kind.code()).map(|(_, n)| *n as i64).unwrap_or(0),
            })
            .collect();
        Ok(Response::new(pb::ActivityFigures { scope: Some(scope), period: period_to_proto(period), counts }))
    }

    async fn list_beschut_employees(
        &self,
        request: Request<pb::ListBeschutEmployeesRequest>,
    ) -> ApiResult<pb::ListBeschutEmployeesResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let on = if req.dates.is_empty() { Some(dates::required("on", req.on.as_ref())?) } else { dates::optional("on", req.on.as_ref())? };
        let on = dates::several("dates", &req.dates, on)?;
        let candidates = (!req.candidate_ids.is_empty()).then_some(req.candidate_ids.as_slice());
        let per_date = self.employment.beschut_employees(codes(&req.municipality_codes), candidates, &on).await?;
        let mut employees = Vec::new();
        for (on, listed) in &per_date {
            caller.touched_all(listed.iter().map(|e| e.candidate_id.as_str()));
            employees.extend(listed.iter().map(|e| employee_to_proto(e, *on)));
        }
        Ok(Response::new(pb::ListBeschutEmployeesResponse { employees }))
    }

    async fn count_beschut_employees(
        &self,
        request: Request<pb::CountBeschutEmployeesRequest>,
    ) -> ApiResult<pb::CountBeschutEmployeesResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let scope = v.check(scope("scope", req.scope.as_ref()));
        let (named, asks) = beschut_asks(&mut v, req.named, req.dates);
        v.finish()?;
        let Some(scope) = scope else { unreachable!("checked by finish") };
        let counted = self.employment.beschut_in_groups(&scope, &named, &asks).await?;
        let steps = |counts: &[(WerkladderStep, u64)]| counts.iter().map(|&(s, n)| pb::StepCount { step: step_to(s), persons: n as i64 }).collect();
        Ok(Response::new(pb::CountBeschutEmployeesResponse {
            dates: counted
                .iter()
                .map(|c| pb::BeschutCountsOn {
                    on: Some(dates::to_proto(c.on)),
                    groups: c.groups.iter().map(|g| pb::BeschutGroupCount { by_step: steps(g) }).collect(),
                    fte: Some(decimals::to_proto(c.in_scope.fte)),
                })
                .collect(),
        }))
    }

    async fn get_lks_contract_groups(
        &self,
        request: Request<pb::GetLksContractGroupsRequest>,
    ) -> ApiResult<pb::LksContractGroups> {
        let req = request.into_inner();
        let mut v = Violations::new();
        if req.municipality_codes.is_empty() {
            v.add("municipality_codes", "at least one paying municipality is required");
        }
        let period = v.check(period("period", req.period.as_ref()));
        v.finish()?;
        let Some(period) = period else { unreachable!("checked by finish") };
        let groups = self.employment.lks_groups(&req.municipality_codes, period).await?;
        Ok(Response::new(pb::LksContractGroups {
            period: period_to_proto(period),
            groups: groups.iter().map(lks_group_to_proto).collect(),
        }))
    }
}

/// The persons named and the dates and groups of a
/// [`pb::CountBeschutEmployeesRequest`]: 1 to [`dates::MAX_DATES`] dates,
/// each with its date; no empty id; every place within `named`. A group's
/// ids join the named persons at places of their own.
fn beschut_asks(v: &mut Violations, mut named: Vec<String>, asked: Vec<pb::BeschutGroupsOn>) -> (Named, Vec<(NaiveDate, Vec<Vec<u32>>)>) {
    v.check(dates::how_many("dates", asked.len()));
    if let Some(k) = named.iter().position(|id| id.trim().is_empty()) {
        v.add(format!("named[{k}]"), "a candidate id is required");
    }
    let places = named.len();
    let mut asks = Vec::with_capacity(asked.len());
    for (i, ask) in asked.into_iter().enumerate() {
        let on = v.check(dates::required(&format!("dates[{i}].on"), ask.on.as_ref()));
        let mut groups = Vec::with_capacity(ask.groups.len());
        for (j, group) in ask.groups.into_iter().enumerate() {
            if let Some(k) = group.named.iter().position(|&place| place as usize >= places) {
                v.add(format!("dates[{i}].groups[{j}].named[{k}]"), format!("is not a place in named (it has {places})"));
            }
            if let Some(k) = group.candidate_ids.iter().position(|id| id.trim().is_empty()) {
                v.add(format!("dates[{i}].groups[{j}].candidate_ids[{k}]"), "a candidate id is required");
            }
            let mut members = group.named;
            for id in group.candidate_ids {
                members.push(named.len() as u32);
                named.push(id);
            }
            groups.push(members);
        }
        asks.extend(on.map(|on| (on, groups)));
    }
    (Named::new(named), asks)
}

fn lks_group_to_proto(g: &crate::store::LksGroup) -> pb::LksContractGroup {
    pb::LksContractGroup {
        paying_municipality_code: g.paying_municipality_code.clone(),
        first_day: Some(dates::to_proto(g.first_day)),
        last_day: Some(dates::to_proto(g.last_day)),
        hours_per_week: Some(decimals::to_proto(g.hours_per_week)),
        doelgroep: doelgroep_to(g.doelgroep),
        loonwaarde: Some(loonwaarde_to_proto(g.loonwaarde)),
        loonwaarde_measurements: g.measurements.iter().map(measurement).collect(),
        contracts: g.contracts as i64,
    }
}

fn employee_to_proto(e: &crate::domain::figures::BeschutEmployee, on: NaiveDate) -> pb::BeschutEmployee {
    pb::BeschutEmployee {
        candidate_id: e.candidate_id.clone(),
        step: step_to(e.step),
        hours_per_week: Some(decimals::to_proto(e.hours_per_week)),
        on: Some(dates::to_proto(on)),
    }
}

fn scope_and_period(s: Option<&cpb::Scope>, p: Option<&pb::Period>) -> Result<(cpb::Scope, Period), ServiceError> {
    let mut v = Violations::new();
    let scope = v.check(scope("scope", s));
    let period = v.check(period("period", p));
    v.finish()?;
    Ok((scope.expect("checked"), period.expect("checked")))
}

fn measurement((date, percent): &(NaiveDate, rust_decimal::Decimal)) -> pb::LoonwaardeMeasurement {
    pb::LoonwaardeMeasurement {
        effective_date: Some(dates::to_proto(*date)),
        measured_percent: Some(decimals::to_proto(*percent)),
    }
}

/// The contracts of one push, each decoded or rejected; more than
/// [`MAX_PUSH`] is refused whole.
fn decoded_batch(contracts: &[pb::ContractInput]) -> Result<Vec<(String, Result<Pushed, Rejection>)>, ServiceError> {
    if contracts.len() > MAX_PUSH {
        let why = format!("holds {} contracts; at most {MAX_PUSH} per push", contracts.len());
        return Err(ServiceError::invalid("contracts", why));
    }
    Ok(contracts
        .iter()
        .map(|input| {
            let id = input.hr_contract_id.trim().to_owned();
            let decoded = match required_text("hr_contract_id", &id) {
                Err(e) => Err(Rejection::new("hr_contract_id", e.violations()[0].description.clone())),
                Ok(_) => decode_contract(input),
            };
            (id, decoded)
        })
        .collect())
}

/// The answer to a push: one result per contract, and the totals.
fn push_response(outcomes: Vec<(String, Outcome)>) -> pb::PushContractsResponse {
    let mut response = pb::PushContractsResponse::default();
    for (hr_contract_id, outcome) in outcomes {
        let (code, field, reason) = match outcome {
            Outcome::Created => (pb::ContractOutcome::Created, String::new(), String::new()),
            Outcome::Updated => (pb::ContractOutcome::Updated, String::new(), String::new()),
            Outcome::Unchanged => (pb::ContractOutcome::Unchanged, String::new(), String::new()),
            Outcome::Rejected(r) => (pb::ContractOutcome::Rejected, r.field, r.reason),
        };
        match code {
            pb::ContractOutcome::Created => response.created += 1,
            pb::ContractOutcome::Updated => response.updated += 1,
            pb::ContractOutcome::Unchanged => response.unchanged += 1,
            _ => response.rejected += 1,
        }
        response.results.push(pb::ContractResult { hr_contract_id, outcome: code as i32, field, reason });
    }
    response
}

/// One batch of a `PushContractBatches` stream, prepared (or why not) and
/// waiting for its write; audited as a call of its own.
struct StreamedBatch {
    contracts: Vec<pb::ContractInput>,
    /// The stream's caller, for a batch prepared again.
    stream: Caller,
    /// This batch's caller: its persons and its audit record.
    caller: Caller,
    prepared: Result<Prepared, ServiceError>,
}

impl StreamedBatch {
    async fn prepare(employment: &Employment, stream: &Caller, contracts: Vec<pb::ContractInput>) -> Self {
        let caller = stream.batch();
        let prepared = match decoded_batch(&contracts) {
            Ok(items) => employment.prepare(items, Some(&caller)).await,
            Err(err) => Err(err),
        };
        Self { contracts, stream: stream.clone(), caller, prepared }
    }

    /// Writes the batch. Planned while the batch before it was written, it
    /// meets a key and fails as ABORTED (storing nothing) if that batch
    /// changed one of its contracts: it is then planned again on what is
    /// stored now, and written once more. A batch that fails is audited
    /// with its error.
    async fn store(self, employment: &Employment) -> Result<Vec<(String, Outcome)>, Status> {
        let started = chrono::Utc::now();
        let written = match self.prepared {
            Ok(prepared) => employment.store(prepared, Some(&self.caller)).await,
            Err(err) => Err(err),
        };
        let (caller, written) = match written {
            Err(ServiceError::Aborted(_)) => {
                let caller = self.stream.batch();
                let again = match decoded_batch(&self.contracts) {
                    Ok(items) => employment.push(items, Some(&caller)).await,
                    Err(err) => Err(err),
                };
                (caller, again)
            }
            other => (self.caller, other),
        };
        match written {
            Ok(pushed) => Ok(pushed.outcomes),
            Err(err) => {
                let status = Status::from(err);
                caller.audit_batch(caller.subjects(), status.code() as i32, started).await?;
                Err(status)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_value_maps_onto_the_protobuf_enums() {
        for &k in ContractKind::ALL {
            assert_eq!(kind_from("k", kind_to(k)).unwrap(), Some(k));
        }
        for &v in SoortPlaatsing::ALL {
            assert_eq!(soort_from("s", soort_to(v)).unwrap(), Some(v));
        }
        for &v in Doelgroep::ALL {
            assert_eq!(doelgroep_from("d", doelgroep_to(v)).unwrap(), Some(v));
        }
        for &v in Uitstroomprofiel::ALL {
            assert_eq!(profiel_from("u", profiel_to(v)).unwrap(), Some(v));
        }
        for &v in WerkladderStep::ALL {
            assert_eq!(step_from("w", step_to(v)).unwrap(), Some(v));
        }
        for &v in TrajectoryResult::ALL {
            assert_eq!(result_from("r", result_to(v)).unwrap(), Some(v));
        }
        for &v in ResultGroup::ALL {
            assert_eq!(group_from("g", group_to(v)).unwrap(), Some(v));
        }
        for &v in Loonwaardeklasse::ALL {
            assert_eq!(klasse_from("l", klasse_to(v)).unwrap(), Some(v));
        }
        for &v in crate::domain::activity::ActivityKind::ALL {
            assert_eq!(activity_from("a", activity_to(v)).unwrap(), Some(v));
        }
    }
}
