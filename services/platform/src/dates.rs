//! Calendar dates, the domain's unit: conversion between `google.type.Date`
//! and `chrono::NaiveDate`, and the checks every service applies to a date
//! a client sends.

use chrono::{Datelike, NaiveDate};
use partnership_proto::google::r#type::Date;

use crate::error::ServiceError;

/// Today's date. Dates sent by clients may not lie after it.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The protobuf form of a date.
pub fn to_proto(date: NaiveDate) -> Date {
    Date { year: date.year(), month: date.month() as i32, day: date.day() as i32 }
}

/// A required date field.
pub fn required(field: &str, date: Option<&Date>) -> Result<NaiveDate, ServiceError> {
    match date {
        Some(date) => parse(field, date),
        None => Err(ServiceError::invalid(field, "is required")),
    }
}

/// An optional date field: unset (or all zeros) gives `None`.
pub fn optional(field: &str, date: Option<&Date>) -> Result<Option<NaiveDate>, ServiceError> {
    match date {
        Some(Date { year: 0, month: 0, day: 0 }) | None => Ok(None),
        Some(date) => parse(field, date).map(Some),
    }
}

/// The most dates one request may ask figures for.
pub const MAX_DATES: usize = 12;

/// A repeated date field with 1 to [`MAX_DATES`] dates (besides `also`,
/// dates already read from another field): each is checked as
/// `field[i]`.
pub fn several(field: &str, dates: &[Date], also: Option<NaiveDate>) -> Result<Vec<NaiveDate>, ServiceError> {
    let mut all: Vec<NaiveDate> = also.into_iter().collect();
    for (i, date) in dates.iter().enumerate() {
        all.push(parse(&format!("{field}[{i}]"), date)?);
    }
    how_many(field, all.len())?;
    Ok(all)
}

/// Refuses a request that asks for no date or for more than
/// [`MAX_DATES`] (`n` of them, in `field`).
pub fn how_many(field: &str, n: usize) -> Result<(), ServiceError> {
    match n {
        0 => Err(ServiceError::invalid(field, "at least one date is required")),
        n if n > MAX_DATES => Err(ServiceError::invalid(field, format!("{n} dates; at most {MAX_DATES} in one request"))),
        _ => Ok(()),
    }
}

/// A required date that may not lie in the future.
pub fn required_past(field: &str, date: Option<&Date>) -> Result<NaiveDate, ServiceError> {
    let date = required(field, date)?;
    not_in_future(field, date)?;
    Ok(date)
}

/// Refuses a date after today.
pub fn not_in_future(field: &str, date: NaiveDate) -> Result<(), ServiceError> {
    if date > today() {
        Err(ServiceError::invalid(field, format!("{date} is in the future")))
    } else {
        Ok(())
    }
}

fn parse(field: &str, date: &Date) -> Result<NaiveDate, ServiceError> {
    u32::try_from(date.month)
        .ok()
        .zip(u32::try_from(date.day).ok())
        .and_then(|(month, day)| NaiveDate::from_ymd_opt(date.year, month, day))
        .filter(|d| (1..=9999).contains(&d.year()))
        .ok_or_else(|| {
            ServiceError::invalid(
                field,
                format!("{:04}-{:02}-{:02} is not a calendar date", date.year, date.month, date.day),
            )
        })
}

/// The first and last day of a year.
pub fn year_bounds(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((NaiveDate::from_ymd_opt(year, 1, 1)?, NaiveDate::from_ymd_opt(year, 12, 31)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_impossible_dates() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(required("d", Some(&to_proto(d))).unwrap(), d);
        let err = required("birth_date", Some(&Date { year: 2023, month: 2, day: 29 })).unwrap_err();
        assert_eq!(err.violations()[0].field, "birth_date");
        assert!(required("d", None).is_err());
        assert_eq!(optional("d", Some(&Date::default())).unwrap(), None);
    }

    #[test]
    fn refuses_future_dates() {
        let tomorrow = today().succ_opt().unwrap();
        let err = required_past("effective_date", Some(&to_proto(tomorrow))).unwrap_err();
        assert!(err.violations()[0].description.contains("future"));
        assert!(required_past("effective_date", Some(&to_proto(today()))).is_ok());
    }
}
