//! Registration statuses, their groups, the reasons for terugmelding, and
//! the state machine that decides which moves are allowed (domain.md §2).
//!
//! The rules, in one place:
//! - every registration starts in INTAKE on its registration date;
//! - the outcomes (OPLEIDING, DVB_REGULIERE_WERKGEVER, DVB_IBN) are final:
//!   a registration's outcome is its first one, and what follows is
//!   employment data;
//! - VERHUISD and TERUGGEMELD are final: a candidate handed back or moved
//!   away is registered anew;
//! - no move to the status one is already in;
//! - INTAKE is re-entered only from ON_HOLD (resuming a paused registration);
//! - a status takes effect on or after the date of the one before it;
//! - TERUGGEMELD always has a reason, other statuses never.

use chrono::NaiveDate;

/// The status of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegistrationStatus {
    Intake,
    Voortraject,
    Proefplaatsing,
    Opleiding,
    DvbRegulierWerkgever,
    DvbIbn,
    Verhuisd,
    OnHold,
    Teruggemeld,
}

/// The group (hoofdstatus) of a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusGroup {
    /// Aan het werk / opleiding geholpen.
    AanHetWerkOpleiding,
    /// Nog in traject.
    NogInTraject,
    /// Niet in traject.
    NietInTraject,
}

impl StatusGroup {
    /// The groups in the order the reports show them.
    pub const REPORT_ORDER: [Self; 3] = [Self::AanHetWerkOpleiding, Self::NogInTraject, Self::NietInTraject];

    /// The statuses of this group, in report order.
    pub fn statuses(self) -> &'static [RegistrationStatus] {
        use RegistrationStatus::*;
        match self {
            Self::AanHetWerkOpleiding => &[Opleiding, DvbRegulierWerkgever, DvbIbn],
            Self::NogInTraject => &[Proefplaatsing, Voortraject, Intake],
            Self::NietInTraject => &[Verhuisd, OnHold, Teruggemeld],
        }
    }
}

/// Why a registration was handed back to the municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TerugmeldingReason {
    TijdelijkNietInStaat,
    VoldoetNietAanInstroomeisen,
    OpVerzoekVanGemeente,
    OpVerzoekVanKandidaat,
    Overig,
    /// Niet uit de data af te leiden: unknown, in legacy data.
    NietUitDeDataAfTeLeiden,
}

impl TerugmeldingReason {
    /// The reasons in the order the reports show them.
    pub const REPORT_ORDER: [Self; 6] = [
        Self::TijdelijkNietInStaat,
        Self::VoldoetNietAanInstroomeisen,
        Self::OpVerzoekVanGemeente,
        Self::OpVerzoekVanKandidaat,
        Self::Overig,
        Self::NietUitDeDataAfTeLeiden,
    ];

    /// The code stored and exchanged.
    pub fn code(self) -> &'static str {
        match self {
            Self::TijdelijkNietInStaat => "TIJDELIJK_NIET_IN_STAAT",
            Self::VoldoetNietAanInstroomeisen => "VOLDOET_NIET_AAN_INSTROOMEISEN",
            Self::OpVerzoekVanGemeente => "OP_VERZOEK_VAN_GEMEENTE",
            Self::OpVerzoekVanKandidaat => "OP_VERZOEK_VAN_KANDIDAAT",
            Self::Overig => "OVERIG",
            Self::NietUitDeDataAfTeLeiden => "NIET_UIT_DE_DATA_AF_TE_LEIDEN",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::REPORT_ORDER.into_iter().find(|r| r.code() == code)
    }
}

impl RegistrationStatus {
    pub const ALL: [Self; 9] = [
        Self::Intake,
        Self::Voortraject,
        Self::Proefplaatsing,
        Self::Opleiding,
        Self::DvbRegulierWerkgever,
        Self::DvbIbn,
        Self::Verhuisd,
        Self::OnHold,
        Self::Teruggemeld,
    ];

    /// The code stored and exchanged.
    pub fn code(self) -> &'static str {
        match self {
            Self::Intake => "INTAKE",
            Self::Voortraject => "VOORTRAJECT",
            Self::Proefplaatsing => "PROEFPLAATSING",
            Self::Opleiding => "OPLEIDING",
            Self::DvbRegulierWerkgever => "DVB_REGULIERE_WERKGEVER",
            Self::DvbIbn => "DVB_IBN",
            Self::Verhuisd => "VERHUISD",
            Self::OnHold => "ON_HOLD",
            Self::Teruggemeld => "TERUGGEMELD",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn group(self) -> StatusGroup {
        StatusGroup::REPORT_ORDER
            .into_iter()
            .find(|g| g.statuses().contains(&self))
            .unwrap_or(StatusGroup::NogInTraject)
    }

    /// Work or education: the registration's outcome.
    pub fn is_outcome(self) -> bool {
        self.group() == StatusGroup::AanHetWerkOpleiding
    }

    /// Nothing leaves a final status.
    pub fn is_final(self) -> bool {
        self.is_outcome() || matches!(self, Self::Verhuisd | Self::Teruggemeld)
    }
}

/// One entry of a status history as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub status: RegistrationStatus,
    pub effective_date: NaiveDate,
    pub reason: Option<TerugmeldingReason>,
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    #[error("{} is final; nothing leaves it (register the candidate anew)", .from.code())]
    FromFinal { from: RegistrationStatus },
    #[error("the registration is already {}", .0.code())]
    Same(RegistrationStatus),
    #[error("INTAKE can only be resumed from ON_HOLD, not from {}", .from.code())]
    BackToIntake { from: RegistrationStatus },
    #[error("{date} is before {previous}, the date of the status before it")]
    BeforePrevious { date: NaiveDate, previous: NaiveDate },
    #[error("TERUGGEMELD needs a terugmelding reason")]
    ReasonMissing,
    #[error("a terugmelding reason belongs only to TERUGGEMELD")]
    ReasonNotAllowed,
}

impl MoveError {
    /// Which part of the change is at fault: `status`, `effective_date` or
    /// `terugmelding_reason`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::FromFinal { .. } | Self::Same(_) | Self::BackToIntake { .. } => "status",
            Self::BeforePrevious { .. } => "effective_date",
            Self::ReasonMissing | Self::ReasonNotAllowed => "terugmelding_reason",
        }
    }

    /// True if the change is wrong in itself (INVALID_ARGUMENT), false if it
    /// is refused because of the history (FAILED_PRECONDITION).
    pub fn is_invalid_argument(&self) -> bool {
        matches!(self, Self::ReasonMissing | Self::ReasonNotAllowed)
    }
}

/// Checks the reason rule of one change on its own.
pub fn check_reason(change: &StatusChange) -> Result<(), MoveError> {
    match (change.status, change.reason) {
        (RegistrationStatus::Teruggemeld, None) => Err(MoveError::ReasonMissing),
        (RegistrationStatus::Teruggemeld, Some(_)) => Ok(()),
        (_, Some(_)) => Err(MoveError::ReasonNotAllowed),
        (_, None) => Ok(()),
    }
}

/// Checks a move from the current status to the next.
pub fn check_move(current: &StatusChange, next: &StatusChange) -> Result<(), MoveError> {
    check_reason(next)?;
    if current.status.is_final() {
        return Err(MoveError::FromFinal { from: current.status });
    }
    if current.status == next.status {
        return Err(MoveError::Same(next.status));
    }
    if next.status == RegistrationStatus::Intake && current.status != RegistrationStatus::OnHold {
        return Err(MoveError::BackToIntake { from: current.status });
    }
    if next.effective_date < current.effective_date {
        return Err(MoveError::BeforePrevious { date: next.effective_date, previous: current.effective_date });
    }
    Ok(())
}

/// Why a whole history is refused: the entry at `index` breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {index}: {error}")]
pub struct HistoryError {
    pub index: usize,
    pub error: MoveError,
}

/// Checks a whole history (the first entry being the INTAKE on the
/// registration date), e.g. an imported one or one after a correction.
pub fn check_history(history: &[StatusChange]) -> Result<(), HistoryError> {
    for (index, pair) in history.windows(2).enumerate() {
        check_move(&pair[0], &pair[1]).map_err(|error| HistoryError { index: index + 1, error })?;
    }
    Ok(())
}

/// The status in effect on `date`: the last entry dated on or before it.
pub fn status_on(history: &[StatusChange], date: NaiveDate) -> Option<&StatusChange> {
    history.iter().rev().find(|c| c.effective_date <= date)
}

#[cfg(test)]
mod tests {
    use super::RegistrationStatus::*;
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(status: RegistrationStatus, date: &str) -> StatusChange {
        let reason = (status == Teruggemeld).then_some(TerugmeldingReason::Overig);
        StatusChange { status, effective_date: d(date), reason }
    }

    #[test]
    fn every_status_has_one_group_and_a_round_tripping_code() {
        for status in RegistrationStatus::ALL {
            let groups = StatusGroup::REPORT_ORDER.iter().filter(|g| g.statuses().contains(&status)).count();
            assert_eq!(groups, 1, "{status:?}");
            assert_eq!(RegistrationStatus::from_code(status.code()), Some(status));
        }
        for reason in TerugmeldingReason::REPORT_ORDER {
            assert_eq!(TerugmeldingReason::from_code(reason.code()), Some(reason));
        }
    }

    #[test]
    fn terugmelding_is_terminal() {
        let handed_back = at(Teruggemeld, "2022-03-01");
        for next in RegistrationStatus::ALL {
            let err = check_move(&handed_back, &at(next, "2022-04-01")).unwrap_err();
            assert_eq!(err, MoveError::FromFinal { from: Teruggemeld }, "{next:?}");
        }
    }

    #[test]
    fn outcomes_and_verhuisd_are_final() {
        for from in [Opleiding, DvbRegulierWerkgever, DvbIbn, Verhuisd] {
            assert!(check_move(&at(from, "2022-01-01"), &at(OnHold, "2022-02-01")).is_err());
        }
    }

    #[test]
    fn the_usual_paths_are_allowed() {
        let path = [
            at(Intake, "2022-01-10"),
            at(Voortraject, "2022-02-01"),
            at(OnHold, "2022-03-01"),
            at(Intake, "2022-04-01"),
            at(Proefplaatsing, "2022-05-01"),
            at(Voortraject, "2022-06-01"),
            at(DvbIbn, "2022-06-01"),
        ];
        assert_eq!(check_history(&path), Ok(()));
    }

    #[test]
    fn intake_is_resumed_only_from_on_hold() {
        let err = check_move(&at(Voortraject, "2022-01-01"), &at(Intake, "2022-02-01")).unwrap_err();
        assert_eq!(err.field(), "status");
    }

    #[test]
    fn a_status_cannot_take_effect_before_the_previous_one() {
        let err = check_move(&at(Intake, "2022-05-01"), &at(Voortraject, "2022-04-30")).unwrap_err();
        assert_eq!(err.field(), "effective_date");
        assert!(!err.is_invalid_argument());
    }

    #[test]
    fn teruggemeld_needs_a_reason_and_others_refuse_one() {
        let mut change = at(Teruggemeld, "2022-02-01");
        change.reason = None;
        assert_eq!(check_move(&at(Intake, "2022-01-01"), &change), Err(MoveError::ReasonMissing));
        let mut change = at(Voortraject, "2022-02-01");
        change.reason = Some(TerugmeldingReason::Overig);
        assert_eq!(check_move(&at(Intake, "2022-01-01"), &change), Err(MoveError::ReasonNotAllowed));
    }

    #[test]
    fn history_errors_name_the_entry() {
        let history = [at(Intake, "2022-01-01"), at(Teruggemeld, "2022-02-01"), at(Intake, "2022-03-01")];
        assert_eq!(check_history(&history).unwrap_err().index, 2);
    }

    #[test]
    fn status_on_a_date_is_the_last_one_in_effect() {
        let history = [at(Intake, "2022-01-01"), at(Voortraject, "2022-03-01"), at(DvbIbn, "2023-02-01")];
        assert_eq!(status_on(&history, d("2021-12-31")), None);
        assert_eq!(status_on(&history, d("2022-03-01")).unwrap().status, Voortraject);
        assert_eq!(status_on(&history, d("2022-12-31")).unwrap().status, Voortraject);
        assert_eq!(status_on(&history, d("2023-12-31")).unwrap().status, DvbIbn);
    }
}
