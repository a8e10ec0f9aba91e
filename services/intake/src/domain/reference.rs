//! Reference data: areas, municipalities with their validity and merger
//! history, and the pluspakket catalogue (domain.md §1). Loaded from a data
//! file at start-up and checked for consistency before the service serves.
//!
//! The merger history answers two kinds of question: "what was true on a
//! date" (which area did GM0856 Uden belong to on 2021-05-01, and what was
//! the area called then) and "what is it today" (a 2021 registration from
//! Uden counts for today's Maashorst).

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::Deserialize;

/// The reference data file in the repository, built into the binary as the
/// default.
pub const EMBEDDED: &str = include_str!("../../reference/municipalities.toml");

/// An area's name from a date on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaName {
    pub name: String,
    /// First day of this name; unset for "since the data begins".
    pub from: Option<NaiveDate>,
}

/// An area (uitvoeringsgebied).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub code: String,
    /// Its names over time, oldest first.
    pub names: Vec<AreaName>,
}

impl Area {
    /// The name on a date.
    pub fn name_on(&self, date: NaiveDate) -> &str {
        self.names
            .iter()
            .rev()
            .find(|n| n.from.is_none_or(|from| from <= date))
            .or(self.names.first())
            .map(|n| n.name.as_str())
            .unwrap_or(&self.code)
    }
}

/// A municipality (gemeente).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Municipality {
    /// CBS gemeentecode.
    pub code: String,
    pub name: String,
    /// The code of its area.
    pub area: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// The municipality it merged into.
    pub successor: Option<String>,
}

impl Municipality {
    /// Did it exist on this date?
    pub fn exists_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date <= to)
    }
}

/// A service of the pluspakket catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluspakketService {
    pub code: String,
    pub name: String,
}

/// What reports are made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Partnership,
    Area(String),
    Municipality(String),
}

/// Why a reference data file or a lookup is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("reference data does not parse: {0}")]
    Parse(String),
    #[error("reference data is inconsistent: {0}")]
    Inconsistent(String),
    #[error("unknown municipality {0}")]
    UnknownMunicipality(String),
    #[error("unknown area {0}")]
    UnknownArea(String),
    #[error("municipality {code} did not exist on {date}{}", successor_hint(.successor))]
    NotOnDate { code: String, date: NaiveDate, successor: Option<String> },
}

fn successor_hint(successor: &Option<String>) -> String {
    successor.as_ref().map(|s| format!(" (it merged into {s})")).unwrap_or_default()
}

/// All reference data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceData {
    pub areas: Vec<Area>,
    pub municipalities: Vec<Municipality>,
    #[serde(default)]
    pub pluspakket_services: Vec<PluspakketService>,
}

impl ReferenceData {
    /// The reference data built into the binary.
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    /// Parses and checks a reference data file.
    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let data: Self = toml::from_str(text).map_err(|e| ReferenceError::Parse(e.to_string()))?;
        data.check()?;
        Ok(data)
    }

    fn check(&self) -> Result<(), ReferenceError> {
        let bad = |msg: String| Err(ReferenceError::Inconsistent(msg));
        let mut codes = HashSet::new();
        for area in &self.areas {
            if !codes.insert(&area.code) || area.names.is_empty() {
                return bad(format!("area {} is duplicated or has no name", area.code));
            }
        }
        let mut codes = HashSet::new();
        for m in &self.municipalities {
            if !codes.insert(&m.code) {
                return bad(format!("municipality {} is listed twice", m.code));
            }
            if self.area(&m.area).is_none() {
                return bad(format!("municipality {} names unknown area {}", m.code, m.area));
            }
            if let (Some(from), Some(to)) = (m.valid_from, m.valid_to) {
                if to < from {
                    return bad(format!("municipality {} ends before it begins", m.code));
                }
            }
            match (&m.successor, m.valid_to) {
                (Some(_), None) => return bad(format!("municipality {} has a successor but no valid_to", m.code)),
                (Some(s), Some(to)) => match self.municipalities.iter().find(|x| &x.code == s) {
                    None => return bad(format!("municipality {} merged into unknown {s}", m.code)),
                    Some(next) if next.valid_from.is_some_and(|from| from <= to) => {
                        return bad(format!("{s} begins before its predecessor {} ends", m.code));
                    }
                    Some(_) => {}
                },
                _ => {}
            }
        }
        // Every successor chain must end in a municipality without successor.
        for m in &self.municipalities {
            let mut seen = HashSet::new();
            let mut at = m;
            while let Some(next) = &at.successor {
                if !seen.insert(next.clone()) {
                    return bad(format!("the successors of {} go round in a circle", m.code));
                }
                at = self.municipalities.iter().find(|x| &x.code == next).expect("checked above");
            }
        }
        Ok(())
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.code == code)
    }

    pub fn municipality(&self, code: &str) -> Result<&Municipality, ReferenceError> {
        self.municipalities
            .iter()
            .find(|m| m.code == code)
            .ok_or_else(|| ReferenceError::UnknownMunicipality(code.to_owned()))
    }

    /// The municipality, which must have existed on the date.
    pub fn municipality_on(&self, code: &str, date: NaiveDate) -> Result<&Municipality, ReferenceError> {
        let m = self.municipality(code)?;
        if m.exists_on(date) {
            Ok(m)
        } else {
            Err(ReferenceError::NotOnDate { code: code.to_owned(), date, successor: m.successor.clone() })
        }
    }

    /// Today's municipality that `code` maps onto (itself if it still exists).
    pub fn current_municipality(&self, code: &str) -> Result<&Municipality, ReferenceError> {
        let mut at = self.municipality(code)?;
        while let Some(next) = &at.successor {
            at = self.municipality(next)?;
        }
        Ok(at)
    }

    /// The municipalities `code` was formed from, directly.
    pub fn predecessors(&self, code: &str) -> Vec<&Municipality> {
        self.municipalities.iter().filter(|m| m.successor.as_deref() == Some(code)).collect()
    }

    /// The municipalities that existed on a date.
    pub fn municipalities_on(&self, date: NaiveDate) -> Vec<&Municipality> {
        self.municipalities.iter().filter(|m| m.exists_on(date)).collect()
    }

    /// The area a municipality belongs to.
    pub fn area_of(&self, municipality: &Municipality) -> &Area {
        self.area(&municipality.area).expect("checked at load")
    }

    /// The members of an area on a date.
    pub fn members_on(&self, area: &str, date: NaiveDate) -> Vec<&Municipality> {
        self.municipalities.iter().filter(|m| m.area == area && m.exists_on(date)).collect()
    }

    /// Every municipality code whose registrations belong to the scope: for
    /// a municipality, itself and everything merged into it over time; for an
    /// area, every municipality today's members map from.
    pub fn codes_in_scope(&self, scope: &Scope) -> Result<Vec<String>, ReferenceError> {
        let codes = match scope {
            Scope::Partnership => self.municipalities.iter().map(|m| m.code.clone()).collect(),
            Scope::Area(area) => {
                self.area(area).ok_or_else(|| ReferenceError::UnknownArea(area.clone()))?;
                let mut codes = Vec::new();
                for m in &self.municipalities {
                    if self.area_of(self.current_municipality(&m.code)?).code == *area {
                        codes.push(m.code.clone());
                    }
                }
                codes
            }
            Scope::Municipality(code) => {
                self.municipality(code)?;
                let mut codes = vec![code.clone()];
                let mut next = 0;
                while next < codes.len() {
                    let predecessors = self.predecessors(&codes[next]);
                    codes.extend(predecessors.into_iter().map(|m| m.code.clone()));
                    next += 1;
                }
                codes
            }
        };
        Ok(codes)
    }

    /// A pluspakket service by code.
    pub fn pluspakket_service(&self, code: &str) -> Option<&PluspakketService> {
        self.pluspakket_services.iter().find(|s| s.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn data() -> ReferenceData {
        ReferenceData::embedded().expect("the repository's reference data loads")
    }

    #[test]
    fn eleven_municipalities_became_six_in_four_areas() {
        let data = data();
        assert_eq!(data.municipalities_on(d("2021-12-31")).len(), 11);
        assert_eq!(data.municipalities_on(d("2022-01-01")).len(), 6);
        assert_eq!(data.areas.len(), 4);
    }

    #[test]
    fn uden_was_in_uden_landerd_on_2021_05_01() {
        let data = data();
        let uden = data.municipality_on("GM0856", d("2021-05-01")).unwrap();
        let area = data.area_of(uden);
        assert_eq!(area.code, "MAASHORST");
        assert_eq!(area.name_on(d("2021-05-01")), "Uden/Landerd");
        assert_eq!(area.name_on(d("2022-01-01")), "Maashorst");
        assert_eq!(data.current_municipality("GM0856").unwrap().code, "GM1991");
    }

    #[test]
    fn a_merged_municipality_did_not_exist_after_the_merger() {
        let err = data().municipality_on("GM0856", d("2022-01-01")).unwrap_err();
        assert!(err.to_string().contains("merged into GM1991"), "{err}");
        assert!(data().municipality_on("GM1991", d("2021-12-31")).is_err());
    }

    #[test]
    fn scopes_map_old_municipalities_onto_todays() {
        let data = data();
        let mut maashorst = data.codes_in_scope(&Scope::Municipality("GM1991".into())).unwrap();
        maashorst.sort();
        assert_eq!(maashorst, ["GM0856", "GM1685", "GM1991"]);
        let cuijk = data.codes_in_scope(&Scope::Area("LAND_VAN_CUIJK".into())).unwrap();
        assert_eq!(cuijk.len(), 6);
        // 11 municipalities before the merger and the 2 formed by it.
        assert_eq!(data.codes_in_scope(&Scope::Partnership).unwrap().len(), 13);
        assert_eq!(data.codes_in_scope(&Scope::Municipality("GM0856".into())).unwrap(), ["GM0856"]);
        assert!(data.codes_in_scope(&Scope::Area("NOWHERE".into())).is_err());
    }

    #[test]
    fn the_next_merger_is_data() {
        let text = format!(
            "{EMBEDDED}\n[[municipalities]]\ncode = \"GM9999\"\nname = \"Samen\"\narea = \"OSS\"\nvalid_from = \"2030-01-01\"\n"
        )
        .replace(
            "code = \"GM0828\"\nname = \"Oss\"\narea = \"OSS\"\n",
            "code = \"GM0828\"\nname = \"Oss\"\narea = \"OSS\"\nvalid_to = \"2029-12-31\"\nsuccessor = \"GM9999\"\n",
        );
        let data = ReferenceData::from_toml(&text).unwrap();
        assert_eq!(data.current_municipality("GM0828").unwrap().code, "GM9999");
        assert_eq!(data.municipalities_on(d("2030-01-01")).len(), 6);
    }

    #[test]
    fn inconsistent_files_are_refused() {
        let text = EMBEDDED.replace("successor = \"GM1982\"", "successor = \"GM0000\"");
        assert!(matches!(ReferenceData::from_toml(&text), Err(ReferenceError::Inconsistent(_))));
    }
}
