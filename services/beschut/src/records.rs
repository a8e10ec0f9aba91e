//! Recording indications, placements and schakeltrajecten. Every record is
//! about a candidate intake knows, in a municipality of the partnership;
//! creates are idempotent by request id.

use chrono::NaiveDate;
use partnership_platform::store::is_unique_violation;
use partnership_platform::{ServiceError, dates, peer};
use partnership_proto::common as cpb;
use partnership_proto::intake as ipb;
use rust_decimal::Decimal;

use crate::Beschut;
use crate::domain::indication::{Indication, IndicationEnd, check_end};
use crate::store::{self, Filter, IndicationRow, PlacementRow, SchakeltrajectRow, Subject};

/// The most hours per week a placement may have.
pub const MAX_HOURS_PER_WEEK: u32 = 40;

impl Beschut {
    /// Checks with intake that the candidate exists and the municipality is
    /// one of the partnership's.
    async fn check_subject(&self, subject: &Subject) -> Result<(), ServiceError> {
        let scope = cpb::Scope { level: cpb::ScopeLevel::Partnership as i32, code: String::new() };
        let codes = self.scope_codes(scope).await?;
        if !codes.contains(&subject.municipality_code) {
            return Err(ServiceError::invalid("municipality_code", "not a municipality of the partnership"));
        }
        let request = ipb::GetCandidateRequest { id: subject.candidate_id.clone() };
        match self.intake.clone().get_candidate(peer::request(request, peer::DEFAULT_DEADLINE)).await {
            Ok(_) => Ok(()),
            Err(status) if status.code() == tonic::Code::NotFound || status.code() == tonic::Code::InvalidArgument => {
                Err(ServiceError::invalid("candidate_id", "no candidate with this id in intake"))
            }
            Err(status) => Err(ServiceError::Unavailable(format!("checking the candidate with intake: {}", status.message()))),
        }
    }

    pub async fn grant_indication(&self, request_id: Option<String>, new: IndicationRow) -> Result<IndicationRow, ServiceError> {
        if let Some(done) = self.indication_by_request(request_id.as_deref()).await? {
            return Ok(done);
        }
        if new.dates.valid_until.is_some_and(|until| until < new.dates.granted_date) {
            return Err(ServiceError::invalid("valid_until", "is before the granted date"));
        }
        self.check_subject(&new.subject).await?;
        let mut tx = self.db.begin_write().await?;
        match store::insert_indication(tx.conn(), &new, request_id.as_deref(), &crate::now()).await {
            Ok(()) => tx.commit().await?,
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                return self.indication_by_request(request_id.as_deref()).await?.ok_or_else(conflict);
            }
            Err(err) => return Err(err.into()),
        }
        Ok(new)
    }

    async fn indication_by_request(&self, request_id: Option<&str>) -> Result<Option<IndicationRow>, ServiceError> {
        let Some(request_id) = request_id else { return Ok(None) };
        let mut conn = self.db.pool().acquire().await?;
        store::indication_by(&mut conn, "request_id", request_id).await
    }

    pub async fn indication(&self, id: &str) -> Result<(IndicationRow, Vec<(String, NaiveDate, String)>), ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let row = store::indication_by(&mut conn, "id", id).await?.ok_or_else(|| ServiceError::not_found("indication", id))?;
        let history = store::indication_events(&mut conn, id).await?;
        Ok((row, history))
    }

    pub async fn end_indication(&self, id: &str, end: IndicationEnd, date: NaiveDate) -> Result<IndicationRow, ServiceError> {
        let mut tx = self.db.begin_write().await?;
        let row = store::indication_by(tx.conn(), "id", id).await?.ok_or_else(|| ServiceError::not_found("indication", id))?;
        check_end(&row.dates, date).map_err(|why| {
            if row.dates.ended.is_some() {
                ServiceError::precondition("indication_id", format!("indications/{id}"), why)
            } else {
                ServiceError::invalid("end_date", why)
            }
        })?;
        store::end_indication(tx.conn(), id, end, date, &crate::now()).await?;
        tx.commit().await?;
        Ok(IndicationRow { dates: Indication { ended: Some((end, date)), ..row.dates }, ..row })
    }

    pub async fn create_placement(&self, request_id: Option<String>, new: PlacementRow) -> Result<PlacementRow, ServiceError> {
        if let Some(request_id) = &request_id {
            let mut conn = self.db.pool().acquire().await?;
            if let Some(done) = store::placement_by(&mut conn, "request_id", request_id).await? {
                return Ok(done);
            }
        }
        if new.hours_per_week <= Decimal::ZERO || new.hours_per_week > Decimal::from(MAX_HOURS_PER_WEEK) {
            return Err(ServiceError::invalid("hours_per_week", format!("must be more than 0 and at most {MAX_HOURS_PER_WEEK}")));
        }
        if new.end_date.is_some_and(|end| end < new.start_date) {
            return Err(ServiceError::invalid("end_date", "is before the start date"));
        }
        self.check_subject(&new.subject).await?;
        let mut tx = self.db.begin_write().await?;
        match store::insert_placement(tx.conn(), &new, request_id.as_deref(), &crate::now()).await {
            Ok(()) => tx.commit().await?,
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                let mut conn = self.db.pool().acquire().await?;
                return store::placement_by(&mut conn, "request_id", request_id.as_deref().unwrap_or_default()).await?.ok_or_else(conflict);
            }
            Err(err) => return Err(err.into()),
        }
        Ok(new)
    }

    pub async fn end_placement(&self, id: &str, date: NaiveDate) -> Result<PlacementRow, ServiceError> {
        let mut tx = self.db.begin_write().await?;
        let row = store::placement_by(tx.conn(), "id", id).await?.ok_or_else(|| ServiceError::not_found("placement", id))?;
        if date < row.start_date {
            return Err(ServiceError::invalid("end_date", "is before the start date"));
        }
        store::end_placement(tx.conn(), id, date).await?;
        tx.commit().await?;
        Ok(PlacementRow { end_date: Some(date), ..row })
    }

    pub async fn create_schakeltraject(&self, request_id: Option<String>, new: SchakeltrajectRow) -> Result<SchakeltrajectRow, ServiceError> {
        if let Some(request_id) = &request_id {
            let mut conn = self.db.pool().acquire().await?;
            if let Some(done) = store::schakeltraject_by(&mut conn, "request_id", request_id).await? {
                return Ok(done);
            }
        }
        if new.end_date.is_some_and(|end| end < new.start_date) {
            return Err(ServiceError::invalid("end_date", "is before the start date"));
        }
        self.check_subject(&new.subject).await?;
        let mut tx = self.db.begin_write().await?;
        match store::insert_schakeltraject(tx.conn(), &new, request_id.as_deref(), &crate::now()).await {
            Ok(()) => tx.commit().await?,
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                let mut conn = self.db.pool().acquire().await?;
                return store::schakeltraject_by(&mut conn, "request_id", request_id.as_deref().unwrap_or_default()).await?.ok_or_else(conflict);
            }
            Err(err) => return Err(err.into()),
        }
        Ok(new)
    }

    pub async fn end_schakeltraject(&self, id: &str, date: NaiveDate) -> Result<SchakeltrajectRow, ServiceError> {
        let mut tx = self.db.begin_write().await?;
        let row = store::schakeltraject_by(tx.conn(), "id", id).await?.ok_or_else(|| ServiceError::not_found("schakeltraject", id))?;
        if date < row.start_date {
            return Err(ServiceError::invalid("end_date", "is before the start date"));
        }
        dates::not_in_future("end_date", date)?;
        store::end_schakeltraject(tx.conn(), id, date).await?;
        tx.commit().await?;
        Ok(SchakeltrajectRow { end_date: Some(date), ..row })
    }
}

fn conflict() -> ServiceError {
    ServiceError::Aborted("a concurrent change came first; retry".into())
}

impl Beschut {
    /// Indications by filter; with `active_on`, only those active that day.
    pub async fn indications(&self, filter: &Filter, active_on: Option<NaiveDate>, limit: i64) -> Result<Vec<IndicationRow>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let all = store::indications(&mut conn, filter, active_on.is_none().then_some(limit)).await?;
        Ok(all.into_iter().filter(|i| active_on.is_none_or(|d| i.dates.active_on(d))).take(limit as usize).collect())
    }

    /// One placement.
    pub async fn placement(&self, id: &str) -> Result<PlacementRow, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::placement_by(&mut conn, "id", id).await?.ok_or_else(|| ServiceError::not_found("placement", id))
    }

    /// One schakeltraject.
    pub async fn schakeltraject(&self, id: &str) -> Result<SchakeltrajectRow, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::schakeltraject_by(&mut conn, "id", id).await?.ok_or_else(|| ServiceError::not_found("schakeltraject", id))
    }

    /// Placements by filter; with `running_on`, only those running that day.
    pub async fn placements(&self, filter: &Filter, running_on: Option<NaiveDate>, limit: i64) -> Result<Vec<PlacementRow>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let all = store::placements(&mut conn, filter, running_on.is_none().then_some(limit)).await?;
        Ok(all.into_iter().filter(|p| running_on.is_none_or(|d| p.runs_on(d))).take(limit as usize).collect())
    }
}
