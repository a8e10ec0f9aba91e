//! Pluspakket registrations: services a municipality buys on top of the
//! basispakket. Kept in their own table so they never count as basispakket.

use chrono::NaiveDate;
use partnership_platform::ServiceError;
use partnership_platform::store::is_unique_violation;

use crate::Intake;
use crate::store::{self, PluspakketFilter, PluspakketRow};

#[derive(Debug, Clone)]
pub struct NewPluspakket {
    pub request_id: Option<String>,
    pub candidate_id: String,
    pub municipality_code: String,
    pub service_code: String,
    pub registration_date: NaiveDate,
}

impl Intake {
    pub async fn create_pluspakket(&self, new: NewPluspakket) -> Result<PluspakketRow, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        if let Some(request_id) = &new.request_id {
            if let Some(existing) = store::pluspakket_by_request_id(&mut conn, request_id).await? {
                return Ok(existing);
            }
        }
        store::candidate_by_id(&mut conn, &new.candidate_id)
            .await?
            .ok_or_else(|| ServiceError::invalid("candidate_id", "no candidate with this id"))?;
        drop(conn);
        if self.reference.pluspakket_service(&new.service_code).is_none() {
            return Err(ServiceError::invalid("service_code", "not a service of the pluspakket catalogue"));
        }
        self.reference
            .municipality_on(&new.municipality_code, new.registration_date)
            .map_err(|e| ServiceError::invalid("municipality_code", e.to_string()))?;
        let row = PluspakketRow {
            id: crate::new_id(),
            candidate_id: new.candidate_id,
            municipality_code: new.municipality_code,
            service_code: new.service_code,
            registration_date: new.registration_date,
            request_id: new.request_id,
            created_at: crate::now(),
        };
        let mut tx = self.db.begin_write().await?;
        match store::insert_pluspakket(tx.conn(), &row).await {
            Ok(()) => tx.commit().await?,
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                let mut conn = self.db.pool().acquire().await?;
                let request_id = row.request_id.as_deref().unwrap_or_default();
                return store::pluspakket_by_request_id(&mut conn, request_id)
                    .await?
                    .ok_or_else(|| ServiceError::Aborted("a concurrent change came first; retry".into()));
            }
            Err(err) => return Err(err.into()),
        }
        Ok(row)
    }

    pub async fn list_pluspakket(&self, filter: &PluspakketFilter, limit: i64) -> Result<Vec<PluspakketRow>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::list_pluspakket(&mut conn, filter, limit).await
    }

    /// Pluspakket registrations dated from `first` to `last`, per
    /// municipality and service: `(municipality, service, registrations)`.
    pub async fn count_pluspakket(
        &self,
        codes: Option<&[String]>,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<(String, String, u64)>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::count_pluspakket(&mut conn, codes, first, last).await
    }
}
