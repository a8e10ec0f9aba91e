//! The request fields every gRPC layer reads the same way: required and
//! optional text, page sizes, and the next page's token.

use partnership_proto::common::{Scope, ScopeLevel};

use crate::error::ServiceError;

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// The most a text field may hold, in bytes of UTF-8: ids, codes, names and
/// notes alike. Far above any real value, and below what a database index
/// entry can take (PostgreSQL's B-tree refuses keys over ~2700 bytes).
pub const MAX_TEXT_BYTES: usize = 1000;

/// Text a client may send: not over `MAX_TEXT_BYTES`, and no control
/// characters but tab and line breaks (a NUL cannot even be stored in
/// PostgreSQL). Any printable Unicode is fine.
fn acceptable(field: &str, value: &str) -> Result<(), ServiceError> {
    if value.len() > MAX_TEXT_BYTES {
        return Err(ServiceError::invalid(field, format!("is too long: {} bytes, at most {MAX_TEXT_BYTES}", value.len())));
    }
    if value.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(ServiceError::invalid(field, "may not contain control characters"));
    }
    Ok(())
}

/// A required text field, trimmed.
pub fn required(field: &str, value: &str) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ServiceError::invalid(field, "is required"));
    }
    acceptable(field, value)?;
    Ok(value.to_owned())
}

/// An optional free-text field (a note, a description), trimmed; may be empty.
pub fn text(field: &str, value: &str) -> Result<String, ServiceError> {
    let value = value.trim();
    acceptable(field, value)?;
    Ok(value.to_owned())
}

/// An optional text field that is stored (an id, a code), trimmed; empty
/// is `None`.
pub fn optional_checked(field: &str, value: &str) -> Result<Option<String>, ServiceError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    acceptable(field, value)?;
    Ok(Some(value.to_owned()))
}

/// A create's `request_id`: optional; a repeat with the same id is answered
/// with the first result.
pub fn request_id(value: &str) -> Result<Option<String>, ServiceError> {
    optional_checked("request_id", value)
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
    fn text_over_the_limit_or_with_control_characters_is_refused() {
        assert_eq!(required("note", "a\0b").unwrap_err().violations()[0].field, "note");
        assert_eq!(text("note", &"x".repeat(MAX_TEXT_BYTES + 1)).unwrap_err().violations()[0].field, "note");
        assert_eq!(request_id("\u{1b}[31m").unwrap_err().violations()[0].field, "request_id");
        assert_eq!(text("note", " Café 😀 \u{202e}עברית\nline ").unwrap(), "Café 😀 \u{202e}עברית\nline");
        assert_eq!(request_id("  ").unwrap(), None);
        assert_eq!(optional_checked("code", &"é".repeat(MAX_TEXT_BYTES / 2)).unwrap().map(|s| s.len()), Some(MAX_TEXT_BYTES));
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
