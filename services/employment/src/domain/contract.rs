//! Contracts (dienstverbanden) as IBN's HR system records them, the
//! classification of a PW contract (domain.md §3), and the checks a pushed
//! contract must pass before anything of it is stored.

use chrono::NaiveDate;
use partnership_platform::code_enum;
use rust_decimal::Decimal;

code_enum! {
    /// The kind of a contract at IBN.
    pub enum ContractKind { Wsw = "WSW", Pw = "PW", Regulier = "REGULIER", Kader = "KADER" }
}

code_enum! {
    /// Soort plaatsing: supply-led (the municipality offers a candidate) or
    /// demand-led (a vacancy filled by a candidate with 60–100% wage value).
    pub enum SoortPlaatsing { Aanbodgestuurd = "AANBODGESTUURD", Vraaggestuurd = "VRAAGGESTUURD" }
}

code_enum! {
    /// Doelgroep of a PW contract.
    pub enum Doelgroep {
        NieuwRegulier = "NIEUW_REGULIER",
        /// Nieuw beschut: sheltered work.
        NieuwBeschut = "NIEUW_BESCHUT",
        RegulierVraaggestuurd = "REGULIER_VRAAGGESTUURD",
    }
}

code_enum! {
    /// Uitstroomprofiel: the prospect of moving on to regular work.
    pub enum Uitstroomprofiel {
        MetUitstroomprofielRegulier = "MET_UITSTROOMPROFIEL_REGULIER",
        ZonderUitstroomprofielRegulier = "ZONDER_UITSTROOMPROFIEL_REGULIER",
        NietBekend = "NIET_BEKEND",
        NvtVraaggestuurd = "NVT_VRAAGGESTUURD",
        Forfaitair = "FORFAITAIR",
    }
}

code_enum! {
    /// Loonwaardeklasse: the class of the measured wage value.
    pub enum Loonwaardeklasse {
        Onder30 = "ONDER_30",
        Van30Tot50 = "30_TOT_50",
        Van50TotEnMet80 = "50_TOT_EN_MET_80",
        Boven80 = "BOVEN_80",
        Forfaitair = "FORFAITAIR",
    }
}

code_enum! {
    /// A step on the werkladder (work ladder).
    pub enum WerkladderStep {
        WerkenBinnenIbn = "WERKEN_BINNEN_IBN",
        WerkenOpLocatie = "WERKEN_OP_LOCATIE",
        ZelfstandigWerkenOpLocatie = "ZELFSTANDIG_WERKEN_OP_LOCATIE",
        RegulierWerkenMetVangnet = "REGULIER_WERKEN_MET_VANGNET",
        RegulierWerken = "REGULIER_WERKEN",
    }
}

impl WerkladderStep {
    /// The steps on which a person is in dienst bij IBN (domain.md §4).
    pub const IN_DIENST_BIJ_IBN: [Self; 3] =
        [Self::WerkenBinnenIbn, Self::WerkenOpLocatie, Self::ZelfstandigWerkenOpLocatie];
}

/// The wage value of a PW contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Loonwaarde {
    /// Measured, in percent (0–100).
    Measured(Decimal),
    /// Forfaitair: not measured yet; due by the end of the 3rd month.
    Forfaitair,
}

impl Loonwaarde {
    /// The class: <30%, 30–49%, 50–80%, >80% or forfaitair.
    pub fn class(self) -> Loonwaardeklasse {
        match self {
            Self::Forfaitair => Loonwaardeklasse::Forfaitair,
            Self::Measured(p) if p < Decimal::from(30) => Loonwaardeklasse::Onder30,
            Self::Measured(p) if p < Decimal::from(50) => Loonwaardeklasse::Van30Tot50,
            Self::Measured(p) if p <= Decimal::from(80) => Loonwaardeklasse::Van50TotEnMet80,
            Self::Measured(_) => Loonwaardeklasse::Boven80,
        }
    }
}

/// The classification of a PW contract at its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PwClassification {
    pub soort_plaatsing: SoortPlaatsing,
    pub doelgroep: Doelgroep,
    pub uitstroomprofiel: Uitstroomprofiel,
    pub loonwaarde: Loonwaarde,
    pub werkladder_step: WerkladderStep,
}

impl PwClassification {
    pub fn is_beschut(&self) -> bool {
        self.doelgroep == Doelgroep::NieuwBeschut
    }
}

/// A contract runs from its start to its end date, both included; without
/// an end date it runs on.
pub fn runs_on(start_date: NaiveDate, end_date: Option<NaiveDate>, day: NaiveDate) -> bool {
    start_date <= day && end_date.is_none_or(|end| day <= end)
}

/// A contract's facts, as pushed (the BSN already resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    pub hr_contract_id: String,
    pub candidate_id: String,
    pub kind: ContractKind,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub hours_per_week: Decimal,
    /// For PW: the paying municipality; otherwise optional.
    pub municipality_code: Option<String>,
    /// Required for PW, absent otherwise.
    pub pw: Option<PwClassification>,
}

impl Contract {
    /// Does the contract run on this day?
    pub fn runs_on(&self, day: NaiveDate) -> bool {
        runs_on(self.start_date, self.end_date, day)
    }

    /// A canonical text of every fact, to tell an identical push from a
    /// change without comparing field by field.
    pub fn fingerprint(&self) -> String {
        let pw = self.pw.as_ref().map(|pw| {
            let loonwaarde = match pw.loonwaarde {
                Loonwaarde::Measured(p) => p.normalize().to_string(),
                Loonwaarde::Forfaitair => "F".into(),
            };
            format!(
                "{}/{}/{}/{}/{}",
                pw.soort_plaatsing.code(),
                pw.doelgroep.code(),
                pw.uitstroomprofiel.code(),
                loonwaarde,
                pw.werkladder_step.code()
            )
        });
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            self.candidate_id,
            self.kind.code(),
            self.start_date,
            self.end_date.map(|d| d.to_string()).unwrap_or_default(),
            self.hours_per_week.normalize(),
            self.municipality_code.as_deref().unwrap_or_default(),
            pw.unwrap_or_default()
        )
    }
}

/// The most hours per week a contract may have.
pub const MAX_HOURS_PER_WEEK: u32 = 40;

/// Why a pushed contract is refused: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Rejection {
    pub field: String,
    pub reason: String,
}

impl Rejection {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        Self { field: field.to_owned(), reason: reason.into() }
    }
}

/// The rules between fields of one contract: dates in order, hours in
/// range, a PW contract classified and paid for, others not classified, a
/// measured loonwaarde between 0 and 100%.
pub fn check(contract: &Contract) -> Result<(), Rejection> {
    if let Some(end) = contract.end_date {
        if end < contract.start_date {
            return Err(Rejection::new("end_date", format!("{end} is before the start date {}", contract.start_date)));
        }
    }
    if contract.hours_per_week <= Decimal::ZERO || contract.hours_per_week > Decimal::from(MAX_HOURS_PER_WEEK) {
        return Err(Rejection::new(
            "hours_per_week",
            format!("{} is out of range: more than 0, at most {MAX_HOURS_PER_WEEK}", contract.hours_per_week),
        ));
    }
    match (contract.kind, &contract.pw) {
        (ContractKind::Pw, None) => Err(Rejection::new("pw", "a PW contract needs its classification")),
        (ContractKind::Pw, Some(_)) if contract.municipality_code.is_none() => {
            Err(Rejection::new("pw.paying_municipality_code", "is required for a PW contract"))
        }
        (ContractKind::Pw, Some(pw)) => match pw.loonwaarde {
            Loonwaarde::Measured(p) if p < Decimal::ZERO || p > Decimal::ONE_HUNDRED => {
                Err(Rejection::new("pw.loonwaarde.measured_percent", format!("{p} is not a percentage from 0 to 100")))
            }
            _ => Ok(()),
        },
        (_, Some(_)) => Err(Rejection::new("pw", "only PW contracts carry a PW classification")),
        (_, None) => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn pw(id: &str, candidate: &str, start: &str) -> Contract {
        Contract {
            hr_contract_id: id.into(),
            candidate_id: candidate.into(),
            kind: ContractKind::Pw,
            start_date: start.parse().unwrap(),
            end_date: None,
            hours_per_week: Decimal::from(32),
            municipality_code: Some("GM0828".into()),
            pw: Some(PwClassification {
                soort_plaatsing: SoortPlaatsing::Aanbodgestuurd,
                doelgroep: Doelgroep::NieuwRegulier,
                uitstroomprofiel: Uitstroomprofiel::MetUitstroomprofielRegulier,
                loonwaarde: Loonwaarde::Measured(Decimal::from(45)),
                werkladder_step: WerkladderStep::WerkenBinnenIbn,
            }),
        }
    }

    #[test]
    fn loonwaarde_classes_follow_the_report_boundaries() {
        let class = |p: &str| Loonwaarde::Measured(p.parse().unwrap()).class();
        assert_eq!(class("29.9"), Loonwaardeklasse::Onder30);
        assert_eq!(class("30"), Loonwaardeklasse::Van30Tot50);
        assert_eq!(class("49.5"), Loonwaardeklasse::Van30Tot50);
        assert_eq!(class("50"), Loonwaardeklasse::Van50TotEnMet80);
        assert_eq!(class("80"), Loonwaardeklasse::Van50TotEnMet80);
        assert_eq!(class("80.1"), Loonwaardeklasse::Boven80);
        assert_eq!(Loonwaarde::Forfaitair.class(), Loonwaardeklasse::Forfaitair);
    }

    #[test]
    fn malformed_contracts_are_rejected_with_the_field() {
        let mut c = pw("HR-1", "c1", "2022-03-01");
        c.end_date = Some("2022-02-28".parse().unwrap());
        assert_eq!(check(&c).unwrap_err().field, "end_date");

        let mut c = pw("HR-1", "c1", "2022-03-01");
        c.hours_per_week = Decimal::from(41);
        assert_eq!(check(&c).unwrap_err().field, "hours_per_week");
        c.hours_per_week = Decimal::ZERO;
        assert_eq!(check(&c).unwrap_err().field, "hours_per_week");

        let mut c = pw("HR-1", "c1", "2022-03-01");
        c.pw = None;
        assert_eq!(check(&c).unwrap_err().field, "pw");

        let mut c = pw("HR-1", "c1", "2022-03-01");
        c.kind = ContractKind::Kader;
        assert_eq!(check(&c).unwrap_err().field, "pw");

        let mut c = pw("HR-1", "c1", "2022-03-01");
        c.pw.as_mut().unwrap().loonwaarde = Loonwaarde::Measured(Decimal::from(101));
        assert_eq!(check(&c).unwrap_err().field, "pw.loonwaarde.measured_percent");

        assert_eq!(check(&pw("HR-1", "c1", "2022-03-01")), Ok(()));
    }

    #[test]
    fn the_fingerprint_changes_with_every_fact_and_ignores_notation() {
        let a = pw("HR-1", "c1", "2022-03-01");
        let mut b = a.clone();
        b.hours_per_week = "32.00".parse().unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.end_date = Some("2023-01-01".parse().unwrap());
        assert_ne!(a.fingerprint(), b.fingerprint());
        let mut c = a.clone();
        c.pw.as_mut().unwrap().werkladder_step = WerkladderStep::WerkenOpLocatie;
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
