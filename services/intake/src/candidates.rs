//! Registering and finding candidates. The BSN arrives here and stays here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use partnership_platform::store::is_unique_violation;
use partnership_platform::{ServiceError, dates};

use crate::Intake;
use crate::domain::bsn::Bsn;
use crate::store::{self, CandidateRow};

/// A candidate to register.
#[derive(Debug, Clone)]
pub struct NewCandidate {
    pub request_id: Option<String>,
    pub bsn: Bsn,
    pub birth_date: NaiveDate,
    pub municipality_code: String,
}

/// Candidates' birth dates by id, as read or registered here. A candidate
/// is never changed or removed once registered (intake has no UPDATE or
/// DELETE of `candidates`), so what was read once stays true, on every
/// replica: a new registration, which needs the birth date (youth; not
/// before birth), does not read the store for a candidate seen before —
/// typically the one registered a moment earlier.
#[derive(Debug, Clone, Default)]
pub(crate) struct BirthDates(Arc<Mutex<HashMap<String, NaiveDate>>>);

/// The most birth dates kept (some 5 MB); when full, the map starts over.
const BIRTH_DATES_KEPT: usize = 50_000;

impl BirthDates {
    fn get(&self, id: &str) -> Option<NaiveDate> {
        self.0.lock().ok()?.get(id).copied()
    }

    fn keep(&self, id: &str, birth_date: NaiveDate) {
        if let Ok(mut kept) = self.0.lock() {
            if kept.len() >= BIRTH_DATES_KEPT {
                kept.clear();
            }
            kept.insert(id.to_owned(), birth_date);
        }
    }
}

impl Intake {
    /// The birth date of the candidate with this id, if there is one.
    pub(crate) async fn birth_date(&self, id: &str) -> Result<Option<NaiveDate>, ServiceError> {
        if let Some(kept) = self.birth_dates.get(id) {
            return Ok(Some(kept));
        }
        let mut conn = self.db.pool().acquire().await?;
        let found = store::candidate_by_id(&mut conn, id).await?;
        if let Some(candidate) = &found {
            self.birth_dates.keep(&candidate.id, candidate.birth_date);
        }
        Ok(found.map(|c| c.birth_date))
    }

    pub async fn create_candidate(&self, new: NewCandidate) -> Result<CandidateRow, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        if let Some(request_id) = &new.request_id {
            if let Some(existing) = store::candidate_by_request_id(&mut conn, request_id).await? {
                return Ok(existing);
            }
        }
        self.reference
            .municipality_on(&new.municipality_code, dates::today())
            .map_err(|e| ServiceError::invalid("municipality_code", e.to_string()))?;
        drop(conn);

        let row = CandidateRow {
            id: crate::new_id(),
            bsn: new.bsn.as_str().to_owned(),
            birth_date: new.birth_date,
            municipality_code: new.municipality_code,
            request_id: new.request_id,
            created_at: crate::now(),
        };
        let mut tx = self.db.begin_write().await?;
        if store::candidate_by_bsn(tx.conn(), &new.bsn).await?.is_some() {
            return Err(ServiceError::AlreadyExists(
                "a candidate with this BSN is registered already; use ResolveCandidate".into(),
            ));
        }
        match store::insert_candidate(tx.conn(), &row).await {
            Ok(()) => {}
            Err(err) if is_unique_violation(&err) => return self.after_conflict(row.request_id.as_deref()).await,
            Err(err) => return Err(err.into()),
        }
        tx.commit().await?;
        self.birth_dates.keep(&row.id, row.birth_date);
        tracing::info!(candidate = %row.id, "candidate registered");
        Ok(row)
    }

    /// A concurrent create won the race: answer with its result.
    async fn after_conflict(&self, request_id: Option<&str>) -> Result<CandidateRow, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        if let Some(request_id) = request_id {
            if let Some(existing) = store::candidate_by_request_id(&mut conn, request_id).await? {
                return Ok(existing);
            }
        }
        Err(ServiceError::AlreadyExists("a candidate with this BSN is registered already".into()))
    }

    pub async fn candidate(&self, id: &str) -> Result<CandidateRow, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::candidate_by_id(&mut conn, id).await?.ok_or_else(|| ServiceError::not_found("candidate", id))
    }

    /// For peer services: the candidate id of each BSN, in order (`None`
    /// for an unknown BSN).
    pub async fn resolve_candidates(&self, bsns: &[Bsn]) -> Result<Vec<Option<String>>, ServiceError> {
        let texts: Vec<String> = bsns.iter().map(|b| b.as_str().to_owned()).collect();
        let mut conn = self.db.pool().acquire().await?;
        let found: std::collections::HashMap<String, String> =
            store::candidate_ids_by_bsns(&mut conn, &texts).await?.into_iter().collect();
        Ok(texts.iter().map(|bsn| found.get(bsn).cloned()).collect())
    }

    /// For peer services: the candidate with this BSN.
    pub async fn resolve_candidate(&self, bsn: &Bsn) -> Result<CandidateRow, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        store::candidate_by_bsn(&mut conn, bsn)
            .await?
            .ok_or_else(|| ServiceError::not_found("candidate", "with this BSN"))
    }
}
