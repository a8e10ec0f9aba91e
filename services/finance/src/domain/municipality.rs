//! The municipalities (gemeenten) as the intake service knows them, with
//! their validity and merger history (domain.md §1). Finance does not keep
//! its own copy of the reference data: it asks intake and answers with
//! this directory the questions money needs — is a code known, did the
//! municipality exist throughout a quarter, and onto which municipality
//! does a 2021 key's Uden map in 2022 (Maashorst).

use chrono::NaiveDate;

use super::RuleError;

/// One municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    /// CBS gemeentecode.
    pub code: String,
    pub name: String,
    /// First day it existed; `None` for "since before the data begins".
    pub valid_from: Option<NaiveDate>,
    /// Last day it existed; `None` while it exists.
    pub valid_to: Option<NaiveDate>,
    /// The municipality it merged into.
    pub successor: Option<String>,
}

impl Municipality {
    pub fn exists_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date <= to)
    }
}

/// Every municipality of the reference data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    municipalities: Vec<Municipality>,
}

impl Directory {
    pub fn new(municipalities: Vec<Municipality>) -> Self {
        Self { municipalities }
    }

    pub fn get(&self, code: &str) -> Option<&Municipality> {
        self.municipalities.iter().find(|m| m.code == code)
    }

    /// The municipality, or INVALID_ARGUMENT naming `field`.
    pub fn known(&self, field: &str, code: &str) -> Result<&Municipality, RuleError> {
        self.get(code).ok_or_else(|| RuleError::invalid(field, format!("{code:?} is not a known municipality")))
    }

    /// The municipality, which must have existed from `first` to `last`
    /// (e.g. a quarter it is invoiced for).
    pub fn existing_throughout(
        &self,
        field: &str,
        code: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<&Municipality, RuleError> {
        let m = self.known(field, code)?;
        let missing = [first, last].into_iter().find(|d| !m.exists_on(*d));
        match missing {
            None => Ok(m),
            Some(date) => {
                let hint = m.successor.as_ref().map(|s| format!(" (it merged into {s})")).unwrap_or_default();
                Err(RuleError::refused(
                    field,
                    format!("municipalities/{code}"),
                    format!("{code} did not exist on {date}{hint}"),
                ))
            }
        }
    }

    /// The municipality `code` was, or merged into, on `date`: Uden
    /// (GM0856) on 2022-03-01 is Maashorst (GM1991).
    pub fn on_date(&self, code: &str, date: NaiveDate) -> Result<String, RuleError> {
        let mut at = self.known("municipality_code", code)?;
        let mut steps = 0;
        while !at.exists_on(date) {
            let next = at.successor.as_deref().filter(|_| steps < self.municipalities.len());
            at = match next.and_then(|s| self.get(s)) {
                Some(m) => m,
                None => {
                    return Err(RuleError::refused(
                        "municipality_code",
                        format!("municipalities/{code}"),
                        format!("{code} did not exist on {date} and did not merge into one that did"),
                    ));
                }
            };
            steps += 1;
        }
        Ok(at.code.clone())
    }

    /// Today's municipality `code` maps onto (itself if it still exists).
    pub fn current(&self, code: &str) -> String {
        let mut at = code.to_owned();
        for _ in 0..=self.municipalities.len() {
            match self.get(&at).and_then(|m| m.successor.clone()) {
                Some(next) => at = next,
                None => break,
            }
        }
        at
    }

    /// The municipality and every one merged into it over time.
    pub fn formed_from(&self, code: &str) -> Vec<String> {
        let mut codes = vec![code.to_owned()];
        let mut next = 0;
        while next < codes.len() {
            let predecessors: Vec<String> = self
                .municipalities
                .iter()
                .filter(|m| m.successor.as_deref() == Some(codes[next].as_str()) && !codes.contains(&m.code))
                .map(|m| m.code.clone())
                .collect();
            codes.extend(predecessors);
            next += 1;
        }
        codes
    }

    /// Every code, old and current.
    pub fn all_codes(&self) -> Vec<String> {
        self.municipalities.iter().map(|m| m.code.clone()).collect()
    }

    pub fn name(&self, code: &str) -> String {
        self.get(code).map(|m| m.name.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The partnership's municipalities (domain.md §1).
    pub(crate) fn partnership() -> Directory {
        let today = [("GM0828", "Oss"), ("GM1721", "Bernheze"), ("GM0755", "Boekel"), ("GM1948", "Meierijstad")];
        let merged = [
            ("GM0856", "Uden", "GM1991"),
            ("GM1685", "Landerd", "GM1991"),
            ("GM0756", "Boxmeer", "GM1982"),
            ("GM1684", "Cuijk", "GM1982"),
            ("GM0786", "Grave", "GM1982"),
            ("GM0815", "Mill en Sint Hubert", "GM1982"),
            ("GM1702", "Sint Anthonis", "GM1982"),
        ];
        let mut all: Vec<Municipality> = today
            .iter()
            .map(|(code, name)| Municipality {
                code: (*code).into(),
                name: (*name).into(),
                valid_from: None,
                valid_to: None,
                successor: None,
            })
            .collect();
        for (code, name) in [("GM1991", "Maashorst"), ("GM1982", "Land van Cuijk")] {
            all.push(Municipality {
                code: code.into(),
                name: name.into(),
                valid_from: Some(d("2022-01-01")),
                valid_to: None,
                successor: None,
            });
        }
        for (code, name, successor) in merged {
            all.push(Municipality {
                code: code.into(),
                name: name.into(),
                valid_from: None,
                valid_to: Some(d("2021-12-31")),
                successor: Some(successor.into()),
            });
        }
        Directory::new(all)
    }

    #[test]
    fn old_municipalities_map_onto_their_successors_after_the_merger() {
        let dir = partnership();
        assert_eq!(dir.on_date("GM0856", d("2021-12-31")).unwrap(), "GM0856");
        assert_eq!(dir.on_date("GM0856", d("2022-01-01")).unwrap(), "GM1991");
        assert_eq!(dir.on_date("GM0828", d("2022-01-01")).unwrap(), "GM0828");
        assert!(dir.on_date("GM1991", d("2021-06-01")).is_err(), "Maashorst did not exist in 2021");
        assert_eq!(dir.current("GM1702"), "GM1982");
        let mut maashorst = dir.formed_from("GM1991");
        maashorst.sort();
        assert_eq!(maashorst, ["GM0856", "GM1685", "GM1991"]);
    }

    #[test]
    fn invoiced_municipalities_must_exist_throughout_the_quarter() {
        let dir = partnership();
        assert!(dir.existing_throughout("m", "GM0856", d("2021-10-01"), d("2021-12-31")).is_ok());
        let err = dir.existing_throughout("m", "GM0856", d("2022-01-01"), d("2022-03-31")).unwrap_err();
        assert!(err.to_string().contains("merged into GM1991"), "{err}");
        let err = dir.existing_throughout("municipality_code", "GM9999", d("2022-01-01"), d("2022-03-31")).unwrap_err();
        assert!(matches!(err, RuleError::Invalid { ref field, .. } if field == "municipality_code"));
    }
}
