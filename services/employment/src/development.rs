//! What trajectory staff record: completed trajectories, werkladder steps,
//! loonwaarde measurements and uitstroomprofiel changes, activities; and the
//! lists they work from (trajectories past their 23 months, forfaitair
//! contracts overdue for a measurement).

use chrono::{Months, NaiveDate};
use partnership_platform::store::is_unique_violation;
use partnership_platform::ServiceError;
use partnership_platform::tally::Tallies;
use rust_decimal::Decimal;

use crate::Employment;
use crate::domain::contract::{Contract, ContractKind, Loonwaarde, Uitstroomprofiel, WerkladderStep};
use crate::domain::trajectory::{TrajectoryResult, past_maximum};
use crate::store::{self, ActivityRow, EventRow, TrajectoryFilter, TrajectoryRow};
use crate::tallies;

/// A development event's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Development {
    WerkladderStep(WerkladderStep),
    Loonwaarde(Decimal),
    Uitstroomprofiel(Uitstroomprofiel),
}

impl Development {
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Self::WerkladderStep(_) => "WERKLADDER_STEP",
            Self::Loonwaarde(_) => "LOONWAARDE",
            Self::Uitstroomprofiel(_) => "UITSTROOMPROFIEL",
        }
    }

    fn value(self) -> String {
        match self {
            Self::WerkladderStep(step) => step.code().to_owned(),
            Self::Loonwaarde(percent) => percent.normalize().to_string(),
            Self::Uitstroomprofiel(profile) => profile.code().to_owned(),
        }
    }

    pub(crate) fn from_row(kind: &str, value: &str) -> Option<Self> {
        match kind {
            "WERKLADDER_STEP" => WerkladderStep::from_code(value).map(Self::WerkladderStep),
            "LOONWAARDE" => value.parse().ok().map(Self::Loonwaarde),
            "UITSTROOMPROFIEL" => Uitstroomprofiel::from_code(value).map(Self::Uitstroomprofiel),
            _ => None,
        }
    }
}

/// A forfaitair contract's measurement is due by the end of its 3rd month.
pub fn measurement_deadline(start: NaiveDate) -> NaiveDate {
    let three_months = start.checked_add_months(Months::new(3)).unwrap_or(NaiveDate::MAX);
    three_months.pred_opt().unwrap_or(three_months)
}

impl Employment {
    pub async fn complete_trajectory(&self, id: &str, date: NaiveDate, result: TrajectoryResult) -> Result<TrajectoryRow, ServiceError> {
        let mut tx = self.db.begin_write().await?;
        store::lock_contract_of_trajectory(tx.conn(), id).await?;
        let trajectory =
            store::trajectory_by_id(tx.conn(), id).await?.ok_or_else(|| ServiceError::not_found("trajectory", id))?;
        if let Some((done, _)) = trajectory.completion {
            return Err(ServiceError::precondition("trajectory_id", format!("trajectories/{id}"), format!("completed already on {done}")));
        }
        if date < trajectory.contract.start_date {
            return Err(ServiceError::invalid("completion_date", format!("is before the start, {}", trajectory.contract.start_date)));
        }
        if !store::complete_trajectory(tx.conn(), id, date, result).await? {
            return Err(ServiceError::Aborted("the trajectory was completed by a call at the same time; read it again".into()));
        }
        let mut kept = Tallies::new();
        tallies::completed(&mut kept, &trajectory.contract, date, result);
        kept.write(tx.conn()).await?;
        tx.commit().await?;
        Ok(TrajectoryRow { completion: Some((date, result)), ..trajectory })
    }

    pub async fn record_development(
        &self,
        request_id: Option<String>,
        hr_contract_id: &str,
        date: NaiveDate,
        change: Development,
    ) -> Result<EventRow, ServiceError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(request_id) = &request_id {
            if let Some(done) = store::event_by_request_id(tx.conn(), request_id).await? {
                return Ok(done);
            }
        }
        let ids = [hr_contract_id.to_owned()];
        let (contract, _, _) = store::contracts_by_ids(tx.conn(), &ids)
            .await?
            .remove(hr_contract_id)
            .ok_or_else(|| ServiceError::invalid("event.hr_contract_id", "no contract with this id"))?;
        if contract.kind != ContractKind::Pw {
            return Err(ServiceError::invalid("event.hr_contract_id", "development is recorded for PW contracts only"));
        }
        if date < contract.start_date {
            return Err(ServiceError::invalid("event.effective_date", format!("is before the contract's start, {}", contract.start_date)));
        }
        if let Development::Loonwaarde(p) = change {
            if p < Decimal::ZERO || p > Decimal::ONE_HUNDRED {
                return Err(ServiceError::invalid("event.loonwaarde_percent", "must be a percentage from 0 to 100"));
            }
        }
        let row = EventRow {
            id: crate::new_id(),
            hr_contract_id: hr_contract_id.to_owned(),
            effective_date: date,
            kind: change.kind().to_owned(),
            value: change.value(),
        };
        match store::insert_event(tx.conn(), &row, request_id.as_deref(), &crate::now()).await {
            Ok(()) => tx.commit().await?,
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                let mut conn = self.db.pool().acquire().await?;
                return store::event_by_request_id(&mut conn, request_id.as_deref().unwrap_or_default())
                    .await?
                    .ok_or_else(|| ServiceError::Aborted("a concurrent change came first; retry".into()));
            }
            Err(err) => return Err(err.into()),
        }
        Ok(row)
    }

    /// Trajectories by filter; with `past_maximum_on`, only those open on
    /// that date and past their 23 months.
    pub async fn trajectories(
        &self,
        filter: &TrajectoryFilter,
        past_maximum_on: Option<NaiveDate>,
        limit: i64,
    ) -> Result<Vec<TrajectoryRow>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let mut found = Vec::new();
        let mut filter = filter.clone();
        // Page through the store until `limit` rows pass the date filter.
        loop {
            let page = store::list_trajectories(&mut conn, &filter, Some(limit)).await?;
            let exhausted = (page.len() as i64) < limit;
            filter.after = page.last().map(|t| t.id.clone()).or(filter.after);
            found.extend(page.into_iter().filter(|t| match past_maximum_on {
                None => true,
                Some(day) => {
                    t.contract.start_date <= day
                        && t.completion.is_none_or(|(done, _)| done > day)
                        && past_maximum(t.contract.start_date, day)
                }
            }));
            if exhausted || found.len() as i64 >= limit {
                found.truncate(limit as usize);
                return Ok(found);
            }
        }
    }

    /// Forfaitair PW contracts running at their deadline without a
    /// loonwaarde measurement on or before `as_of`, once the deadline passed.
    pub async fn forfaitair_overdue(&self, as_of: NaiveDate, codes: Option<Vec<String>>) -> Result<Vec<(Contract, NaiveDate)>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let filter = store::ContractFilter { kind: Some(ContractKind::Pw), municipality_codes: codes, ..Default::default() };
        let forfaitair: Vec<Contract> = store::list_contracts(&mut conn, &filter, None)
            .await?
            .into_iter()
            .map(|l| l.contract)
            .filter(|c| c.pw.as_ref().is_some_and(|p| p.loonwaarde == Loonwaarde::Forfaitair))
            .filter(|c| {
                let deadline = measurement_deadline(c.start_date);
                as_of > deadline && c.runs_on(deadline)
            })
            .collect();
        let ids: Vec<String> = forfaitair.iter().map(|c| c.hr_contract_id.clone()).collect();
        let measured: std::collections::HashSet<String> = store::events_of_kind(&mut conn, "LOONWAARDE", Some(&ids))
            .await?
            .into_iter()
            .filter(|e| e.effective_date <= as_of)
            .map(|e| e.hr_contract_id)
            .collect();
        Ok(forfaitair
            .into_iter()
            .filter(|c| !measured.contains(&c.hr_contract_id))
            .map(|c| {
                let deadline = measurement_deadline(c.start_date);
                (c, deadline)
            })
            .collect())
    }

    pub async fn record_activity(&self, request_id: Option<String>, activity: ActivityRow) -> Result<ActivityRow, ServiceError> {
        if !self.known_municipalities().await?.contains(&activity.municipality_code) {
            return Err(ServiceError::invalid("municipality_code", "not a municipality of the partnership"));
        }
        let mut tx = self.db.begin_write().await?;
        if let Some(request_id) = &request_id {
            if let Some(done) = store::activity_by_request_id(tx.conn(), request_id).await? {
                return Ok(done);
            }
        }
        match store::insert_activity(tx.conn(), &activity, request_id.as_deref(), &crate::now()).await {
            Ok(()) => {
                let mut kept = Tallies::new();
                tallies::activity(&mut kept, &activity.municipality_code, &activity.kind, activity.date);
                kept.write(tx.conn()).await?;
                tx.commit().await?
            }
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                let mut conn = self.db.pool().acquire().await?;
                return store::activity_by_request_id(&mut conn, request_id.as_deref().unwrap_or_default())
                    .await?
                    .ok_or_else(|| ServiceError::Aborted("a concurrent change came first; retry".into()));
            }
            Err(err) => return Err(err.into()),
        }
        Ok(activity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_measurement_is_due_by_the_end_of_the_third_month() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(measurement_deadline(d("2024-01-15")), d("2024-04-14"));
        assert_eq!(measurement_deadline(d("2024-01-01")), d("2024-03-31"));
        assert_eq!(measurement_deadline(d("2023-11-30")), d("2024-02-28"));
    }

    #[test]
    fn development_values_round_trip_through_the_store_codes() {
        for change in [
            Development::WerkladderStep(WerkladderStep::WerkenOpLocatie),
            Development::Loonwaarde("47.5".parse().unwrap()),
            Development::Uitstroomprofiel(Uitstroomprofiel::NietBekend),
        ] {
            assert_eq!(Development::from_row(change.kind(), &change.value()), Some(change));
        }
    }
}
