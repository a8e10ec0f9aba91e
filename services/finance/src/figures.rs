//! Figures for reports (aggregates only, no person): the lumpsum per
//! municipality, LKS totals per paying municipality, and pluspakket
//! participants and revenue per service per municipality, for a year
//! through a quarter, for a scope. Aggregation is pushed down here; the
//! reporting service only composes.
//!
//! If employment cannot be reached, the LKS figures are left empty and the
//! answer says so (`unavailable`): a report shows the gap, it never shows
//! an estimate.

use std::collections::BTreeMap;

use partnership_platform::ServiceError;
use rust_decimal::Decimal;

use crate::allocations::municipality_parts;
use crate::domain::allocation::p_budget_share_percent;
use crate::domain::calendar::{Quarter, check_year, month_first, month_last};
use crate::domain::invoice::instalment;
use crate::domain::lks::{MonthAmounts, months};
use crate::domain::pluspakket::{ServiceRevenue, revenue};
use crate::peers::Scope;
use crate::store::LumpsumFilter;
use crate::{Finance, RuleError};

/// The lumpsum of one municipality (as it existed in the year).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LumpsumFigure {
    pub municipality_code: String,
    pub current_municipality_code: String,
    pub yearly_amount: Decimal,
    /// The instalments of the quarters through the one asked for.
    pub through_quarter_amount: Decimal,
    pub p_budget_share_percent: Option<Decimal>,
}

/// LKS of one paying municipality (as the contracts name it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LksFigure {
    pub municipality_code: String,
    pub contracts: u64,
    pub amount: Decimal,
}

/// The finance figures of a scope for a year through a quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    pub year: i32,
    pub through_quarter: u32,
    pub lumpsum: Vec<LumpsumFigure>,
    pub lks: Vec<LksFigure>,
    pub pluspakket: Vec<ServiceRevenue>,
    /// Sources that could not be reached, and why.
    pub unavailable: Vec<String>,
}

impl Finance {
    pub async fn figures(&self, scope: &Scope, year: i32, through_quarter: u32) -> Result<Figures, ServiceError> {
        let year = check_year("year", year)?;
        let through = Quarter::new(year, through_quarter)
            .ok_or_else(|| RuleError::invalid("through_quarter", format!("{through_quarter} is not a quarter 1–4")))?;
        let codes = self.peers.resolve_scope(scope).await?;
        let mut figures = Figures {
            year,
            through_quarter,
            lumpsum: self.lumpsum_figures(&codes, through).await?,
            lks: Vec::new(),
            pluspakket: Vec::new(),
            unavailable: Vec::new(),
        };
        // The two asks of the peers are independent: made at once. Intake
        // counts the pluspakket registrations (no person leaves it), for a
        // municipality its own (those of the municipalities it was formed
        // from included), not everyone's.
        let months = months(year, 1, through.number * 3);
        let municipality = match scope {
            Scope::Municipality(code) => Some(code.as_str()),
            Scope::Partnership | Scope::Area(_) => None,
        };
        let (first, last) = (month_first(year, 1), through.last_day());
        let (lks, participants) =
            tokio::join!(self.lks_figures(&codes, &months), self.peers.pluspakket_participants(municipality, first, last));
        match lks {
            Ok(lks) => figures.lks = lks,
            Err(ServiceError::Unavailable(detail)) => figures.unavailable.push(detail),
            Err(other) => return Err(other),
        }
        let in_scope = participants?.into_iter().filter(|p| codes.contains(&p.municipality_code));
        figures.pluspakket = revenue(&self.reference.prices, in_scope)?;
        Ok(figures)
    }

    /// LKS per paying municipality over some months of one year, from the
    /// contracts grouped by their LKS facts: a group's LKS is that of one
    /// of its contracts (each month rounded to the cent) times its size,
    /// the same sum to the cent as contract by contract.
    async fn lks_figures(&self, codes: &[String], months: &[(i32, u32)]) -> Result<Vec<LksFigure>, ServiceError> {
        let (Some(&(year, first)), Some(&(_, last))) = (months.first(), months.last()) else { return Ok(Vec::new()) };
        let groups = self.peers.pw_contract_groups(codes, month_first(year, first), month_last(year, last)).await?;
        let mut by_municipality: BTreeMap<String, LksFigure> = BTreeMap::new();
        let mut amounts = MonthAmounts::new(&self.reference.lks, months);
        for (facts, contracts) in groups {
            let Some(one) = amounts.total(&facts)? else { continue };
            let code = facts.paying_municipality_code;
            let figure = by_municipality.entry(code.clone()).or_insert_with(|| LksFigure {
                municipality_code: code,
                contracts: 0,
                amount: Decimal::ZERO,
            });
            figure.contracts += contracts;
            figure.amount += one * Decimal::from(contracts);
        }
        Ok(by_municipality.into_values().collect())
    }

    /// The lumpsum parts of the municipalities in `codes`, as they existed
    /// in the year, with the instalments through the quarter.
    async fn lumpsum_figures(&self, codes: &[String], through: Quarter) -> Result<Vec<LumpsumFigure>, ServiceError> {
        let mut result: Vec<LumpsumFigure> = Vec::new();
        for period in self.periods().await? {
            let quarters = period.quarters_in(through.year);
            let Some(first) = quarters.first() else { continue };
            let filter =
                LumpsumFilter { budget_period_id: Some(period.id.clone()), year: Some(through.year), after: None };
            let Some(lumpsum) = self.list_lumpsums(&filter, 1).await?.pop() else { continue };
            let view = self.lumpsum_allocation(&lumpsum).await?;
            for part in municipality_parts(&view, first.first_day())? {
                if !codes.contains(&part.municipality_code) {
                    continue;
                }
                let paid: Decimal = quarters
                    .iter()
                    .filter(|q| **q <= through)
                    .filter_map(|q| instalment(part.amount, &quarters, *q))
                    .sum();
                let share = p_budget_share_percent(view.key.kind, part.amount, part.weight);
                match result.iter_mut().find(|f| f.municipality_code == part.municipality_code) {
                    // Two periods in one year: the parts add, a share of
                    // two keys means nothing.
                    Some(f) => {
                        f.yearly_amount += part.amount;
                        f.through_quarter_amount += paid;
                        f.p_budget_share_percent = None;
                    }
                    None => result.push(LumpsumFigure {
                        current_municipality_code: view.directory.current(&part.municipality_code),
                        municipality_code: part.municipality_code,
                        yearly_amount: part.amount,
                        through_quarter_amount: paid,
                        p_budget_share_percent: share,
                    }),
                }
            }
        }
        Ok(result)
    }
}
