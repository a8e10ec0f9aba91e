//! What a registration (aanmelding) asks for, and who counts as youth.
//!
//! Basispakket registrations and pluspakket registrations are different
//! types in different tables: there is no kind a pluspakket service could be
//! recorded under here, so it can never be counted as basispakket (an
//! earlier hand-made report once counted 257 instead of 236).

use chrono::NaiveDate;

/// The basispakket service a registration asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationKind {
    /// A job with development trajectory at IBN (garantiebaan).
    Dienstverband,
    /// Preparation for work (a voortraject).
    Arbeidsvoorbereiding,
}

impl RegistrationKind {
    pub const ALL: [Self; 2] = [Self::Dienstverband, Self::Arbeidsvoorbereiding];

    pub fn code(self) -> &'static str {
        match self {
            Self::Dienstverband => "DIENSTVERBAND",
            Self::Arbeidsvoorbereiding => "ARBEIDSVOORBEREIDING",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The kind of voortraject, where known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VoortrajectKind {
    ArbeidstrainingWerkvloer,
    StageVsoPro,
    VoorschakeltrajectBeschut,
}

impl VoortrajectKind {
    pub const ALL: [Self; 3] = [Self::ArbeidstrainingWerkvloer, Self::StageVsoPro, Self::VoorschakeltrajectBeschut];

    pub fn code(self) -> &'static str {
        match self {
            Self::ArbeidstrainingWerkvloer => "ARBEIDSTRAINING_WERKVLOER",
            Self::StageVsoPro => "STAGE_VSO_PRO",
            Self::VoorschakeltrajectBeschut => "VOORSCHAKELTRAJECT_BESCHUT",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Youth (jongeren) are under this age on the registration date.
pub const YOUTH_AGE_LIMIT: u32 = 27;

/// Jongere: under 27 on the registration date.
pub fn is_youth(birth_date: NaiveDate, registration_date: NaiveDate) -> bool {
    registration_date.years_since(birth_date).is_some_and(|age| age < YOUTH_AGE_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn youth_ends_on_the_27th_birthday() {
        assert!(is_youth(d("1995-06-15"), d("2022-06-14")));
        assert!(!is_youth(d("1995-06-15"), d("2022-06-15")));
    }

    #[test]
    fn leap_day_birthdays_turn_27_on_the_first_of_march() {
        assert!(is_youth(d("1996-02-29"), d("2023-02-28")));
        assert!(!is_youth(d("1996-02-29"), d("2023-03-01")));
    }

    #[test]
    fn codes_round_trip() {
        for kind in RegistrationKind::ALL {
            assert_eq!(RegistrationKind::from_code(kind.code()), Some(kind));
        }
        for kind in VoortrajectKind::ALL {
            assert_eq!(VoortrajectKind::from_code(kind.code()), Some(kind));
        }
    }
}
