//! The local dev setup, used when no verify key is configured: a signing
//! key made on first start in `<data_dir>/credentials/signing.key`, and a
//! token per kind of caller written beside it, so `cargo run` and a
//! `grpcurl -H "authorization: Bearer $(cat …)"` work with no setup step.
//! Production configures `auth.verify_key` and issues tokens with
//! `partnership credentials` from a key kept elsewhere.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::{AuthConfig, Issuer, Principal};

/// How long a dev token is valid.
pub const DEV_TOKEN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// The directory of the dev setup.
pub fn credentials_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("credentials")
}

/// The file a dev token for `principal` is written to.
pub fn token_file(data_dir: &Path, principal: &Principal) -> PathBuf {
    let name = match principal {
        Principal::Municipality { code } => format!("municipality-{code}"),
        Principal::Peer { service } => format!("peer-{service}"),
        other => other.kind().as_str().to_owned(),
    };
    credentials_dir(data_dir).join(format!("{name}.token"))
}

/// Loads the dev signing key, making it on first use, and writes fresh
/// tokens for the administrator, HR, a dashboard and each municipality.
pub fn ensure(data_dir: &Path, config: &AuthConfig, municipality_codes: &[String]) -> anyhow::Result<Issuer> {
    let dir = credentials_dir(data_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    restrict(&dir, 0o700)?;
    let key_file = dir.join("signing.key");
    if !key_file.exists() {
        // Several services started at once on one data directory (one
        // process each) must end up with one key: the first link wins.
        let fresh = Issuer::generate(config.issuer.clone())?;
        let draft = dir.join(format!("signing.key.{}", std::process::id()));
        write_private(&draft, &fresh.encoded_seed())?;
        let linked = std::fs::hard_link(&draft, &key_file);
        let _ = std::fs::remove_file(&draft);
        match linked {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(err).with_context(|| format!("writing {}", key_file.display())),
        }
    }
    let issuer = load_issuer(&key_file, config)?;
    write_private(&dir.join("verify.key"), &issuer.encoded_verify_key())?;
    let mut principals = vec![Principal::Administrator, Principal::Hr, Principal::Dashboard];
    principals.extend(municipality_codes.iter().map(|code| Principal::Municipality { code: code.clone() }));
    for principal in principals {
        write_private(&token_file(data_dir, &principal), &issuer.issue(&principal, DEV_TOKEN_LIFETIME))?;
    }
    Ok(issuer)
}

/// The issuer for `partnership credentials`: the configured signing key
/// file, or the dev key.
pub fn issuer_for(config: &AuthConfig, data_dir: &Path) -> anyhow::Result<Issuer> {
    let file = config.signing_key_file.clone().unwrap_or_else(|| credentials_dir(data_dir).join("signing.key"));
    load_issuer(&file, config)
}

fn load_issuer(file: &Path, config: &AuthConfig) -> anyhow::Result<Issuer> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading the signing key {}", file.display()))?;
    Ok(Issuer::new(super::token::decode_seed(&text)?, config.issuer.clone()))
}

/// Writes a file only its owner reads, whole: readers see the old content
/// or the new, never half of it.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut draft = path.as_os_str().to_owned();
    draft.push(format!(".{}.draft", std::process::id()));
    let draft = PathBuf::from(draft);
    std::fs::write(&draft, text).with_context(|| format!("writing {}", draft.display()))?;
    restrict(&draft, 0o600)?;
    std::fs::rename(&draft, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).with_context(|| format!("protecting {}", path.display()))
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_setup_keeps_its_key_and_writes_working_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let config = AuthConfig::default();
        let first = ensure(dir.path(), &config, &["1991".into()]).unwrap();
        let again = ensure(dir.path(), &config, &["1991".into()]).unwrap();
        assert_eq!(first.encoded_verify_key(), again.encoded_verify_key(), "the key survives a restart");
        let token = std::fs::read_to_string(token_file(dir.path(), &Principal::Municipality { code: "1991".into() })).unwrap();
        let (principal, _) = first.verifier().verify(&token).unwrap();
        assert_eq!(principal, Principal::Municipality { code: "1991".into() });
        assert_eq!(issuer_for(&config, dir.path()).unwrap().encoded_verify_key(), first.encoded_verify_key());
    }
}
