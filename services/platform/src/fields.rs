//! The request fields every gRPC layer reads the same way: required and
//! optional text, page sizes, and the next page's token.

use partnership_proto::common::{Scope, ScopeLevel};

use crate::error::ServiceError;

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// A required text field, trimmed.
pub fn required(field: &str, value: &str) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() { Err(ServiceError::invalid(field, "is required")) } else { Ok(value.to_owned()) }
}

/// An optional text field, trimmed; empty is `None`.
pub fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// `page_size`: 0 means `default`, more than MAX_PAGE_SIZE is cut to it
/// (AIP-158), negative is refused.
pub fn page_size(size: i32, default: i64) -> Result<i64, ServiceError> {
    match size {
        0 => Ok(default),
        n if n < 0 => Err(ServiceError::invalid("page_size", "may not be negative")),
        n => Ok(i64::from(n).min(MAX_PAGE_SIZE)),
    }
}

/// Cuts the one extra item fetched to see whether another page follows,
/// and gives the token of that page (the last kept item's key), or "".
pub fn next_page<T>(items: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> String {
    if items.len() as i64 <= limit {
        return String::new();
    }
    items.truncate(limit as usize);
    items.last().map(key).unwrap_or_default()
}

/// A list of codes as a filter: blanks dropped, `None` when nothing is left.
pub fn codes(values: &[String]) -> Option<Vec<String>> {
    let codes: Vec<String> = values.iter().filter_map(|c| optional(c)).collect();
    (!codes.is_empty()).then_some(codes)
}

/// A required scope: a level, and a code for an area or a municipality
/// (trimmed; empty for the partnership). Whether the code exists is for
/// intake to say (`peer::resolve_scope`).
pub fn scope(field: &str, scope: Option<&Scope>) -> Result<Scope, ServiceError> {
    let scope = scope.ok_or_else(|| ServiceError::invalid(field, "is required"))?;
    let code = scope.code.trim().to_owned();
    match ScopeLevel::try_from(scope.level) {
        Ok(ScopeLevel::Partnership) => Ok(Scope { level: scope.level, code: String::new() }),
        Ok(ScopeLevel::Area | ScopeLevel::Municipality) if !code.is_empty() => Ok(Scope { level: scope.level, code }),
        Ok(ScopeLevel::Area | ScopeLevel::Municipality) => {
            Err(ServiceError::invalid(format!("{field}.code"), "is required for this level"))
        }
        _ => Err(ServiceError::invalid(format!("{field}.level"), "is required: PARTNERSHIP, AREA or MUNICIPALITY")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_default_cap_and_refuse() {
        assert_eq!(page_size(0, 50).unwrap(), 50);
        assert_eq!(page_size(5000, 50).unwrap(), MAX_PAGE_SIZE);
        assert_eq!(page_size(-1, 50).unwrap_err().violations()[0].field, "page_size");
    }

    #[test]
    fn the_next_page_starts_after_the_last_item_kept() {
        let mut items = vec![1, 2, 3];
        assert_eq!(next_page(&mut items, 2, |i| i.to_string()), "2");
        assert_eq!(items, vec![1, 2]);
        assert_eq!(next_page(&mut vec![1], 2, |i| i.to_string()), "");
        assert_eq!(required("id", "  ").unwrap_err().violations()[0].field, "id");
        assert_eq!(optional(" x "), Some("x".into()));
    }

    #[test]
    fn a_scope_needs_a_level_and_for_areas_and_municipalities_a_code() {
        let at = |level: ScopeLevel, code: &str| Scope { level: level as i32, code: code.into() };
        assert_eq!(scope("scope", Some(&at(ScopeLevel::Area, " MAASHORST "))).unwrap().code, "MAASHORST");
        assert_eq!(scope("scope", Some(&at(ScopeLevel::Partnership, "x"))).unwrap().code, "");
        assert_eq!(scope("scope", Some(&at(ScopeLevel::Municipality, ""))).unwrap_err().violations()[0].field, "scope.code");
        assert_eq!(scope("scope", Some(&at(ScopeLevel::Unspecified, ""))).unwrap_err().violations()[0].field, "scope.level");
        assert_eq!(scope("scope", None).unwrap_err().violations()[0].field, "scope");
        assert_eq!(codes(&[" ".into(), "GM0828".into()]), Some(vec!["GM0828".into()]));
        assert_eq!(codes(&[]), None);
    }
}
