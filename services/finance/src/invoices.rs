//! Invoices per municipality per quarter: what is due (the lumpsum
//! instalment, LKS per contract, pluspakket per service), previews, issuing
//! (immutable; later issues correct by new lines), and budget versus
//! realisation. The rules live in `domain::invoice`; this module gathers
//! the inputs and writes down every line's trace.

use partnership_platform::store::is_unique_violation;
use partnership_platform::{ServiceError, dates};
use rust_decimal::Decimal;

use crate::Finance;
use crate::allocations::municipality_parts;
use crate::domain::RuleError;
use crate::domain::calendar::{Quarter, check_year};
use crate::domain::invoice::{Line, LineKind, instalment, lines_to_issue, total};
use crate::domain::lks::{LksBasis, MonthLks};
use crate::domain::money::{money_text, plain_text};
use crate::domain::municipality::Directory;
use crate::domain::pluspakket::{participants, revenue};
use crate::statements::ContractStatement;
use crate::store::{self, InvoiceFilter, InvoiceRow, LumpsumFilter};

/// An invoice, issued or previewed (a preview has no id, number or issue time).
pub type InvoiceView = InvoiceRow;

/// Budget versus realisation of a municipality in a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetRealisation {
    pub municipality_code: String,
    pub year: i32,
    /// (kind, budget, invoiced), for every kind.
    pub kinds: Vec<(LineKind, Decimal, Decimal)>,
}

impl Finance {
    /// What issuing would give now, without issuing.
    pub async fn preview_invoice(
        &self,
        municipality_code: &str,
        quarter: Quarter,
    ) -> Result<InvoiceView, ServiceError> {
        let (lines, seq) = self.plan_invoice(municipality_code, quarter).await?;
        Ok(InvoiceRow {
            id: String::new(),
            number: String::new(),
            municipality_code: municipality_code.to_owned(),
            quarter,
            seq,
            total: total(&lines),
            request_id: None,
            issued_at: String::new(),
            lines,
        })
    }

    /// Issues the quarter's invoice, or a correction invoice if one was
    /// issued before. Refused if there is nothing (more) to invoice.
    pub async fn issue_invoice(
        &self,
        request_id: Option<String>,
        municipality_code: &str,
        quarter: Quarter,
    ) -> Result<InvoiceView, ServiceError> {
        if let Some(existing) = self.invoice_by_request(request_id.as_deref()).await? {
            return Ok(existing);
        }
        let subject = format!("invoices/{municipality_code}/{quarter}");
        if quarter.first_day() > dates::today() {
            return Err(RuleError::refused("quarter", subject, format!("{quarter} has not begun")).into());
        }
        let (lines, seq) = self.plan_invoice(municipality_code, quarter).await?;
        if lines.is_empty() {
            let why = if seq == 1 {
                format!("there is nothing to invoice to {municipality_code} for {quarter}")
            } else {
                format!("nothing changed since the invoices issued to {municipality_code} for {quarter}")
            };
            return Err(RuleError::refused("quarter", subject, why).into());
        }
        let row = InvoiceRow {
            id: crate::new_id(),
            number: format!("{quarter}-{municipality_code}-{seq}"),
            municipality_code: municipality_code.to_owned(),
            quarter,
            seq,
            total: total(&lines),
            request_id,
            issued_at: crate::now(),
            lines,
        };
        let mut tx = self.db.begin_write().await?;
        match store::insert_invoice(tx.conn(), &row).await {
            Ok(()) => tx.commit().await?,
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                // The same request twice at once, or another issue for this
                // quarter came first (its lines change what is due now).
                return self
                    .invoice_by_request(row.request_id.as_deref())
                    .await?
                    .ok_or_else(|| ServiceError::Aborted("another invoice for this quarter came first; retry".into()));
            }
            Err(err) => return Err(err.into()),
        }
        tracing::info!(invoice = %row.number, total = %row.total, lines = row.lines.len(), "issued invoice");
        Ok(row)
    }

    pub async fn invoice(&self, id: &str) -> Result<InvoiceView, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::invoice_by_id(&mut conn, id).await?.ok_or_else(|| ServiceError::not_found("invoice", id))
    }

    pub async fn list_invoices(&self, filter: &InvoiceFilter, limit: i64) -> Result<Vec<InvoiceView>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::list_invoices(&mut conn, filter, limit).await
    }

    async fn invoice_by_request(&self, request_id: Option<&str>) -> Result<Option<InvoiceRow>, ServiceError> {
        let Some(request_id) = request_id else { return Ok(None) };
        let mut conn = self.db.pool().acquire().await?;
        store::invoice_by_request_id(&mut conn, request_id).await
    }

    /// The lines to issue now and the sequence number they would get.
    async fn plan_invoice(&self, municipality_code: &str, quarter: Quarter) -> Result<(Vec<Line>, i64), ServiceError> {
        let directory = self.peers.municipalities().await?;
        directory.existing_throughout(
            "municipality_code",
            municipality_code,
            quarter.first_day(),
            quarter.last_day(),
        )?;
        let issued = {
            let mut conn = self.db.pool().acquire().await?;
            store::invoices_of_quarter(&mut conn, municipality_code, quarter).await?
        };
        let due = self.due_lines(&directory, municipality_code, quarter).await?;
        let invoiced: Vec<Line> = issued.iter().flat_map(|i| i.lines.iter().cloned()).collect();
        let seq = issued.last().map_or(1, |i| i.seq + 1);
        Ok((lines_to_issue(&due, &invoiced), seq))
    }

    /// Every line due for the quarter, computed from the data now.
    async fn due_lines(
        &self,
        directory: &Directory,
        municipality_code: &str,
        quarter: Quarter,
    ) -> Result<Vec<Line>, ServiceError> {
        let mut lines = self.lumpsum_lines(municipality_code, quarter).await?;
        let codes = directory.formed_from(municipality_code);
        for statement in self.lks_over(&codes, &quarter.months()).await? {
            lines.push(lks_line(&statement));
        }
        let registrations = self.peers.pluspakket_registrations(Some(municipality_code), quarter.year).await?;
        let listed = participants(&registrations, quarter.first_day(), quarter.last_day());
        let priced = revenue(&self.reference.prices, listed.iter().map(|(counted, _)| counted.clone()))?;
        for (r, (_, registration_ids)) in priced.into_iter().zip(&listed) {
            lines.push(Line {
                kind: LineKind::Pluspakket,
                source: format!("pluspakket/{}/{}", r.service_code, r.municipality_code),
                description: format!(
                    "Pluspakket {}: {} deelnemer(s) ({})",
                    r.service_code,
                    r.participants,
                    r.municipality_code
                ),
                quantity: Decimal::from(r.participants),
                unit_amount: Some(r.price_per_participant),
                amount: r.revenue,
                trace: format!(
                    "{} × € {} (prijs per deelnemer {}); registraties: {}",
                    r.participants,
                    money_text(r.price_per_participant),
                    r.year,
                    registration_ids.join(", ")
                ),
                correction: false,
            });
        }
        Ok(lines)
    }

    /// The quarter's instalment of the municipality's part of the lumpsum
    /// of each budget period the quarter lies in (one, normally).
    async fn lumpsum_lines(&self, municipality_code: &str, quarter: Quarter) -> Result<Vec<Line>, ServiceError> {
        let mut lines = Vec::new();
        for period in self.periods().await? {
            let quarters = period.quarters_in(quarter.year);
            let Some(index) = quarters.iter().position(|q| *q == quarter) else { continue };
            let filter =
                LumpsumFilter { budget_period_id: Some(period.id.clone()), year: Some(quarter.year), after: None };
            let Some(lumpsum) = self.list_lumpsums(&filter, 1).await?.pop() else { continue };
            let view = self.lumpsum_allocation(&lumpsum).await?;
            let parts = municipality_parts(&view, quarter.first_day())?;
            let Some(part) = parts.iter().find(|p| p.municipality_code == municipality_code) else { continue };
            let amount = instalment(part.amount, &quarters, quarter).ok_or_else(|| {
                ServiceError::Internal(format!("no instalment for {quarter} of lumpsum {}", lumpsum.id))
            })?;
            let from: Vec<String> = part.from.iter().map(|(code, a)| format!("{code} € {}", money_text(*a))).collect();
            let a = &lumpsum.amounts;
            lines.push(Line {
                kind: LineKind::LumpsumInstalment,
                source: format!("lumpsum/{}", lumpsum.id),
                description: format!("Lumpsum basispakket {}: termijn {} van {} ({quarter})", lumpsum.year, index + 1, quarters.len()),
                quantity: Decimal::ONE,
                unit_amount: None,
                amount,
                trace: format!(
                    "lumpsum {} € {} (basis € {} + opslag {}% € {}), verdeeld naar {}: {} = € {}; in {} gelijke termijnen",
                    lumpsum.year,
                    money_text(a.total()),
                    money_text(a.base),
                    plain_text(a.surcharge_percent),
                    money_text(a.surcharge),
                    view.key.description,
                    from.join(" + "),
                    money_text(part.amount),
                    quarters.len()
                ),
                correction: false,
            });
        }
        Ok(lines)
    }

    /// Budget (the lumpsum part) versus realisation (issued invoices) of a
    /// municipality, with those it was formed from, in a year.
    pub async fn budget_realisation(
        &self,
        municipality_code: &str,
        year: i32,
    ) -> Result<BudgetRealisation, ServiceError> {
        let year = check_year("year", year)?;
        let directory = self.peers.municipalities().await?;
        directory.known("municipality_code", municipality_code)?;
        let codes = directory.formed_from(municipality_code);
        let mut budget = Decimal::ZERO;
        let lumpsums =
            self.list_lumpsums(&LumpsumFilter { year: Some(year), ..LumpsumFilter::default() }, i64::MAX).await?;
        for lumpsum in &lumpsums {
            let view = self.lumpsum_allocation(lumpsum).await?;
            budget +=
                view.parts.iter().filter(|p| codes.contains(&p.municipality_code)).map(|p| p.amount).sum::<Decimal>();
        }
        let filter = InvoiceFilter { municipality_codes: Some(codes), year: Some(year), ..InvoiceFilter::default() };
        let invoices = self.list_invoices(&filter, i64::MAX).await?;
        let kinds = LineKind::ALL
            .into_iter()
            .map(|kind| {
                let invoiced =
                    invoices.iter().flat_map(|i| &i.lines).filter(|l| l.kind == kind).map(|l| l.amount).sum();
                let budget = if kind == LineKind::LumpsumInstalment { budget } else { Decimal::ZERO };
                (kind, budget, invoiced)
            })
            .collect();
        Ok(BudgetRealisation { municipality_code: municipality_code.to_owned(), year, kinds })
    }
}

fn lks_line(statement: &ContractStatement) -> Line {
    let facts = &statement.facts;
    let what = if facts.beschut { "beschut" } else { "PW" };
    Line {
        kind: LineKind::Lks,
        source: format!("lks/{}", facts.contract_id),
        description: format!(
            "Loonkostensubsidie {what}, contract {} ({} maand(en))",
            facts.contract_id,
            statement.months.len()
        ),
        quantity: Decimal::from(statement.months.len() as u64),
        unit_amount: None,
        amount: statement.amount,
        trace: statement.months.iter().map(month_trace).collect::<Vec<_>>().join("; "),
        correction: false,
    }
}

/// One month of LKS as people check it: "2021-08: € 1701.00 × 36/36 uur
/// × (55% × 16 d) ÷ 31 d × 1.23 = € 593.92".
fn month_trace(m: &MonthLks) -> String {
    let segments: Vec<String> = m
        .segments
        .iter()
        .map(|s| {
            let why = match (s.subsidy.basis, s.subsidy.loonwaarde) {
                (LksBasis::Beschut, _) => "beschut".to_owned(),
                (LksBasis::Measured, Some(lw)) => format!("loonwaarde {}%", plain_text(lw)),
                (LksBasis::Forfaitair, Some(lw)) => format!("forfaitair {}%", plain_text(lw)),
                (_, None) => String::new(),
            };
            format!("{}% × {} d [{why}]", plain_text(s.subsidy.percent), s.days())
        })
        .collect();
    format!(
        "{}-{:02}: € {} × {}/{} uur × ({}) ÷ {} d × (1 + {}%) = € {}",
        m.year,
        m.month,
        money_text(m.wage_base),
        plain_text(m.hours_per_week),
        plain_text(m.full_time_hours),
        segments.join(" + "),
        m.days_in_month,
        plain_text(m.employer_cost_percent),
        money_text(m.amount)
    )
}
