//! Domain enums with stable codes, and their mapping onto protobuf enums.
//!
//! A domain value's code is its protobuf enum value's name without the type
//! prefix (`DVB_IBN` for `REGISTRATION_STATUS_DVB_IBN`), so the code stored
//! in a database, shown in a message and sent over gRPC is one and the same
//! and the mapping needs no hand-written match per value.

/// Declares a domain enum whose values have codes: `ALL` in order,
/// `code()` and `from_code()`.
///
/// ```
/// partnership_platform::code_enum! {
///     /// The kind of a contract.
///     pub enum Kind { Wsw = "WSW", Pw = "PW" }
/// }
/// assert_eq!(Kind::from_code("PW"), Some(Kind::Pw));
/// assert_eq!(Kind::ALL.len(), 2);
/// ```
#[macro_export]
macro_rules! code_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The code stored and exchanged.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

/// Generates `fn $from(field, i32) -> Result<Option<Domain>, ServiceError>`
/// (0 is `None`, an unknown number INVALID_ARGUMENT) and
/// `fn $to(Domain) -> i32` between a prost enum and a domain enum with codes,
/// with the visibility given first (none for private).
#[macro_export]
macro_rules! proto_enum_mapping {
    ($vis:vis $from:ident, $to:ident, $proto:ty, $domain:ty, $prefix:literal) => {
        #[allow(dead_code)]
        $vis fn $from(field: &str, value: i32) -> Result<Option<$domain>, $crate::ServiceError> {
            if value == 0 {
                return Ok(None);
            }
            <$proto>::try_from(value)
                .ok()
                .and_then(|p| p.as_str_name().strip_prefix($prefix).and_then(<$domain>::from_code))
                .map(Some)
                .ok_or_else(|| $crate::ServiceError::invalid(field, format!("{value} is not a known value")))
        }

        #[allow(dead_code)]
        $vis fn $to(value: $domain) -> i32 {
            <$proto>::from_str_name(&format!("{}{}", $prefix, value.code())).map(|p| p as i32).unwrap_or(0)
        }
    };
}
