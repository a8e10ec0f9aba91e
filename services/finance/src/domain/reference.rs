//! Finance's reference data: the surcharge percentage, the allocation keys
//! per year, the LKS parameters (wage bases, full-time hours, employer-cost
//! allowance, percentages) with the date they apply from, the historical
//! trajectkosten tariffs, and the pluspakket prices per year.
//!
//! This is data, not code: a new year's key or wage base is an edit of the
//! data file (`reference/finance.toml`, built in), or another file named in
//! the configuration. The file is checked whole at start-up; a service with
//! a bad file does not start. Decimals are written as strings ("1684.80"),
//! or integers; floats are refused, because they are not exact.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::RuleError;
use super::allocation::{AllocationKey, KeyEntry, KeyKind};
use super::lks::{LksRules, LksSchedule};
use super::money::parse_decimal;
use super::pluspakket::{Price, check_prices};
use super::trajectkosten::{Tariff, check_tariffs};

/// The data file in the repository, built into the binary as the default.
pub const EMBEDDED: &str = include_str!("../../reference/finance.toml");

/// Finance's reference data, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinanceReference {
    /// The lumpsum surcharge (opslag) in percent.
    pub surcharge_percent: Decimal,
    /// By year, then kind.
    pub keys: Vec<AllocationKey>,
    pub lks: LksSchedule,
    pub trajectkosten: Vec<Tariff>,
    /// By year, then service code.
    pub prices: Vec<Price>,
}

impl FinanceReference {
    /// The data built into the binary.
    pub fn embedded() -> Result<Self, ReferenceError> {
        Self::from_toml(EMBEDDED)
    }

    /// Parses and checks a data file.
    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let file: File = toml::from_str(text).map_err(|e| ReferenceError::Parse(e.to_string()))?;
        file.into_reference().map_err(ReferenceError::Inconsistent)
    }

    /// The key of a year and kind.
    pub fn key(&self, year: i32, kind: KeyKind) -> Option<&AllocationKey> {
        self.keys.iter().find(|k| k.year == year && k.kind == Some(kind))
    }
}

/// Why a data file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("finance reference data does not parse: {0}")]
    Parse(String),
    #[error("finance reference data is inconsistent: {0}")]
    Inconsistent(RuleError),
}

// ------------------------------------------------------------ the file

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    lumpsum: LumpsumSection,
    #[serde(default)]
    allocation_keys: Vec<KeyFile>,
    #[serde(default)]
    lks: Vec<LksFile>,
    #[serde(default)]
    trajectkosten: Vec<TariffFile>,
    #[serde(default)]
    pluspakket_prices: Vec<PriceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LumpsumSection {
    surcharge_percent: Dec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    year: i32,
    kind: String,
    description: String,
    entries: Vec<EntryFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    municipality: String,
    /// For people reading the file; the intake service has the names.
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
    weight: Dec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LksFile {
    from: NaiveDate,
    wage_base_month: Dec,
    full_time_hours: Dec,
    employer_cost_percent: Dec,
    cap_percent: Dec,
    beschut_percent: Dec,
    forfaitair_loonwaarde_percent: Dec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TariffFile {
    from: Option<NaiveDate>,
    to: NaiveDate,
    low: Dec,
    mid_high: Dec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    service: String,
    year: i32,
    price: Dec,
}

impl File {
    fn into_reference(self) -> Result<FinanceReference, RuleError> {
        let surcharge_percent = self.lumpsum.surcharge_percent.0;
        if surcharge_percent < Decimal::ZERO {
            return Err(RuleError::invalid("lumpsum.surcharge_percent", "may not be negative"));
        }
        let mut keys = Vec::with_capacity(self.allocation_keys.len());
        for (i, k) in self.allocation_keys.into_iter().enumerate() {
            let field = format!("allocation_keys[{i}]");
            let kind = KeyKind::from_code(&k.kind).ok_or_else(|| {
                RuleError::invalid(format!("{field}.kind"), format!("{:?} is not a key kind", k.kind))
            })?;
            let entries = k
                .entries
                .into_iter()
                .map(|e| KeyEntry { municipality_code: e.municipality, weight: e.weight.0 })
                .collect();
            let key = AllocationKey { year: k.year, kind: Some(kind), description: k.description, entries };
            key.check(&format!("{field}.entries"))?;
            if keys.iter().any(|other: &AllocationKey| other.year == key.year && other.kind == key.kind) {
                return Err(RuleError::invalid(field, format!("a second {} key for {}", kind.code(), key.year)));
            }
            keys.push(key);
        }
        keys.sort_by_key(|k| (k.year, k.kind));
        let lks = LksSchedule::new(
            self.lks
                .into_iter()
                .map(|r| LksRules {
                    from: r.from,
                    wage_base_month: r.wage_base_month.0,
                    full_time_hours: r.full_time_hours.0,
                    employer_cost_percent: r.employer_cost_percent.0,
                    cap_percent: r.cap_percent.0,
                    beschut_percent: r.beschut_percent.0,
                    forfaitair_loonwaarde_percent: r.forfaitair_loonwaarde_percent.0,
                })
                .collect(),
        )?;
        let trajectkosten: Vec<Tariff> = self
            .trajectkosten
            .into_iter()
            .map(|t| Tariff { from: t.from, to: t.to, low: t.low.0, mid_high: t.mid_high.0 })
            .collect();
        check_tariffs(&trajectkosten)?;
        let mut prices: Vec<Price> = self
            .pluspakket_prices
            .into_iter()
            .map(|p| Price { service_code: p.service, year: p.year, price_per_participant: p.price.0 })
            .collect();
        check_prices(&prices)?;
        prices.sort_by(|a, b| (a.year, &a.service_code).cmp(&(b.year, &b.service_code)));
        Ok(FinanceReference { surcharge_percent, keys, lks, trajectkosten, prices })
    }
}

/// An exact decimal in a data file: a string like "1684.80" or an integer.
#[derive(Debug, Clone, Copy)]
struct Dec(Decimal);

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DecVisitor;

        impl Visitor<'_> for DecVisitor {
            type Value = Dec;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                // Floats fall to serde's default: refused, as inexact.
                f.write_str("a decimal as a string (\"1684.80\") or an integer, not a float")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Dec, E> {
                parse_decimal("value", text).map(Dec).map_err(|e| E::custom(e.to_string()))
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Dec, E> {
                Ok(Dec(Decimal::from(n)))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Dec, E> {
                Ok(Dec(Decimal::from(n)))
            }
        }

        deserializer.deserialize_any(DecVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::allocation::allocate;

    fn data() -> FinanceReference {
        FinanceReference::embedded().expect("the repository's finance data loads")
    }

    #[test]
    fn the_2021_key_reproduces_the_worked_example() {
        let data = data();
        let key = data.key(2021, KeyKind::PBudgetNieuweDoelgroepen).expect("2021 key");
        assert_eq!(key.entries.len(), 11, "eleven municipalities before the merger");
        assert_eq!(key.total_weight(), Decimal::from(4_440_794));
        let parts = allocate(Decimal::from(2_246_325), key).unwrap();
        let oss = parts.iter().find(|p| p.municipality_code == "GM0828").unwrap();
        assert_eq!(oss.amount.to_string(), "952620.03");
        assert_eq!(data.surcharge_percent, Decimal::from(3));
    }

    #[test]
    fn the_data_has_wage_bases_and_the_historical_tariffs() {
        let data = data();
        let july_2021 = data.lks.in_force("2021-07-01".parse().unwrap()).unwrap();
        assert_eq!(july_2021.wage_base_month.to_string(), "1701.00");
        assert_eq!(july_2021.beschut_percent, Decimal::from(70));
        assert!(data.trajectkosten.iter().any(|t| t.low == Decimal::from(4100) && t.mid_high == Decimal::from(5500)));
    }

    /// The pluspakket service codes are the intake service's: a price for
    /// a service intake does not know could never be charged, and a
    /// service without a price could not be invoiced.
    #[test]
    fn pluspakket_prices_match_the_intake_catalogue() {
        #[derive(Deserialize)]
        struct Intake {
            pluspakket_services: Vec<Service>,
        }
        #[derive(Deserialize)]
        struct Service {
            code: String,
        }
        let intake: Intake = toml::from_str(include_str!("../../../intake/reference/municipalities.toml"))
            .expect("intake's reference data parses");
        let codes: Vec<&str> = intake.pluspakket_services.iter().map(|s| s.code.as_str()).collect();
        let data = data();
        for price in &data.prices {
            assert!(
                codes.contains(&price.service_code.as_str()),
                "{} is not in intake's catalogue",
                price.service_code
            );
        }
        let years: std::collections::BTreeSet<i32> = data.prices.iter().map(|p| p.year).collect();
        for year in years {
            for code in &codes {
                assert!(
                    data.prices.iter().any(|p| p.year == year && p.service_code == *code),
                    "no price for {code} in {year}"
                );
            }
        }
    }

    #[test]
    fn floats_zero_keys_and_unknown_fields_are_refused() {
        let float = EMBEDDED.replace("surcharge_percent = \"3\"", "surcharge_percent = 3.0");
        assert!(FinanceReference::from_toml(&float).unwrap_err().to_string().contains("float"));
        let zero = "[lumpsum]\nsurcharge_percent = \"3\"\n[[allocation_keys]]\nyear = 2030\nkind = \"BIJSTANDSONTVANGERS\"\n\
                    description = \"x\"\nentries = [{ municipality = \"GM0828\", weight = 0 }]\n";
        let err = FinanceReference::from_toml(zero).unwrap_err();
        assert!(matches!(err, ReferenceError::Inconsistent(_)), "{err}");
        let unknown = format!("{EMBEDDED}\n[extra]\nx = 1\n");
        assert!(FinanceReference::from_toml(&unknown).is_err());
    }

    #[test]
    fn an_older_key_and_a_post_merger_key_are_data() {
        let extra = "\n[[allocation_keys]]\nyear = 2019\nkind = \"BIJSTANDSONTVANGERS\"\ndescription = \"CBS\"\n\
                     entries = [{ municipality = \"GM0828\", weight = 1200 }, { municipality = \"GM0856\", weight = 800 }]\n\
                     [[allocation_keys]]\nyear = 2030\nkind = \"P_BUDGET_NIEUWE_DOELGROEPEN\"\ndescription = \"x\"\n\
                     entries = [{ municipality = \"GM1991\", weight = \"700000.50\" }, { municipality = \"GM0828\", weight = \"1900000\" }]\n";
        let data = FinanceReference::from_toml(&format!("{EMBEDDED}{extra}")).unwrap();
        let older = data.key(2019, KeyKind::Bijstandsontvangers).unwrap();
        let parts = allocate(Decimal::from(1000), older).unwrap();
        assert_eq!(parts[0].amount, Decimal::from(600));
        assert!(data.key(2030, KeyKind::PBudgetNieuweDoelgroepen).is_some());
    }
}
