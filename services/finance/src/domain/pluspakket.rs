//! The pluspakket: services a municipality buys on top of the basispakket,
//! at a price per participant per year (the catalogue is data). The
//! participants are the intake service's pluspakket registrations; a
//! registration is priced by the year of its registration date.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::RuleError;

/// The price of a service per participant in a year, excl. VAT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    /// The service's code in the intake service's catalogue.
    pub service_code: String,
    pub year: i32,
    pub price_per_participant: Decimal,
}

/// Checks the prices of the data file: not negative, one per service and year.
pub fn check_prices(prices: &[Price]) -> Result<(), RuleError> {
    let mut seen = HashSet::new();
    for (i, p) in prices.iter().enumerate() {
        if p.price_per_participant < Decimal::ZERO {
            return Err(RuleError::invalid(format!("pluspakket_prices[{i}].price"), "may not be negative"));
        }
        if !seen.insert((p.service_code.as_str(), p.year)) {
            return Err(RuleError::invalid(
                format!("pluspakket_prices[{i}]"),
                format!("{} has two prices for {}", p.service_code, p.year),
            ));
        }
    }
    Ok(())
}

/// The price of a service in a year, refused if the catalogue has none.
pub fn price_of(prices: &[Price], service_code: &str, year: i32) -> Result<Decimal, RuleError> {
    prices
        .iter()
        .find(|p| p.service_code == service_code && p.year == year)
        .map(|p| p.price_per_participant)
        .ok_or_else(|| {
            RuleError::refused(
                "year",
                format!("reference/pluspakket_prices/{service_code}"),
                format!("the pluspakket catalogue has no price for {service_code} in {year}"),
            )
        })
}

/// A pluspakket registration, as the intake service lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub id: String,
    pub municipality_code: String,
    pub service_code: String,
    pub date: NaiveDate,
}

/// The participants of one service for one municipality in a year: its
/// pluspakket registrations dated in the period counted (by the intake
/// service, or from the registrations listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participants {
    pub municipality_code: String,
    pub service_code: String,
    pub year: i32,
    pub registrations: u64,
}

/// Participants and revenue of one service for one municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRevenue {
    pub municipality_code: String,
    pub service_code: String,
    pub year: i32,
    pub participants: u64,
    pub price_per_participant: Decimal,
    /// participants × price.
    pub revenue: Decimal,
}

/// The registrations dated from `first` to `last` counted per
/// municipality, service and year, in that order, each with the ids of
/// the registrations counted (an invoice shows them).
pub fn participants(registrations: &[Registration], first: NaiveDate, last: NaiveDate) -> Vec<(Participants, Vec<String>)> {
    let mut groups: BTreeMap<(&str, &str, i32), Vec<String>> = BTreeMap::new();
    for r in registrations.iter().filter(|r| first <= r.date && r.date <= last) {
        groups.entry((&r.municipality_code, &r.service_code, r.date.year())).or_default().push(r.id.clone());
    }
    groups
        .into_iter()
        .map(|((municipality, service, year), ids)| {
            let counted = Participants {
                municipality_code: municipality.to_owned(),
                service_code: service.to_owned(),
                year,
                registrations: ids.len() as u64,
            };
            (counted, ids)
        })
        .collect()
}

/// The revenue of each count of participants, in their order: the
/// participants times the price of the service in the year.
pub fn revenue(prices: &[Price], counted: impl IntoIterator<Item = Participants>) -> Result<Vec<ServiceRevenue>, RuleError> {
    counted
        .into_iter()
        .map(|p| {
            let price = price_of(prices, &p.service_code, p.year)?;
            Ok(ServiceRevenue {
                revenue: price * Decimal::from(p.registrations),
                price_per_participant: price,
                participants: p.registrations,
                municipality_code: p.municipality_code,
                service_code: p.service_code,
                year: p.year,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn prices() -> Vec<Price> {
        vec![
            Price { service_code: "Z_ROUTE".into(), year: 2022, price_per_participant: Decimal::new(125_000, 2) },
            Price { service_code: "OAD".into(), year: 2022, price_per_participant: Decimal::new(89_950, 2) },
        ]
    }

    fn reg(id: &str, municipality: &str, service: &str, date: &str) -> Registration {
        Registration {
            id: id.into(),
            municipality_code: municipality.into(),
            service_code: service.into(),
            date: d(date),
        }
    }

    #[test]
    fn revenue_is_participants_times_the_years_price() {
        let regs = [
            reg("a", "GM0828", "Z_ROUTE", "2022-01-10"),
            reg("b", "GM0828", "Z_ROUTE", "2022-02-10"),
            reg("c", "GM0828", "OAD", "2022-03-31"),
            reg("d", "GM1721", "Z_ROUTE", "2022-03-01"),
            reg("e", "GM0828", "Z_ROUTE", "2022-04-01"),
        ];
        let listed = participants(&regs, d("2022-01-01"), d("2022-03-31"));
        let ids: Vec<&[String]> = listed.iter().map(|(_, ids)| ids.as_slice()).collect();
        assert_eq!(ids, [&["c".to_owned()][..], &["a".to_owned(), "b".to_owned()], &["d".to_owned()]], "by municipality, then service");
        let r = revenue(&prices(), listed.into_iter().map(|(p, _)| p)).unwrap();
        assert_eq!(r.len(), 3);
        let oss_z = &r[1];
        assert_eq!((oss_z.municipality_code.as_str(), oss_z.service_code.as_str()), ("GM0828", "Z_ROUTE"));
        assert_eq!(oss_z.participants, 2, "the April registration is not in Q1");
        assert_eq!(oss_z.revenue, Decimal::new(250_000, 2));
        assert_eq!(r[0].revenue, Decimal::new(89_950, 2));
    }

    #[test]
    fn a_service_without_a_price_is_refused() {
        let counted = Participants { municipality_code: "GM0828".into(), service_code: "WERKEN_NA".into(), year: 2022, registrations: 1 };
        let err = revenue(&prices(), [counted]).unwrap_err();
        assert!(err.to_string().contains("no price for WERKEN_NA in 2022"), "{err}");
    }

    #[test]
    fn the_catalogue_has_one_non_negative_price_per_service_and_year() {
        assert!(check_prices(&prices()).is_ok());
        let mut twice = prices();
        twice.push(prices()[0].clone());
        assert!(check_prices(&twice).is_err());
        let negative = vec![Price { price_per_participant: Decimal::NEGATIVE_ONE, ..prices()[0].clone() }];
        assert!(check_prices(&negative).is_err());
    }
}
