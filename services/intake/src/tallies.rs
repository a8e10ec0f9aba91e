//! What a registration adds to the figures kept on write
//! (`partnership_platform::tally`), so that the cohort figures and the
//! registrations per year are sums of a few thousand rows, not a read of
//! every registration's history.
//!
//! - [`STATUS`], split by cohort (the registration year), keyed
//!   "youth|status|reason": every entry of the effective history counts from
//!   its effective date up to the day the next one takes effect. The sum up
//!   to a date is then, per key, the registrations whose status on that date
//!   it is: the latest effective entry dated on or before it, as
//!   `status::status_on` says.
//! - [`REGISTERED`], keyed by youth: one on the registration date.
//!
//! A change to a history takes the old history's spans back and adds the
//! new one's ([`history_changed`]), whatever the change was.

use partnership_platform::tally::Tallies;

use crate::domain::status::{RegistrationStatus, StatusChange, TerugmeldingReason};
use crate::store::RegistrationRow;

/// Registrations per cohort, youth, status and reason, by the day a status
/// holds from.
pub const STATUS: &str = "status";
/// Registrations per youth, by registration date.
pub const REGISTERED: &str = "registered";

/// The key of a [`STATUS`] tally.
pub fn status_key(youth: bool, status: RegistrationStatus, reason: Option<TerugmeldingReason>) -> String {
    format!("{}|{}|{}", i64::from(youth), status.code(), reason.map(|r| r.code()).unwrap_or(""))
}

/// A [`STATUS`] key read back; None for a key this build does not know.
pub fn parse_status_key(key: &str) -> Option<(bool, RegistrationStatus, Option<TerugmeldingReason>)> {
    let mut parts = key.split('|');
    let youth = match parts.next()? {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let status = RegistrationStatus::from_code(parts.next()?)?;
    let reason = match parts.next()? {
        "" => None,
        code => Some(TerugmeldingReason::from_code(code)?),
    };
    parts.next().is_none().then_some((youth, status, reason))
}

/// The key of a [`REGISTERED`] tally.
pub fn registered_key(youth: bool) -> &'static str {
    if youth { "1" } else { "0" }
}

/// The [`STATUS`] part of a registration: its cohort year.
pub fn cohort(row: &RegistrationRow) -> String {
    chrono::Datelike::year(&row.registration_date).to_string()
}

/// A new registration with its (effective) history.
pub fn registered(tallies: &mut Tallies, row: &RegistrationRow, history: &[StatusChange]) {
    tallies.add(REGISTERED, "", &row.municipality_code, registered_key(row.youth), row.registration_date, 1);
    spans(tallies, row, history, 1);
}

/// A registration's effective history went from `before` to `after`.
pub fn history_changed(tallies: &mut Tallies, row: &RegistrationRow, before: &[StatusChange], after: &[StatusChange]) {
    spans(tallies, row, before, -1);
    spans(tallies, row, after, 1);
}

/// Each entry from its date up to the next entry's (`n` each).
fn spans(tallies: &mut Tallies, row: &RegistrationRow, history: &[StatusChange], n: i64) {
    let cohort = cohort(row);
    for (i, change) in history.iter().enumerate() {
        let until = history.get(i + 1).map(|next| next.effective_date);
        let key = status_key(row.youth, change.status, change.reason);
        tallies.span(STATUS, &cohort, &row.municipality_code, &key, change.effective_date, until, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::RegistrationStatus::*;
    use crate::domain::status::TerugmeldingReason;

    #[test]
    fn a_key_reads_back_as_it_was_written() {
        for (youth, status, reason) in
            [(true, Intake, None), (false, Teruggemeld, Some(TerugmeldingReason::Overig)), (false, DvbIbn, None)]
        {
            assert_eq!(parse_status_key(&status_key(youth, status, reason)), Some((youth, status, reason)));
        }
        assert_eq!(parse_status_key("2|INTAKE|"), None);
        assert_eq!(parse_status_key("1|NOPE|"), None);
        assert_eq!(parse_status_key("1|INTAKE||x"), None);
    }
}
