//! Exact decimals on the wire: `google.type.Decimal` (a string) to and from
//! `rust_decimal::Decimal`. Hours, fte, percentages and euros are never
//! floating point.

use partnership_proto::google::r#type::Decimal as ProtoDecimal;
use rust_decimal::Decimal;

use crate::error::ServiceError;

/// The protobuf form, in plain notation without trailing zeros.
pub fn to_proto(value: Decimal) -> ProtoDecimal {
    ProtoDecimal { value: value.normalize().to_string() }
}

/// A required decimal field.
pub fn required(field: &str, value: Option<&ProtoDecimal>) -> Result<Decimal, ServiceError> {
    match value.map(|v| v.value.trim()).filter(|v| !v.is_empty()) {
        None => Err(ServiceError::invalid(field, "is required")),
        Some(text) => parse(field, text),
    }
}

/// An optional decimal field: unset or empty gives `None`.
pub fn optional(field: &str, value: Option<&ProtoDecimal>) -> Result<Option<Decimal>, ServiceError> {
    match value.map(|v| v.value.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => parse(field, text).map(Some),
    }
}

fn parse(field: &str, text: &str) -> Result<Decimal, ServiceError> {
    let plain = text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
    match text.parse::<Decimal>() {
        Ok(value) if plain => Ok(value),
        _ => Err(ServiceError::invalid(field, format!("{text:?} is not a decimal number like \"20.5\""))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_travel_exactly() {
        let value: Decimal = "952620.03".parse().unwrap();
        assert_eq!(required("x", Some(&to_proto(value))).unwrap(), value);
        assert_eq!(to_proto("20.500".parse().unwrap()).value, "20.5");
    }

    #[test]
    fn garbage_and_exponents_are_refused() {
        for text in ["", "twenty", "1e3", "1,5"] {
            let result = required("hours", Some(&ProtoDecimal { value: text.into() }));
            assert!(result.is_err(), "{text:?}");
        }
        assert_eq!(optional("hours", None).unwrap(), None);
    }
}
