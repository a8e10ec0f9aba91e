//! Bulk import of historical registrations (the migration from today's
//! spreadsheets). A batch is checked whole and stored in one transaction:
//! all of it or nothing, with every problem reported per registration.

use chrono::NaiveDate;
use partnership_platform::tally::Tallies;
use partnership_platform::{FieldViolation, ServiceError};

use crate::Intake;
use crate::domain::bsn::Bsn;
use crate::domain::registration::{RegistrationKind, VoortrajectKind, is_youth};
use crate::domain::status::{StatusChange, check_history};
use crate::registrations::intake_entry;
use crate::store::{self, CandidateRow, EntryRow, RegistrationRow};

/// The most registrations one batch may hold.
pub const MAX_BATCH: usize = 5000;

/// One historical registration, decoded.
#[derive(Debug, Clone)]
pub struct ImportedRegistration {
    pub bsn: Bsn,
    pub birth_date: NaiveDate,
    pub municipality_code: String,
    pub kind: RegistrationKind,
    pub voortraject_kind: Option<VoortrajectKind>,
    pub registration_date: NaiveDate,
    /// The statuses after the INTAKE on the registration date.
    pub history: Vec<(StatusChange, String)>,
}

impl ImportedRegistration {
    /// The whole history: the INTAKE on the registration date, then the
    /// statuses sent.
    fn changes(&self) -> Vec<StatusChange> {
        let mut changes = vec![intake_entry(self.registration_date, "").change];
        changes.extend(self.history.iter().map(|(change, _)| *change));
        changes
    }
}

/// What became of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Stored; the new registrations' ids in the order sent.
    Imported { registration_ids: Vec<String>, already_imported: bool, candidate_ids: Vec<String> },
    /// Nothing stored, because of these problems.
    Refused(Vec<FieldViolation>),
}

impl Intake {
    /// Imports one batch, all or nothing. `registrations` is the batch's
    /// decoded items; `index` in a violation field refers to them.
    pub async fn import_batch(
        &self,
        request_id: &str,
        registrations: Vec<ImportedRegistration>,
    ) -> Result<ImportOutcome, ServiceError> {
        {
            let mut conn = self.db.pool().acquire().await?;
            if let Some(ids) = store::import_batch(&mut conn, request_id).await? {
                return Ok(ImportOutcome::Imported { registration_ids: ids, already_imported: true, candidate_ids: Vec::new() });
            }
        }
        let mut problems = Vec::new();
        for (index, item) in registrations.iter().enumerate() {
            self.check_imported(index, item, &mut problems);
        }
        if !problems.is_empty() {
            return Ok(ImportOutcome::Refused(problems));
        }

        let now = crate::now();
        let mut tx = self.db.begin_write().await?;
        let mut tallies = Tallies::new();
        let mut ids = Vec::with_capacity(registrations.len());
        let mut candidate_ids = Vec::with_capacity(registrations.len());
        for (index, item) in registrations.into_iter().enumerate() {
            let candidate = match store::candidate_by_bsn(tx.conn(), &item.bsn).await? {
                Some(existing) if existing.birth_date != item.birth_date => {
                    problems.push(violation(index, "birth_date", "differs from the candidate with this BSN"));
                    continue;
                }
                Some(existing) => existing,
                None => {
                    let candidate = CandidateRow {
                        id: crate::new_id(),
                        bsn: item.bsn.as_str().to_owned(),
                        birth_date: item.birth_date,
                        municipality_code: self.current_code(&item.municipality_code),
                        request_id: None,
                        created_at: now.clone(),
                    };
                    store::insert_candidate(tx.conn(), &candidate).await?;
                    candidate
                }
            };
            let changes = item.changes();
            let row = RegistrationRow {
                id: crate::new_id(),
                candidate_id: candidate.id.clone(),
                municipality_code: item.municipality_code,
                kind: item.kind,
                voortraject_kind: item.voortraject_kind,
                registration_date: item.registration_date,
                youth: is_youth(item.birth_date, item.registration_date),
                version: 1,
                request_id: None,
                created_at: now.clone(),
            };
            store::insert_registration(tx.conn(), &row).await?;
            store::insert_entry(tx.conn(), &row.id, &intake_entry(row.registration_date, &now)).await?;
            crate::tallies::registered(&mut tallies, &row, &changes);
            for (n, (change, note)) in item.history.into_iter().enumerate() {
                let position = n as i64 + 2;
                let entry = EntryRow {
                    seq: position,
                    ordinal: position,
                    change,
                    note,
                    request_id: None,
                    recorded_at: now.clone(),
                    corrects_seq: None,
                    correction_reason: None,
                    superseded_by_seq: None,
                };
                store::insert_entry(tx.conn(), &row.id, &entry).await?;
            }
            ids.push(row.id);
            candidate_ids.push(row.candidate_id);
        }
        if !problems.is_empty() {
            // Dropping the transaction rolls every row of the batch back.
            return Ok(ImportOutcome::Refused(problems));
        }
        tallies.write(tx.conn()).await?;
        match store::insert_import_batch(tx.conn(), request_id, &ids, &now).await {
            Ok(()) => {}
            Err(err) if partnership_platform::store::is_unique_violation(&err) => {
                // The same batch, sent twice at once: the other one stored it.
                drop(tx);
                let mut conn = self.db.pool().acquire().await?;
                let ids = store::import_batch(&mut conn, request_id).await?.unwrap_or_default();
                return Ok(ImportOutcome::Imported { registration_ids: ids, already_imported: true, candidate_ids: Vec::new() });
            }
            Err(err) => return Err(err.into()),
        }
        tx.commit().await?;
        tracing::info!(batch = request_id, registrations = ids.len(), "import batch stored");
        Ok(ImportOutcome::Imported { registration_ids: ids, already_imported: false, candidate_ids })
    }

    /// The rules that need no store: municipality on the date, dates in
    /// order, and a history the state machine allows.
    fn check_imported(&self, index: usize, item: &ImportedRegistration, problems: &mut Vec<FieldViolation>) {
        if let Err(err) = self.reference.municipality_on(&item.municipality_code, item.registration_date) {
            problems.push(violation(index, "municipality_code", &err.to_string()));
        }
        if item.registration_date < item.birth_date {
            problems.push(violation(index, "registration_date", "is before the birth date"));
        }
        if let Err(err) = check_history(&item.changes()) {
            let field = format!("history[{}].{}", err.index - 1, err.error.field());
            problems.push(violation(index, &field, &err.error.to_string()));
        }
    }

    fn current_code(&self, code: &str) -> String {
        self.reference.current_municipality(code).map(|m| m.code.clone()).unwrap_or_else(|_| code.to_owned())
    }
}

fn violation(index: usize, field: &str, description: &str) -> FieldViolation {
    FieldViolation { field: format!("registrations[{index}].{field}"), description: description.to_owned() }
}
