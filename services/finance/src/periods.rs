//! Budget periods and their yearly lumpsums: creating them (idempotently,
//! checked by the rules of `domain::period` and `domain::lumpsum`) and
//! finding them again.

use chrono::NaiveDate;
use partnership_platform::ServiceError;
use partnership_platform::store::is_unique_violation;
use rust_decimal::Decimal;

use crate::Finance;
use crate::domain::RuleError;
use crate::domain::allocation::KeyKind;
use crate::domain::calendar::check_year;
use crate::domain::lumpsum::LumpsumAmounts;
use crate::domain::period::{BudgetPeriod, check_dates, check_no_overlap};
use crate::store::{self, LumpsumFilter, LumpsumRow, PeriodRow};

/// A budget period to create.
#[derive(Debug, Clone)]
pub struct NewPeriod {
    pub request_id: Option<String>,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub description: String,
}

/// A lumpsum to create.
#[derive(Debug, Clone)]
pub struct NewLumpsum {
    pub request_id: Option<String>,
    pub budget_period_id: String,
    pub year: i32,
    pub base: Decimal,
    /// The key (year, kind); by default the P-budget key of `year`.
    pub key: Option<(i32, KeyKind)>,
}

impl Finance {
    pub async fn create_period(&self, new: NewPeriod) -> Result<PeriodRow, ServiceError> {
        if let Some(existing) = self.period_by_request(new.request_id.as_deref()).await? {
            return Ok(existing);
        }
        check_dates(new.first_day, new.last_day)?;
        let row = PeriodRow {
            period: BudgetPeriod {
                id: crate::new_id(),
                first_day: new.first_day,
                last_day: new.last_day,
                description: new.description,
            },
            request_id: new.request_id,
            created_at: crate::now(),
        };
        let mut tx = self.db.begin_write().await?;
        store::lock_periods(tx.conn()).await?;
        let existing = store::all_periods(tx.conn()).await?;
        check_no_overlap(&existing, row.period.first_day, row.period.last_day)?;
        match store::insert_period(tx.conn(), &row).await {
            Ok(()) => tx.commit().await?,
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                return self.period_by_request(row.request_id.as_deref()).await?.ok_or_else(retry);
            }
            Err(err) => return Err(err.into()),
        }
        Ok(row)
    }

    async fn period_by_request(&self, request_id: Option<&str>) -> Result<Option<PeriodRow>, ServiceError> {
        let Some(request_id) = request_id else { return Ok(None) };
        let mut conn = self.db.pool().acquire().await?;
        store::period_by_request_id(&mut conn, request_id).await
    }

    pub async fn list_periods(
        &self,
        after: Option<&(NaiveDate, String)>,
        limit: i64,
    ) -> Result<Vec<PeriodRow>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::list_periods(&mut conn, after, limit).await
    }

    pub async fn periods(&self) -> Result<Vec<BudgetPeriod>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::all_periods(&mut conn).await
    }

    pub async fn create_lumpsum(&self, new: NewLumpsum) -> Result<LumpsumRow, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        if let Some(request_id) = &new.request_id
            && let Some(existing) = store::lumpsum_by_request_id(&mut conn, request_id).await?
        {
            return Ok(existing);
        }
        let year = check_year("year", new.year)?;
        let amounts = LumpsumAmounts::from_base(new.base, self.reference.surcharge_percent)?;
        let period = store::period_by_id(&mut conn, &new.budget_period_id)
            .await?
            .ok_or_else(|| RuleError::invalid("budget_period_id", "no budget period with this id"))?
            .period;
        if !period.years().contains(&year) {
            return Err(RuleError::invalid(
                "year",
                format!("{year} is not a year of the budget period {} – {}", period.first_day, period.last_day),
            )
            .into());
        }
        let (key_year, key_kind) = new.key.unwrap_or((year, KeyKind::PBudgetNieuweDoelgroepen));
        if self.reference.key(key_year, key_kind).is_none() {
            return Err(RuleError::refused(
                "key",
                "reference/allocation_keys",
                format!("the reference data has no {} key for {key_year}", key_kind.code()),
            )
            .into());
        }
        let taken = LumpsumFilter { budget_period_id: Some(period.id.clone()), year: Some(year), after: None };
        if let Some(other) = store::list_lumpsums(&mut conn, &taken, 1).await?.pop() {
            return Err(already_fixed(&other).into());
        }
        drop(conn);
        let row = LumpsumRow {
            id: crate::new_id(),
            budget_period_id: period.id,
            year,
            amounts,
            key_year,
            key_kind,
            request_id: new.request_id,
            created_at: crate::now(),
        };
        let mut tx = self.db.begin_write().await?;
        match store::insert_lumpsum(tx.conn(), &row).await {
            Ok(()) => tx.commit().await?,
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                // The same request came twice at once, or another lumpsum
                // for this period and year got there first.
                let mut conn = self.db.pool().acquire().await?;
                if let Some(request_id) = &row.request_id
                    && let Some(existing) = store::lumpsum_by_request_id(&mut conn, request_id).await?
                {
                    return Ok(existing);
                }
                return Err(retry());
            }
            Err(err) => return Err(err.into()),
        }
        Ok(row)
    }

    pub async fn lumpsum(&self, id: &str) -> Result<LumpsumRow, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::lumpsum_by_id(&mut conn, id).await?.ok_or_else(|| ServiceError::not_found("lumpsum", id))
    }

    pub async fn list_lumpsums(&self, filter: &LumpsumFilter, limit: i64) -> Result<Vec<LumpsumRow>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::list_lumpsums(&mut conn, filter, limit).await
    }
}

fn already_fixed(other: &LumpsumRow) -> RuleError {
    RuleError::refused(
        "year",
        format!("lumpsums/{}", other.id),
        format!("the lumpsum for {} is fixed already in this budget period", other.year),
    )
}

fn retry() -> ServiceError {
    ServiceError::Aborted("a concurrent change came first; retry".into())
}
