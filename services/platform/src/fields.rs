//! The request fields every gRPC layer reads the same way: required and
//! optional text, page sizes, and the next page's token.

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
}
