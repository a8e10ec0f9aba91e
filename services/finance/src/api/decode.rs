//! Requests into domain values: every check of "is this field there and
//! well-formed", collected per request so a client learns of every bad
//! field at once. No rules beyond that live here.

use chrono::NaiveDate;
use partnership_platform::ServiceError;
use partnership_proto::common as cpb;
use partnership_proto::finance as pb;
use partnership_proto::google::r#type::Decimal as PbDecimal;
use rust_decimal::Decimal;

use crate::domain::allocation::{KeyEntry, KeyKind};
use crate::domain::calendar::check_year;
use crate::domain::invoice::LineKind;
use crate::domain::money::{parse_amount, parse_decimal};
use crate::domain::trajectkosten::Potential;
use crate::peers::Scope;

pub use partnership_platform::fields::{optional, request_id, required, text};

/// Page size when a list request leaves it unset (at most
/// `fields::MAX_PAGE_SIZE`).
pub const DEFAULT_PAGE_SIZE: i64 = 50;

/// A required exact decimal.
pub fn decimal(field: &str, value: Option<&PbDecimal>) -> Result<Decimal, ServiceError> {
    let text = value.map(|d| d.value.trim()).unwrap_or_default();
    Ok(parse_decimal(field, text)?)
}

/// A required amount in euros: not negative, whole cents.
pub fn amount(field: &str, value: Option<&PbDecimal>) -> Result<Decimal, ServiceError> {
    let text = value.map(|d| d.value.trim()).unwrap_or_default();
    Ok(parse_amount(field, text)?)
}

/// A required year.
pub fn year(field: &str, value: i32) -> Result<i32, ServiceError> {
    Ok(check_year(field, value)?)
}

/// An optional year filter (0 is none).
pub fn year_filter(field: &str, value: i32) -> Result<Option<i32>, ServiceError> {
    if value == 0 { Ok(None) } else { year(field, value).map(Some) }
}

partnership_platform::proto_enum_mapping!(pub key_kind, key_kind_to_proto, pb::AllocationKeyKind, KeyKind, "ALLOCATION_KEY_KIND_");
partnership_platform::proto_enum_mapping!(pub line_kind, line_kind_to_proto, pb::InvoiceLineKind, LineKind, "INVOICE_LINE_KIND_");

/// An optional key reference: both year and kind, or nothing.
pub fn key_ref(field: &str, key: Option<&pb::AllocationKeyRef>) -> Result<Option<(i32, KeyKind)>, ServiceError> {
    let Some(key) = key.filter(|k| k.year != 0 || k.kind != 0) else { return Ok(None) };
    let year = year(&format!("{field}.year"), key.year)?;
    let kind = key_kind(&format!("{field}.kind"), key.kind)?
        .ok_or_else(|| ServiceError::invalid(format!("{field}.kind"), "is required"))?;
    Ok(Some((year, kind)))
}

/// The entries of an ad-hoc key; each weight a decimal (the rules of keys
/// are checked by the domain).
pub fn key_entries(field: &str, entries: &[pb::KeyEntry]) -> Result<Vec<KeyEntry>, ServiceError> {
    let mut v = partnership_platform::Violations::new();
    let decoded: Vec<KeyEntry> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let code = v.check(required(&format!("{field}[{i}].municipality_code"), &e.municipality_code));
            let weight = v.check(decimal(&format!("{field}[{i}].weight"), e.weight.as_ref()));
            Some(KeyEntry { municipality_code: code?, weight: weight? })
        })
        .collect();
    v.finish()?;
    Ok(decoded)
}

pub fn potential(field: &str, value: i32) -> Result<Potential, ServiceError> {
    match pb::DevelopmentPotential::try_from(value) {
        Ok(pb::DevelopmentPotential::Low) => Ok(Potential::Low),
        Ok(pb::DevelopmentPotential::MidHigh) => Ok(Potential::MidHigh),
        _ => Err(ServiceError::invalid(field, "is required: LOW or MID_HIGH")),
    }
}

pub fn scope(field: &str, scope: Option<&cpb::Scope>) -> Result<Scope, ServiceError> {
    let scope = partnership_platform::fields::scope(field, scope)?;
    Ok(match cpb::ScopeLevel::try_from(scope.level) {
        Ok(cpb::ScopeLevel::Area) => Scope::Area(scope.code),
        Ok(cpb::ScopeLevel::Municipality) => Scope::Municipality(scope.code),
        _ => Scope::Partnership,
    })
}

pub fn page_size(size: i32) -> Result<i64, ServiceError> {
    partnership_platform::fields::page_size(size, DEFAULT_PAGE_SIZE)
}

/// Page tokens are opaque to clients: the hex of the last item's key.
pub fn page_token(token: &str) -> Result<Option<String>, ServiceError> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || ServiceError::invalid("page_token", "is not a token this service gave out");
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| token.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    String::from_utf8(bytes).map(Some).map_err(|_| invalid())
}

/// A token of two parts, "a|b".
pub fn page_token_pair(token: &str) -> Result<Option<(String, String)>, ServiceError> {
    let Some(text) = page_token(token)? else { return Ok(None) };
    let (a, b) = text
        .split_once('|')
        .ok_or_else(|| ServiceError::invalid("page_token", "is not a token this service gave out"))?;
    Ok(Some((a.to_owned(), b.to_owned())))
}

/// A token of a date and an id.
pub fn page_token_date(token: &str) -> Result<Option<(NaiveDate, String)>, ServiceError> {
    page_token_pair(token)?
        .map(|(date, id)| {
            date.parse()
                .map(|d| (d, id))
                .map_err(|_| ServiceError::invalid("page_token", "is not a token this service gave out"))
        })
        .transpose()
}

/// A token of a year and an id.
pub fn page_token_year(token: &str) -> Result<Option<(i32, String)>, ServiceError> {
    page_token_pair(token)?
        .map(|(year, id)| {
            year.parse()
                .map(|y| (y, id))
                .map_err(|_| ServiceError::invalid("page_token", "is not a token this service gave out"))
        })
        .transpose()
}

/// A token of an offset into a list held in memory (reference data).
pub fn page_token_offset(token: &str) -> Result<usize, ServiceError> {
    match page_token(token)? {
        None => Ok(0),
        Some(text) => {
            text.parse().map_err(|_| ServiceError::invalid("page_token", "is not a token this service gave out"))
        }
    }
}

/// Cuts the extra item fetched to see if there is a next page, and makes
/// the token that continues after the last item kept.
pub fn next_token<T>(items: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> String {
    if items.len() as i64 <= limit {
        return String::new();
    }
    items.truncate(limit as usize);
    items.last().map(|item| encode_token(&key(item))).unwrap_or_default()
}

pub fn encode_token(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// One page of a list held in memory, and the token of the next.
pub fn page_of<T: Clone>(items: &[T], token: &str, size: i32) -> Result<(Vec<T>, String), ServiceError> {
    let offset = page_token_offset(token)?;
    let limit = page_size(size)? as usize;
    let page: Vec<T> = items.iter().skip(offset).take(limit).cloned().collect();
    let next = if offset + limit < items.len() { encode_token(&(offset + limit).to_string()) } else { String::new() };
    Ok((page, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_value_has_a_protobuf_value_and_back() {
        for kind in KeyKind::ALL {
            assert_eq!(key_kind("k", key_kind_to_proto(kind)).unwrap(), Some(kind));
        }
        for kind in LineKind::ALL {
            assert_eq!(line_kind("k", line_kind_to_proto(kind)).unwrap(), Some(kind));
        }
        assert!(key_kind("kind", 99).is_err());
    }

    #[test]
    fn page_tokens_round_trip_and_garbage_is_refused() {
        let mut items = vec![1, 2, 3];
        let token = next_token(&mut items, 2, |i| format!("2021|id{i}"));
        assert_eq!(items, [1, 2]);
        assert_eq!(page_token_year(&token).unwrap(), Some((2021, "id2".to_owned())));
        assert!(page_token("zz").is_err());
        let (page, next) = page_of(&[1, 2, 3], "", 2).unwrap();
        assert_eq!(page, [1, 2]);
        assert_eq!(page_of(&[1, 2, 3], &next, 2).unwrap(), (vec![3], String::new()));
    }

    #[test]
    fn amounts_name_their_field() {
        let negative = PbDecimal { value: "-5".into() };
        assert_eq!(amount("base", Some(&negative)).unwrap_err().violations()[0].field, "base");
        assert_eq!(amount("base", None).unwrap_err().violations()[0].description, "is required");
    }
}
