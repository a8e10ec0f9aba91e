//! The gRPC face of finance: decodes requests into domain values
//! ([`decode`], collecting every bad field), calls the operations, encodes
//! the answers ([`encode`]). No rules live here beyond "which field is
//! required".

mod decode;
mod encode;

use partnership_platform::auth::Caller;
use partnership_platform::{ServiceError, Violations, dates};
use partnership_proto::finance as pb;
use tonic::{Request, Response, Status};

use crate::domain::calendar::Quarter;
use crate::store::{InvoiceFilter, LumpsumFilter};
use crate::{AllocationRequest, AmountSource, Finance, KeyChoice, NewLumpsum, NewPeriod};
use decode::{next_token, optional, page_size, required};

/// The most trajectories priced in one request.
pub const MAX_TRAJECTORIES: usize = 10_000;

pub struct FinanceApi {
    finance: Finance,
}

impl FinanceApi {
    pub fn new(finance: Finance) -> Self {
        Self { finance }
    }
}

type ApiResult<T> = Result<Response<T>, Status>;

fn reply<T>(result: Result<T, ServiceError>) -> ApiResult<T> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl pb::finance_service_server::FinanceService for FinanceApi {
    async fn create_budget_period(
        &self,
        request: Request<pb::CreateBudgetPeriodRequest>,
    ) -> ApiResult<pb::BudgetPeriod> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let first_day = v.check(dates::required("first_day", req.first_day.as_ref()));
        let last_day = v.check(dates::required("last_day", req.last_day.as_ref()));
        v.finish()?;
        let (Some(first_day), Some(last_day)) = (first_day, last_day) else { unreachable!("checked by finish") };
        let new = NewPeriod {
            request_id: decode::request_id(&req.request_id)?,
            first_day,
            last_day,
            description: decode::text("description", &req.description)?,
        };
        reply(self.finance.create_period(new).await.map(|p| encode::period(&p)))
    }

    async fn list_budget_periods(
        &self,
        request: Request<pb::ListBudgetPeriodsRequest>,
    ) -> ApiResult<pb::ListBudgetPeriodsResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let limit = v.check(page_size(req.page_size));
        let after = v.check(decode::page_token_date(&req.page_token));
        v.finish()?;
        let (Some(limit), Some(after)) = (limit, after) else { unreachable!("checked by finish") };
        let mut found = self.finance.list_periods(after.as_ref(), limit + 1).await?;
        let next_page_token = next_token(&mut found, limit, |p| format!("{}|{}", p.period.first_day, p.period.id));
        let budget_periods = found.iter().map(encode::period).collect();
        Ok(Response::new(pb::ListBudgetPeriodsResponse { budget_periods, next_page_token }))
    }

    async fn create_lumpsum(&self, request: Request<pb::CreateLumpsumRequest>) -> ApiResult<pb::Lumpsum> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let period = v.check(required("budget_period_id", &req.budget_period_id));
        let year = v.check(decode::year("year", req.year));
        let base = v.check(decode::amount("base", req.base.as_ref()));
        let key = v.check(decode::key_ref("key", req.key.as_ref()));
        v.finish()?;
        let (Some(budget_period_id), Some(year), Some(base), Some(key)) = (period, year, base, key) else {
            unreachable!("checked by finish")
        };
        let new = NewLumpsum { request_id: decode::request_id(&req.request_id)?, budget_period_id, year, base, key };
        reply(self.finance.create_lumpsum(new).await.map(|l| encode::lumpsum(&l)))
    }

    async fn list_lumpsums(&self, request: Request<pb::ListLumpsumsRequest>) -> ApiResult<pb::ListLumpsumsResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let limit = v.check(page_size(req.page_size));
        let after = v.check(decode::page_token_year(&req.page_token));
        let year = v.check(decode::year_filter("year", req.year));
        v.finish()?;
        let (Some(limit), Some(after), Some(year)) = (limit, after, year) else { unreachable!("checked by finish") };
        let filter = LumpsumFilter { budget_period_id: optional(&req.budget_period_id), year, after };
        let mut found = self.finance.list_lumpsums(&filter, limit + 1).await?;
        let next_page_token = next_token(&mut found, limit, |l| format!("{}|{}", l.year, l.id));
        let lumpsums = found.iter().map(encode::lumpsum).collect();
        Ok(Response::new(pb::ListLumpsumsResponse { lumpsums, next_page_token }))
    }

    async fn list_allocation_keys(
        &self,
        request: Request<pb::ListAllocationKeysRequest>,
    ) -> ApiResult<pb::ListAllocationKeysResponse> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let year = v.check(decode::year_filter("year", req.year));
        let kind = v.check(decode::key_kind("kind", req.kind));
        v.finish()?;
        let (Some(year), Some(kind)) = (year, kind) else { unreachable!("checked by finish") };
        let keys: Vec<_> = self
            .finance
            .reference()
            .keys
            .iter()
            .filter(|k| year.is_none_or(|y| k.year == y) && kind.is_none_or(|c| k.kind == Some(c)))
            .collect();
        let (page, next_page_token) = decode::page_of(&keys, &req.page_token, req.page_size)?;
        let keys = page.into_iter().map(encode::key).collect();
        Ok(Response::new(pb::ListAllocationKeysResponse { keys, next_page_token }))
    }

    async fn allocate_lumpsum(&self, request: Request<pb::AllocateLumpsumRequest>) -> ApiResult<pb::Allocation> {
        use pb::allocate_lumpsum_request::AmountSource as Source;
        let req = request.into_inner();
        let mut v = Violations::new();
        let amount = match &req.amount_source {
            Some(Source::LumpsumId(id)) => v.check(required("lumpsum_id", id).map(AmountSource::Lumpsum)),
            Some(Source::Amount(amount)) => v.check(decode::amount("amount", Some(amount)).map(AmountSource::Amount)),
            None => {
                v.add("amount_source", "is required: lumpsum_id or amount");
                None
            }
        };
        let key_ref = v.check(decode::key_ref("key", req.key.as_ref()));
        let entries = v.check(decode::key_entries("key_entries", &req.key_entries));
        if let (Some(Some(_)), Some(entries)) = (&key_ref, &entries)
            && !entries.is_empty()
        {
            v.add("key_entries", "give a key or key_entries, not both");
        }
        v.finish()?;
        let (Some(amount), Some(key_ref), Some(entries)) = (amount, key_ref, entries) else {
            unreachable!("checked by finish")
        };
        let key = match key_ref {
            Some((year, kind)) => KeyChoice::Reference(year, kind),
            None if !entries.is_empty() => KeyChoice::AdHoc(entries),
            None => KeyChoice::OfLumpsum,
        };
        reply(self.finance.allocate(AllocationRequest { amount, key }).await.map(|a| encode::allocation(&a)))
    }

    async fn compute_lks(&self, request: Request<pb::ComputeLksRequest>) -> ApiResult<pb::LksStatement> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let municipality = v.check(required("municipality_code", &req.municipality_code));
        let year = v.check(decode::year("year", req.year));
        let quarter = match req.quarter {
            0 => Some(None),
            n => v.check(
                Quarter::parse("year", "quarter", req.year, n).map(|q| Some(q.number)).map_err(ServiceError::from),
            ),
        };
        v.finish()?;
        let (Some(municipality_code), Some(year), Some(quarter)) = (municipality, year, quarter) else {
            unreachable!("checked by finish")
        };
        caller.check_acts_for("municipality_code", &municipality_code)?;
        let statements = self.finance.lks_statement(&municipality_code, year, quarter).await?;
        caller.touched_all(statements.iter().map(|s| s.facts.candidate_id.as_str()));
        Ok(Response::new(pb::LksStatement {
            municipality_code,
            year,
            quarter: req.quarter,
            total: encode::money(statements.iter().map(|s| s.amount).sum()),
            contracts: statements.iter().map(encode::contract_lks).collect(),
        }))
    }

    async fn compute_trajectkostenvergoeding(
        &self,
        request: Request<pb::ComputeTrajectkostenvergoedingRequest>,
    ) -> ApiResult<pb::TrajectkostenvergoedingStatement> {
        let req = request.into_inner();
        if req.trajectories.len() > MAX_TRAJECTORIES {
            return Err(ServiceError::invalid("trajectories", format!("at most {MAX_TRAJECTORIES} per request")).into());
        }
        let mut v = Violations::new();
        let decoded: Vec<_> = req
            .trajectories
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let start = v.check(dates::required(&format!("trajectories[{i}].start_date"), t.start_date.as_ref()));
                let potential = v.check(decode::potential(&format!("trajectories[{i}].potential"), t.potential));
                Some((start?, potential?))
            })
            .collect();
        v.finish()?;
        let fees = self.finance.trajectkosten(&decoded)?;
        Ok(Response::new(pb::TrajectkostenvergoedingStatement {
            total: encode::money(fees.iter().map(|f| f.fee).sum()),
            fees: req
                .trajectories
                .into_iter()
                .zip(&fees)
                .map(|(trajectory, fee)| pb::TrajectoryFee {
                    trajectory: Some(trajectory),
                    fee: encode::money(fee.fee),
                    tariff_from: fee.tariff_from.map(dates::to_proto),
                })
                .collect(),
        }))
    }

    async fn list_pluspakket_prices(
        &self,
        request: Request<pb::ListPluspakketPricesRequest>,
    ) -> ApiResult<pb::ListPluspakketPricesResponse> {
        let req = request.into_inner();
        let year = decode::year_filter("year", req.year)?;
        let service = optional(&req.service_code);
        let prices: Vec<_> = self
            .finance
            .reference()
            .prices
            .iter()
            .filter(|p| year.is_none_or(|y| p.year == y) && service.as_ref().is_none_or(|s| &p.service_code == s))
            .collect();
        let (page, next_page_token) = decode::page_of(&prices, &req.page_token, req.page_size)?;
        let prices = page.into_iter().map(encode::price).collect();
        Ok(Response::new(pb::ListPluspakketPricesResponse { prices, next_page_token }))
    }

    async fn preview_invoice(&self, request: Request<pb::PreviewInvoiceRequest>) -> ApiResult<pb::Invoice> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let (municipality_code, quarter) = invoice_target(&req.municipality_code, req.year, req.quarter)?;
        caller.check_acts_for("municipality_code", &municipality_code)?;
        reply(self.finance.preview_invoice(&municipality_code, quarter).await.map(|i| encode::invoice(&i)))
    }

    async fn issue_invoice(&self, request: Request<pb::IssueInvoiceRequest>) -> ApiResult<pb::Invoice> {
        let req = request.into_inner();
        let (municipality_code, quarter) = invoice_target(&req.municipality_code, req.year, req.quarter)?;
        let issued = self.finance.issue_invoice(decode::request_id(&req.request_id)?, &municipality_code, quarter).await;
        reply(issued.map(|i| encode::invoice(&i)))
    }

    async fn get_invoice(&self, request: Request<pb::GetInvoiceRequest>) -> ApiResult<pb::Invoice> {
        let caller = Caller::of(&request)?;
        let id = required("id", &request.into_inner().id)?;
        let invoice = self.finance.invoice(&id).await?;
        caller.check_visible(&invoice.municipality_code, "invoice", &id)?;
        Ok(Response::new(encode::invoice(&invoice)))
    }

    async fn list_invoices(&self, request: Request<pb::ListInvoicesRequest>) -> ApiResult<pb::ListInvoicesResponse> {
        let caller = Caller::of(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let limit = v.check(page_size(req.page_size));
        let after = v.check(decode::page_token(&req.page_token));
        let year = v.check(decode::year_filter("year", req.year));
        v.finish()?;
        let (Some(limit), Some(after), Some(year)) = (limit, after, year) else { unreachable!("checked by finish") };
        let filter = InvoiceFilter {
            municipality_codes: caller.narrow("municipality_code", optional(&req.municipality_code).map(|c| vec![c]))?,
            year,
            quarter: None,
            after,
        };
        let mut found = self.finance.list_invoices(&filter, limit + 1).await?;
        let next_page_token = next_token(&mut found, limit, |i| i.id.clone());
        let invoices = found.iter().map(encode::invoice).collect();
        Ok(Response::new(pb::ListInvoicesResponse { invoices, next_page_token }))
    }

    async fn get_budget_realisation(
        &self,
        request: Request<pb::GetBudgetRealisationRequest>,
    ) -> ApiResult<pb::BudgetRealisation> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let municipality = v.check(required("municipality_code", &req.municipality_code));
        let year = v.check(decode::year("year", req.year));
        v.finish()?;
        let (Some(municipality_code), Some(year)) = (municipality, year) else { unreachable!("checked by finish") };
        reply(self.finance.budget_realisation(&municipality_code, year).await.map(|b| encode::budget(&b)))
    }

    async fn get_finance_figures(
        &self,
        request: Request<pb::GetFinanceFiguresRequest>,
    ) -> ApiResult<pb::FinanceFigures> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let scope = v.check(decode::scope("scope", req.scope.as_ref()));
        let year = v.check(decode::year("year", req.year));
        let through = match req.through_quarter {
            0 => Some(4),
            n @ 1..=4 => Some(n as u32),
            n => {
                v.add("through_quarter", format!("{n} is not a quarter 1–4"));
                None
            }
        };
        v.finish()?;
        let (Some(scope), Some(year), Some(through)) = (scope, year, through) else {
            unreachable!("checked by finish")
        };
        reply(self.finance.figures(&scope, year, through).await.map(|f| encode::figures(&f, req.scope)))
    }
}

/// The municipality and quarter of an invoice request.
fn invoice_target(municipality_code: &str, year: i32, quarter: i32) -> Result<(String, Quarter), ServiceError> {
    let mut v = Violations::new();
    let municipality = v.check(required("municipality_code", municipality_code));
    let quarter = v.check(Quarter::parse("year", "quarter", year, quarter).map_err(ServiceError::from));
    v.finish()?;
    let (Some(municipality), Some(quarter)) = (municipality, quarter) else { unreachable!("checked by finish") };
    Ok((municipality, quarter))
}
