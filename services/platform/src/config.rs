//! Configuration as a typed struct: defaults that run locally with no file,
//! overridden by a TOML file, overridden in turn by environment variables.
//!
//! An environment variable `PARTNERSHIP__INTAKE__LISTEN=0.0.0.0:50051` sets
//! the key `listen` of the table `intake`: the prefix, then the path of keys
//! joined by double underscores. Values that read as TOML integers or
//! booleans are taken as such, anything else as a string.

use std::path::Path;

use anyhow::Context;
use serde::{Serialize, de::DeserializeOwned};
use toml::{Table, Value};

/// The prefix of every environment override.
pub const ENV_PREFIX: &str = "PARTNERSHIP__";

/// Loads `T` from its defaults, the optional file and the process environment.
pub fn load<T: DeserializeOwned>(file: Option<&Path>) -> anyhow::Result<T> {
    load_from(file, std::env::vars())
}

/// Loads `T` from its defaults, the optional file and the given variables.
pub fn load_from<T: DeserializeOwned>(
    file: Option<&Path>,
    vars: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<T> {
    let mut table = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config file {}", path.display()))?;
            text.parse::<Table>().with_context(|| format!("parsing config file {}", path.display()))?
        }
        None => Table::new(),
    };
    for (name, raw) in vars {
        if let Some(path) = name.strip_prefix(ENV_PREFIX) {
            let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
            set_path(&mut table, &keys, env_value(&raw))
                .with_context(|| format!("environment variable {name}"))?;
        }
    }
    Value::Table(table).try_into().context("invalid configuration")
}

fn env_value(raw: &str) -> Value {
    // A list is written as in TOML: `["a", "b"]`.
    if raw.trim_start().starts_with('[')
        && let Ok(mut parsed) = format!("v = {raw}").parse::<Table>()
            && let Some(list @ Value::Array(_)) = parsed.remove("v") {
                return list;
            }
    if let Ok(b) = raw.parse::<bool>() {
        return Value::Boolean(b);
    }
    if let Ok(i) = raw.parse::<i64>() {
        return Value::Integer(i);
    }
    Value::String(raw.to_owned())
}

fn set_path(table: &mut Table, keys: &[String], value: Value) -> anyhow::Result<()> {
    match keys {
        [] => anyhow::bail!("empty key"),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table.entry(first.clone()).or_insert_with(|| Value::Table(Table::new()));
            match entry {
                Value::Table(inner) => set_path(inner, rest, value),
                _ => anyhow::bail!("{first} is not a table"),
            }
        }
    }
}

/// The configuration as TOML with the passwords in database URLs and the
/// tokens blanked,
/// for printing at start-up.
pub fn redacted<T: Serialize>(config: &T) -> String {
    let mut value = match Value::try_from(config) {
        Ok(value) => value,
        Err(err) => return format!("<unprintable config: {err}>"),
    };
    redact(&mut value);
    toml::to_string(&value).unwrap_or_default()
}

fn redact(value: &mut Value) {
    match value {
        Value::Table(table) => {
            for (key, inner) in table.iter_mut() {
                if key.contains("url")
                    && let Value::String(url) = inner {
                        *url = redact_url(url);
                    }
                // Bearer tokens are credentials; public keys are not.
                if key.contains("token")
                    && let Value::String(token) = inner {
                        *token = "***".into();
                    }
                redact(inner);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// `postgres://user:secret@host/db` becomes `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_owned() };
    let rest = &url[scheme_end + 3..];
    let Some(at) = rest.find('@') else { return url.to_owned() };
    let userinfo = &rest[..at];
    match userinfo.find(':') {
        Some(colon) => format!("{}://{}:***{}", &url[..scheme_end], &userinfo[..colon], &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(default)]
    struct Sample {
        data_dir: String,
        intake: Inner,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(default)]
    struct Inner {
        listen: String,
        port: u16,
        database_url: Option<String>,
    }

    impl Default for Sample {
        fn default() -> Self {
            Self { data_dir: "data".into(), intake: Inner::default() }
        }
    }

    impl Default for Inner {
        fn default() -> Self {
            Self { listen: "127.0.0.1:1".into(), port: 1, database_url: None }
        }
    }

    #[test]
    fn runs_with_no_file_and_no_environment() {
        let cfg: Sample = load_from(None, Vec::new()).unwrap();
        assert_eq!(cfg, Sample::default());
    }

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "data_dir = \"/var/x\"\n[intake]\nlisten = \"0.0.0.0:2\"\nport = 7\n").unwrap();
        let vars = vec![
            ("PARTNERSHIP__INTAKE__PORT".to_string(), "9".to_string()),
            ("UNRELATED".to_string(), "x".to_string()),
        ];
        let cfg: Sample = load_from(Some(&file), vars).unwrap();
        assert_eq!(cfg.data_dir, "/var/x");
        assert_eq!(cfg.intake.listen, "0.0.0.0:2");
        assert_eq!(cfg.intake.port, 9);
    }

    #[test]
    fn printed_config_hides_database_passwords() {
        let mut cfg = Sample::default();
        cfg.intake.database_url = Some("postgres://app:s3cret@db:5432/intake".into());
        let printed = redacted(&cfg);
        assert!(printed.contains("postgres://app:***@db:5432/intake"), "{printed}");
        assert!(!printed.contains("s3cret"));
    }

    #[test]
    fn a_list_comes_from_the_environment_as_toml() {
        #[derive(Debug, Deserialize)]
        struct Lists {
            revoked: Vec<String>,
        }
        let vars = vec![("PARTNERSHIP__REVOKED".to_string(), r#"["a", "b"]"#.to_string())];
        let lists: Lists = load_from(None, vars).unwrap();
        assert_eq!(lists.revoked, ["a", "b"]);
    }

    #[test]
    fn printed_config_hides_tokens_but_shows_public_keys() {
        let auth = std::collections::BTreeMap::from([
            ("peer_token".to_string(), "eyJhbGciOi.secret.sig".to_string()),
            ("verify_key".to_string(), "public-key".to_string()),
        ]);
        let printed = redacted(&std::collections::BTreeMap::from([("auth".to_string(), auth)]));
        assert!(!printed.contains("secret") && printed.contains("***") && printed.contains("public-key"), "{printed}");
    }
}
