//! Reading contracts back: one with its history, or a filtered listing,
//! each with the loonwaarde measurements recorded since its start.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use partnership_platform::ServiceError;
use rust_decimal::Decimal;
use sqlx::AnyConnection;

use crate::Employment;
use crate::domain::contract::Contract;
use crate::store::{self, ContractFilter, ListedContract};

/// Dated loonwaarde measurements of a contract, oldest first.
pub type Measurements = Vec<(NaiveDate, Decimal)>;

/// The measurements of the contracts `ids`, which are in id order (as a
/// listing returns them): read as one id range, the others dropped.
async fn measurements(conn: &mut AnyConnection, ids: &[String]) -> Result<HashMap<String, Measurements>, ServiceError> {
    let (Some(first), Some(last)) = (ids.first(), ids.last()) else { return Ok(HashMap::new()) };
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let events = store::events_of_kind_between(conn, "LOONWAARDE", first, last).await?;
    Ok(by_contract(events.into_iter().filter(|e| wanted.contains(e.hr_contract_id.as_str()))))
}

/// The measurements of the contracts `ids`, in any order.
pub(crate) async fn measurements_of(conn: &mut AnyConnection, ids: &[String]) -> Result<HashMap<String, Measurements>, ServiceError> {
    Ok(by_contract(store::events_of_kind(conn, "LOONWAARDE", Some(ids)).await?.into_iter()))
}

/// Loonwaarde events as measurements per contract, in the events' order.
fn by_contract(events: impl Iterator<Item = store::EventRow>) -> HashMap<String, Measurements> {
    let mut by_contract: HashMap<String, Measurements> = HashMap::new();
    for event in events {
        if let Ok(percent) = event.value.parse() {
            by_contract.entry(event.hr_contract_id).or_default().push((event.effective_date, percent));
        }
    }
    by_contract
}

impl Employment {
    /// A contract now, its measurements, and its earlier versions.
    pub async fn contract(&self, id: &str) -> Result<(ListedContract, Measurements, Vec<(i64, Contract, String)>), ServiceError> {
        let filter = ContractFilter { hr_contract_id: Some(id.to_owned()), ..Default::default() };
        let (listed, measured) = self
            .list_contracts(&filter, 1)
            .await?
            .pop()
            .ok_or_else(|| ServiceError::not_found("contract", id))?;
        let mut conn = self.db.pool().acquire().await?;
        let versions = store::contract_versions(&mut conn, id).await?;
        Ok((listed, measured, versions))
    }

    /// Contracts by filter, each with its measurements.
    pub async fn list_contracts(&self, filter: &ContractFilter, limit: i64) -> Result<Vec<(ListedContract, Measurements)>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let listed = store::list_contracts(&mut conn, filter, Some(limit)).await?;
        let ids: Vec<String> = listed.iter().map(|l| l.contract.hr_contract_id.clone()).collect();
        let mut measured = measurements(&mut conn, &ids).await?;
        Ok(listed
            .into_iter()
            .map(|l| {
                let m = measured.remove(&l.contract.hr_contract_id).unwrap_or_default();
                (l, m)
            })
            .collect())
    }
}
