//! Allocating a lumpsum (or any amount) over the municipalities by a key,
//! and mapping the parts onto the municipalities that existed on a date
//! (a 2021 key's Uden and Landerd are Maashorst's in 2022). Invoices,
//! budgets and figures all take their lumpsum parts from here.

use std::sync::Arc;

use chrono::NaiveDate;
use partnership_platform::ServiceError;
use rust_decimal::Decimal;

use crate::Finance;
use crate::domain::RuleError;
use crate::domain::allocation::{AllocationKey, KeyEntry, KeyKind, MunicipalityPart, Part, allocate, roll_up};
use crate::domain::money::whole_cents;
use crate::domain::municipality::Directory;
use crate::store::LumpsumRow;

/// What to allocate.
#[derive(Debug, Clone)]
pub enum AmountSource {
    /// A stored lumpsum's total.
    Lumpsum(String),
    /// Any amount, whole cents.
    Amount(Decimal),
}

/// Which key to allocate by.
#[derive(Debug, Clone)]
pub enum KeyChoice {
    /// The lumpsum's own key (only with a lumpsum).
    OfLumpsum,
    /// A key of the reference data.
    Reference(i32, KeyKind),
    /// An ad-hoc key (what-if).
    AdHoc(Vec<KeyEntry>),
}

#[derive(Debug, Clone)]
pub struct AllocationRequest {
    pub amount: AmountSource,
    pub key: KeyChoice,
}

/// An allocation with what it was computed from.
#[derive(Debug, Clone)]
pub struct AllocationView {
    pub lumpsum_id: Option<String>,
    pub total: Decimal,
    pub key: AllocationKey,
    pub parts: Vec<Part>,
    /// The municipalities, for names and today's codes.
    pub directory: Arc<Directory>,
}

impl Finance {
    pub async fn allocate(&self, request: AllocationRequest) -> Result<AllocationView, ServiceError> {
        let directory = self.peers.municipalities().await?;
        let (lumpsum, total) = match &request.amount {
            AmountSource::Lumpsum(id) => {
                let lumpsum = self.lumpsum(id).await.map_err(|err| match err {
                    ServiceError::NotFound { .. } => ServiceError::invalid("lumpsum_id", "no lumpsum with this id"),
                    other => other,
                })?;
                let total = lumpsum.amounts.total();
                (Some(lumpsum), total)
            }
            AmountSource::Amount(amount) => (None, *amount),
        };
        let key = match (request.key, &lumpsum) {
            (KeyChoice::OfLumpsum, Some(l)) => self.reference_key(l.key_year, l.key_kind, &directory)?,
            (KeyChoice::OfLumpsum, None) => {
                return Err(ServiceError::invalid("key", "is required with an amount: a key or key_entries"));
            }
            (KeyChoice::Reference(year, kind), _) => self.reference_key(year, kind, &directory)?,
            (KeyChoice::AdHoc(entries), _) => {
                let key = AllocationKey { year: 0, kind: None, description: "ad hoc".into(), entries };
                key.check("key_entries")?;
                for (i, entry) in key.entries.iter().enumerate() {
                    directory.known(&format!("key_entries[{i}].municipality_code"), &entry.municipality_code)?;
                }
                key
            }
        };
        let total = whole_cents("amount", total)?;
        let parts = allocate(total, &key).map_err(|e| match e {
            RuleError::Invalid { field, reason } if field == "key" => RuleError::invalid("key_entries", reason),
            other => other,
        })?;
        Ok(AllocationView { lumpsum_id: lumpsum.map(|l| l.id), total, key, parts, directory })
    }

    /// A key of the reference data whose municipalities intake knows.
    fn reference_key(&self, year: i32, kind: KeyKind, directory: &Directory) -> Result<AllocationKey, ServiceError> {
        let subject = format!("reference/allocation_keys/{year}/{}", kind.code());
        let key = self.reference.key(year, kind).ok_or_else(|| {
            RuleError::refused("key", &subject, format!("the reference data has no {} key for {year}", kind.code()))
        })?;
        if let Some(unknown) = key.entries.iter().find(|e| directory.get(&e.municipality_code).is_none()) {
            let why = format!("the key names {}, which the intake service does not know", unknown.municipality_code);
            return Err(RuleError::refused("key", subject, why).into());
        }
        Ok(key.clone())
    }

    /// A stored lumpsum allocated by its key, with the municipalities.
    pub(crate) async fn lumpsum_allocation(&self, lumpsum: &LumpsumRow) -> Result<AllocationView, ServiceError> {
        self.allocate(AllocationRequest {
            amount: AmountSource::Lumpsum(lumpsum.id.clone()),
            key: KeyChoice::OfLumpsum,
        })
        .await
    }
}

/// The parts of an allocation summed per municipality as it was on `date`.
pub(crate) fn municipality_parts(view: &AllocationView, date: NaiveDate) -> Result<Vec<MunicipalityPart>, RuleError> {
    roll_up(&view.parts, |code| view.directory.on_date(code, date))
}
