//! Statements computed on request, stored nowhere: the LKS per PW contract
//! a municipality pays for (from employment's contracts), and the
//! trajectkostenvergoeding of historical trajectories.

use chrono::NaiveDate;
use partnership_platform::ServiceError;
use rust_decimal::Decimal;

use crate::Finance;
use crate::domain::calendar::{Quarter, check_year, month_first, month_last};
use crate::domain::lks::{ContractFacts, MonthLks, contract_lks, months};
use crate::domain::trajectkosten::{Fee, Potential, fee};

/// The LKS of one contract over some months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractStatement {
    pub facts: ContractFacts,
    /// The months it ran in, each rounded to the cent.
    pub months: Vec<MonthLks>,
    /// The sum of the months.
    pub amount: Decimal,
}

impl Finance {
    /// The LKS a municipality (with those it was formed from) owes for the
    /// PW contracts it pays, for a quarter or (without one) a whole year.
    pub async fn lks_statement(
        &self,
        municipality_code: &str,
        year: i32,
        quarter: Option<u32>,
    ) -> Result<Vec<ContractStatement>, ServiceError> {
        let year = check_year("year", year)?;
        let months = match quarter {
            Some(number) => Quarter::parse("year", "quarter", year, number as i32)?.months().to_vec(),
            None => months(year, 1, 12),
        };
        let directory = self.peers.municipalities().await?;
        directory.known("municipality_code", municipality_code)?;
        let codes = directory.formed_from(municipality_code);
        self.lks_over(&codes, &months).await
    }

    /// The LKS of the contracts paid by `codes` over `months` (in order,
    /// all within one year), per contract that ran in them.
    pub(crate) async fn lks_over(
        &self,
        codes: &[String],
        months: &[(i32, u32)],
    ) -> Result<Vec<ContractStatement>, ServiceError> {
        let (Some(&(year, first)), Some(&(_, last))) = (months.first(), months.last()) else { return Ok(Vec::new()) };
        let first_day = month_first(year, first);
        let last_day = month_last(year, last);
        let mut contracts = self.peers.pw_contracts(codes, first_day, last_day).await?;
        contracts.sort_by(|a, b| a.contract_id.cmp(&b.contract_id));
        let mut statements = Vec::with_capacity(contracts.len());
        for facts in contracts {
            let months = contract_lks(&facts, &self.reference.lks, months)?;
            if months.is_empty() {
                continue;
            }
            let amount = months.iter().map(|m| m.amount).sum();
            statements.push(ContractStatement { facts, months, amount });
        }
        Ok(statements)
    }

    /// The trajectkostenvergoeding of historical trajectories, each by the
    /// tariff in force on its start date.
    pub fn trajectkosten(&self, trajectories: &[(NaiveDate, Potential)]) -> Result<Vec<Fee>, ServiceError> {
        trajectories
            .iter()
            .enumerate()
            .map(|(i, &(start, potential))| {
                fee(&self.reference.trajectkosten, start, potential)
                    .map_err(|e| e.within(&format!("trajectories[{i}].")).into())
            })
            .collect()
    }
}
