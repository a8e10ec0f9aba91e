//! Registrations and their status history: creating them, moving them
//! through the state machine, correcting wrongly entered statuses, and
//! finding them again.

use chrono::NaiveDate;
use partnership_platform::auth::Caller;
use partnership_platform::store::is_unique_violation;
use partnership_platform::tally::Tallies;
use partnership_platform::{ServiceError, WriteTx};

use crate::Intake;
use crate::domain::registration::{RegistrationKind, VoortrajectKind, is_youth};
use crate::domain::status::{RegistrationStatus, StatusChange, TerugmeldingReason, check_history, check_move};
use crate::store::{self, EntryRow, RegistrationFilter, RegistrationRow};

/// A registration to create.
#[derive(Debug, Clone)]
pub struct NewRegistration {
    pub request_id: Option<String>,
    pub candidate_id: String,
    pub municipality_code: String,
    pub kind: RegistrationKind,
    pub voortraject_kind: Option<VoortrajectKind>,
    pub registration_date: NaiveDate,
}

/// A status change to record.
#[derive(Debug, Clone)]
pub struct NewStatus {
    pub request_id: Option<String>,
    pub registration_id: String,
    pub change: StatusChange,
    pub note: String,
}

/// A correction of an entry of the history.
#[derive(Debug, Clone)]
pub struct Correction {
    pub registration_id: String,
    pub seq: i64,
    pub effective_date: NaiveDate,
    pub status: Option<RegistrationStatus>,
    pub reason: Option<TerugmeldingReason>,
    pub correction_reason: String,
}

/// A registration as clients see it.
#[derive(Debug, Clone)]
pub struct RegistrationView {
    pub row: RegistrationRow,
    /// The status in effect now.
    pub current: StatusChange,
    /// Every entry in order of recording (empty in listings).
    pub history: Vec<EntryRow>,
}

/// The effective history: entries not superseded, in their order.
pub fn effective(entries: &[EntryRow]) -> Vec<&EntryRow> {
    let mut effective: Vec<&EntryRow> = entries.iter().filter(|e| e.superseded_by_seq.is_none()).collect();
    effective.sort_by_key(|e| e.ordinal);
    effective
}

fn view(row: RegistrationRow, history: Vec<EntryRow>) -> Result<RegistrationView, ServiceError> {
    let current = effective(&history)
        .last()
        .map(|e| e.change)
        .ok_or_else(|| ServiceError::Internal(format!("registration {} has no history", row.id)))?;
    Ok(RegistrationView { row, current, history })
}

/// The first entry of every history: INTAKE on the registration date.
pub(crate) fn intake_entry(registration_date: NaiveDate, recorded_at: &str) -> EntryRow {
    EntryRow {
        seq: 1,
        ordinal: 1,
        change: StatusChange { status: RegistrationStatus::Intake, effective_date: registration_date, reason: None },
        note: String::new(),
        request_id: None,
        recorded_at: recorded_at.to_owned(),
        corrects_seq: None,
        correction_reason: None,
        superseded_by_seq: None,
    }
}

/// Refuses a move with the right code: INVALID_ARGUMENT for a change that
/// is wrong in itself, FAILED_PRECONDITION for one the history forbids.
fn refuse_move(subject: &str, error: crate::domain::status::MoveError) -> ServiceError {
    if error.is_invalid_argument() {
        ServiceError::invalid(error.field(), error.to_string())
    } else {
        ServiceError::precondition(error.field(), subject, error.to_string())
    }
}

impl Intake {
    /// Creates a registration. With `audited`, the call's audit record is
    /// committed with the registration (see `Caller::success_record`).
    pub async fn create_registration(&self, new: NewRegistration, audited: Option<&Caller>) -> Result<RegistrationView, ServiceError> {
        // A repeated request_id is not looked up first: the unique key
        // refuses the second insert and the first registration is answered
        // (below); the candidate's birth date is read once and kept
        // (`BirthDates`), so a new registration usually reads nothing.
        let birth_date =
            self.birth_date(&new.candidate_id).await?.ok_or_else(|| ServiceError::invalid("candidate_id", "no candidate with this id"))?;
        self.reference
            .municipality_on(&new.municipality_code, new.registration_date)
            .map_err(|e| ServiceError::invalid("municipality_code", e.to_string()))?;
        if new.registration_date < birth_date {
            return Err(ServiceError::invalid("registration_date", "is before the candidate's birth date"));
        }

        let now = crate::now();
        let row = RegistrationRow {
            id: crate::new_id(),
            candidate_id: new.candidate_id,
            municipality_code: new.municipality_code,
            kind: new.kind,
            voortraject_kind: new.voortraject_kind,
            registration_date: new.registration_date,
            youth: is_youth(birth_date, new.registration_date),
            version: 1,
            request_id: new.request_id,
            created_at: now.clone(),
        };
        let entry = intake_entry(row.registration_date, &now);
        let record = audited.and_then(Caller::success_record);
        // Written with the other requests' new registrations waiting now:
        // one transaction, one durable commit for all of them.
        match self.new_registrations.write((row.clone(), entry.clone(), record)).await {
            Ok(()) => audited.into_iter().for_each(Caller::record_committed),
            Err(err) if is_unique_violation(&err) => {
                return self.registration_by_request(row.request_id.as_deref()).await;
            }
            Err(err) => return Err(err.into()),
        }
        tracing::info!(registration = %row.id, "registration created");
        view(row, vec![entry])
    }

    async fn registration_by_request(&self, request_id: Option<&str>) -> Result<RegistrationView, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let found = match request_id {
            Some(request_id) => store::registration_by_request_id(&mut conn, request_id).await?,
            None => None,
        };
        drop(conn);
        match found {
            Some(row) => self.registration(&row.id).await,
            None => Err(ServiceError::Aborted("a concurrent change came first; retry".into())),
        }
    }

    /// One registration with its whole history.
    pub async fn registration(&self, id: &str) -> Result<RegistrationView, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let row = store::registration_by_id(&mut conn, id)
            .await?
            .ok_or_else(|| ServiceError::not_found("registration", id))?;
        let history = store::entries(&mut conn, id).await?;
        view(row, history)
    }

    /// Registrations matching the filter, without history.
    pub async fn list_registrations(
        &self,
        filter: &RegistrationFilter,
        limit: i64,
    ) -> Result<Vec<RegistrationView>, ServiceError> {
        let mut conn = self.db.pool().acquire().await?;
        let rows = store::list_registrations(&mut conn, filter, limit).await?;
        Ok(rows.into_iter().map(|(row, current)| RegistrationView { row, current, history: Vec::new() }).collect())
    }

    pub async fn change_status(&self, new: NewStatus) -> Result<RegistrationView, ServiceError> {
        if let Some(done) = self.repeated_status_request(new.request_id.as_deref(), &new.registration_id).await? {
            return Ok(done);
        }
        let subject = format!("registrations/{}", new.registration_id);
        let mut tx = self.db.begin_write().await?;
        let (row, history) = load_for_update(&mut tx, &new.registration_id).await?;
        let current = effective(&history).last().map(|e| e.change).expect("every history starts with INTAKE");
        check_move(&current, &new.change).map_err(|e| refuse_move(&subject, e))?;

        let entry = EntryRow {
            seq: next_seq(&history),
            ordinal: history.iter().map(|e| e.ordinal).max().unwrap_or(0) + 1,
            change: new.change,
            note: new.note,
            request_id: new.request_id.clone(),
            recorded_at: crate::now(),
            corrects_seq: None,
            correction_reason: None,
            superseded_by_seq: None,
        };
        match store::insert_entry(tx.conn(), &row.id, &entry).await {
            Ok(()) => {}
            Err(err) if is_unique_violation(&err) => {
                drop(tx);
                return self
                    .repeated_status_request(new.request_id.as_deref(), &new.registration_id)
                    .await?
                    .ok_or_else(|| ServiceError::Aborted("a concurrent change came first; retry".into()));
            }
            Err(err) => return Err(err.into()),
        }
        tally_appended(&mut tx, &row, &history, entry.change).await?;
        commit_if_unchanged(tx, &row).await?;
        tracing::info!(registration = %row.id, status = entry.change.status.code(), "status changed");
        let mut history = history;
        history.push(entry);
        view(row, history)
    }

    /// The answer to a status change sent before with the same request id.
    async fn repeated_status_request(
        &self,
        request_id: Option<&str>,
        registration_id: &str,
    ) -> Result<Option<RegistrationView>, ServiceError> {
        let Some(request_id) = request_id else { return Ok(None) };
        let mut conn = self.db.pool().acquire().await?;
        match store::registration_of_entry_request(&mut conn, request_id).await? {
            None => Ok(None),
            Some(id) if id == registration_id => {
                drop(conn);
                self.registration(&id).await.map(Some)
            }
            Some(_) => Err(ServiceError::invalid("request_id", "was used before for another registration")),
        }
    }

    pub async fn correct_status(&self, correction: Correction) -> Result<RegistrationView, ServiceError> {
        let subject = format!("registrations/{}", correction.registration_id);
        let mut tx = self.db.begin_write().await?;
        let (row, history) = load_for_update(&mut tx, &correction.registration_id).await?;
        let target = history
            .iter()
            .find(|e| e.seq == correction.seq)
            .ok_or_else(|| ServiceError::invalid("sequence", "no history entry with this sequence"))?
            .clone();
        if let Some(by) = target.superseded_by_seq {
            let why = format!("entry {} was corrected already by entry {by}; correct that one", target.seq);
            return Err(ServiceError::precondition("sequence", &subject, why));
        }
        if target.ordinal == 1 {
            let why = "the first entry is the registration itself (INTAKE on the registration date)";
            return Err(ServiceError::precondition("sequence", &subject, why));
        }
        let status = correction.status.unwrap_or(target.change.status);
        let reason = correction.reason.or(if status == target.change.status { target.change.reason } else { None });
        let corrected = StatusChange { status, effective_date: correction.effective_date, reason };

        let corrected_history: Vec<StatusChange> = effective(&history)
            .iter()
            .map(|e| if e.seq == target.seq { corrected } else { e.change })
            .collect();
        if let Err(err) = check_history(&corrected_history) {
            let description = format!("after the correction, entry {} would break a rule: {}", err.index + 1, err.error);
            return Err(if err.error.is_invalid_argument() {
                ServiceError::invalid(err.error.field(), description)
            } else {
                ServiceError::precondition(err.error.field(), &subject, description)
            });
        }

        let entry = EntryRow {
            seq: next_seq(&history),
            ordinal: target.ordinal,
            change: corrected,
            note: target.note.clone(),
            request_id: None,
            recorded_at: crate::now(),
            corrects_seq: Some(target.seq),
            correction_reason: Some(correction.correction_reason),
            superseded_by_seq: None,
        };
        store::insert_entry(tx.conn(), &row.id, &entry).await?;
        store::mark_superseded(tx.conn(), &row.id, target.seq, entry.seq).await?;
        tally_change(&mut tx, &row, &changes(&effective(&history)), &corrected_history).await?;
        commit_if_unchanged(tx, &row).await?;
        tracing::info!(registration = %row.id, corrected = target.seq, "status corrected");
        self.registration(&row.id).await
    }
}

/// What became of an employment outcome sent by the employment service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmploymentOutcome {
    /// The registration got DVB_IBN (now, or by an earlier delivery).
    Applied { registration_id: String },
    /// Nothing to apply, and why; the sender need not retry.
    NotApplied(String),
}

impl Intake {
    /// A PW dienstverband at IBN started on `date`: the candidate's open
    /// basispakket registration gets its outcome DVB_IBN as of that date.
    /// Idempotent by `request_id`, so the sender may deliver it many times.
    pub async fn record_employment_outcome(
        &self,
        request_id: &str,
        candidate_id: &str,
        date: NaiveDate,
    ) -> Result<EmploymentOutcome, ServiceError> {
        let mut tx = self.db.begin_write().await?;
        if let Some(id) = store::registration_of_entry_request(tx.conn(), request_id).await? {
            return Ok(EmploymentOutcome::Applied { registration_id: id });
        }
        if store::candidate_by_id(tx.conn(), candidate_id).await?.is_none() {
            return Err(ServiceError::invalid("candidate_id", "no candidate with this id"));
        }
        let mut open = None;
        for row in store::registrations_of_candidate(tx.conn(), candidate_id).await? {
            let history = store::entries(tx.conn(), &row.id).await?;
            let current = effective(&history).last().map(|e| e.change);
            if let Some(current) = current.filter(|c| !c.status.is_final() && row.registration_date <= date) {
                open = Some((row, history, current));
            }
        }
        let Some((row, history, current)) = open else {
            return Ok(EmploymentOutcome::NotApplied(format!("no open basispakket registration on {date}")));
        };
        let next = StatusChange { status: RegistrationStatus::DvbIbn, effective_date: date, reason: None };
        if let Err(refused) = check_move(&current, &next) {
            return Ok(EmploymentOutcome::NotApplied(format!("registration {}: {refused}", row.id)));
        }
        let entry = EntryRow {
            seq: next_seq(&history),
            ordinal: history.iter().map(|e| e.ordinal).max().unwrap_or(0) + 1,
            change: next,
            note: "dienstverband bij IBN (from the HR system)".into(),
            request_id: Some(request_id.to_owned()),
            recorded_at: crate::now(),
            corrects_seq: None,
            correction_reason: None,
            superseded_by_seq: None,
        };
        store::insert_entry(tx.conn(), &row.id, &entry).await?;
        tally_appended(&mut tx, &row, &history, next).await?;
        commit_if_unchanged(tx, &row).await?;
        tracing::info!(registration = %row.id, "outcome DVB_IBN from employment");
        Ok(EmploymentOutcome::Applied { registration_id: row.id })
    }
}

async fn load_for_update(tx: &mut WriteTx, id: &str) -> Result<(RegistrationRow, Vec<EntryRow>), ServiceError> {
    let row = store::registration_by_id(tx.conn(), id)
        .await?
        .ok_or_else(|| ServiceError::not_found("registration", id))?;
    let history = store::entries(tx.conn(), id).await?;
    Ok((row, history))
}

/// The status changes of an effective history.
fn changes(effective: &[&EntryRow]) -> Vec<StatusChange> {
    effective.iter().map(|e| e.change).collect()
}

/// Writes what `next`, appended to the history, did to the kept figures.
async fn tally_appended(tx: &mut WriteTx, row: &RegistrationRow, history: &[EntryRow], next: StatusChange) -> Result<(), ServiceError> {
    let before = changes(&effective(history));
    let mut after = before.clone();
    after.push(next);
    tally_change(tx, row, &before, &after).await
}

/// Writes what a change of the effective history did to the kept figures,
/// in the change's transaction.
async fn tally_change(tx: &mut WriteTx, row: &RegistrationRow, before: &[StatusChange], after: &[StatusChange]) -> Result<(), ServiceError> {
    let mut tallies = Tallies::new();
    crate::tallies::history_changed(&mut tallies, row, before, after);
    tallies.write(tx.conn()).await?;
    Ok(())
}

fn next_seq(history: &[EntryRow]) -> i64 {
    history.iter().map(|e| e.seq).max().unwrap_or(0) + 1
}

/// Commits if nobody changed the registration since it was read; otherwise
/// rolls back (ABORTED, safe to retry).
async fn commit_if_unchanged(mut tx: WriteTx, row: &RegistrationRow) -> Result<(), ServiceError> {
    if !store::bump_version(tx.conn(), &row.id, row.version).await? {
        return Err(ServiceError::Aborted("the registration changed meanwhile; retry".into()));
    }
    tx.commit().await?;
    Ok(())
}
