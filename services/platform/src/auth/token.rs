//! Bearer tokens: compact JWTs signed with Ed25519 (`alg: EdDSA`, RFC 8037).
//!
//! Services hold only the public key and verify; whoever holds the signing
//! key (the administrator's `partnership credentials` command, or the local
//! dev setup) issues. Only `EdDSA` is accepted — never `none`, never a
//! symmetric algorithm a verifier's key could be abused for — and every
//! token must carry the configured issuer and an expiry.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::{Kind, Principal};

/// Clock skew tolerated between the issuer and a service.
const LEEWAY_SECS: u64 = 60;

/// The claims of a partnership token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Issuer: who signed (the configured `auth.issuer`).
    pub iss: String,
    /// Subject: the principal as a readable id (`municipality:1991`, `hr`, `peer:employment`).
    pub sub: String,
    /// The principal's kind.
    pub kind: Kind,
    /// The CBS code a municipality's token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    /// A peer token's service name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Issued at / expires at, seconds since the epoch.
    pub iat: u64,
    pub exp: u64,
    /// The token's own id, so one token can be named in a revocation or an audit.
    pub jti: String,
}

/// Why a token was refused (the caller sees this, UNAUTHENTICATED).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is not a JWT (three base64url parts)")]
    Malformed,
    #[error("the token's algorithm must be EdDSA")]
    Algorithm,
    #[error("the token's signature does not verify")]
    Signature,
    #[error("the token's claims do not decode: {0}")]
    Claims(String),
    #[error("the token was issued by {0:?}, not by this partnership")]
    Issuer(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token has been revoked")]
    Revoked,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
}

/// Signs tokens (whoever holds the private key).
pub struct Issuer {
    key: SigningKey,
    issuer: String,
}

impl Issuer {
    /// An issuer from a 32-byte Ed25519 seed.
    pub fn new(seed: [u8; 32], issuer: impl Into<String>) -> Self {
        Self { key: SigningKey::from_bytes(&seed), issuer: issuer.into() }
    }

    /// A fresh random key.
    pub fn generate(issuer: impl Into<String>) -> anyhow::Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| anyhow::anyhow!("no randomness for a signing key: {e}"))?;
        Ok(Self::new(seed, issuer))
    }

    /// The seed, base64url, for the signing key file.
    pub fn encoded_seed(&self) -> String {
        B64.encode(self.key.to_bytes())
    }

    /// The public key, base64url, for `auth.verify_key`.
    pub fn encoded_verify_key(&self) -> String {
        B64.encode(self.key.verifying_key().to_bytes())
    }

    /// A verifier for this issuer's tokens.
    pub fn verifier(&self) -> Verifier {
        Verifier { key: self.key.verifying_key(), issuer: self.issuer.clone(), revoked: Default::default(), verified: Default::default() }
    }

    /// A token for `principal`, valid for `valid_for` from now.
    pub fn issue(&self, principal: &Principal, valid_for: Duration) -> String {
        let now = unix_now();
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: principal.subject(),
            kind: principal.kind(),
            municipality: principal.municipality().map(str::to_owned),
            service: match principal {
                Principal::Peer { service } => Some(service.clone()),
                _ => None,
            },
            iat: now,
            exp: now + valid_for.as_secs(),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims (tests use it for expired or odd tokens).
    pub fn sign(&self, claims: &Claims) -> String {
        let header = Header { alg: "EdDSA".into(), typ: Some("JWT".into()) };
        let header = B64.encode(serde_json::to_vec(&header).expect("a header serialises"));
        let payload = B64.encode(serde_json::to_vec(claims).expect("claims serialise"));
        let signing_input = format!("{header}.{payload}");
        let signature = B64.encode(self.key.sign(signing_input.as_bytes()).to_bytes());
        format!("{signing_input}.{signature}")
    }
}

/// Checks tokens (every service, with the public key).
#[derive(Clone, Debug)]
pub struct Verifier {
    key: VerifyingKey,
    issuer: String,
    /// Ids (`jti`) of tokens withdrawn before their expiry.
    revoked: std::sync::Arc<std::collections::HashSet<String>>,
    /// Tokens whose signature was checked, with what they say: a client
    /// sends the same token with every call, and an Ed25519 check costs
    /// more than a small call does. Keyed by the whole token, so only the
    /// very bytes verified are trusted; time and revocation are checked
    /// again at every use.
    verified: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (Principal, Claims)>>>,
}

/// Verified tokens kept (a client keeps one token for hours; the map is
/// emptied when full rather than tracking what is oldest).
const VERIFIED_KEPT: usize = 4096;

impl Verifier {
    /// A verifier from a base64url public key.
    pub fn from_encoded(verify_key: &str, issuer: impl Into<String>) -> anyhow::Result<Self> {
        let bytes = B64.decode(verify_key.trim()).map_err(|e| anyhow::anyhow!("auth.verify_key is not base64url: {e}"))?;
        let bytes: [u8; 32] =
            bytes.try_into().map_err(|_| anyhow::anyhow!("auth.verify_key must be a 32-byte Ed25519 public key"))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|e| anyhow::anyhow!("auth.verify_key: {e}"))?;
        Ok(Self { key, issuer: issuer.into(), revoked: Default::default(), verified: Default::default() })
    }

    /// The same verifier, refusing the tokens with these ids (`jti`).
    pub fn revoking(mut self, token_ids: impl IntoIterator<Item = String>) -> Self {
        self.revoked = std::sync::Arc::new(token_ids.into_iter().collect());
        self
    }

    /// The principal a valid token stands for.
    pub fn verify(&self, token: &str) -> Result<(Principal, Claims), TokenError> {
        let known = self.verified.lock().ok().and_then(|verified| verified.get(token).cloned());
        let (principal, claims) = match known {
            Some(known) => known,
            None => {
                let checked = self.check_signed(token)?;
                if let Ok(mut verified) = self.verified.lock() {
                    if verified.len() >= VERIFIED_KEPT {
                        verified.clear();
                    }
                    verified.insert(token.to_owned(), checked.clone());
                }
                checked
            }
        };
        let now = unix_now();
        if claims.exp + LEEWAY_SECS <= now {
            return Err(TokenError::Expired);
        }
        if claims.iat > now + LEEWAY_SECS {
            return Err(TokenError::NotYetValid);
        }
        if self.revoked.contains(&claims.jti) {
            return Err(TokenError::Revoked);
        }
        Ok((principal, claims))
    }

    /// What a token says, if its form, algorithm, signature, issuer and
    /// claims are right (not yet its time or revocation).
    fn check_signed(&self, token: &str) -> Result<(Principal, Claims), TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(header).map_err(|_| TokenError::Malformed)?;
        if header.alg != "EdDSA" {
            return Err(TokenError::Algorithm);
        }
        let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
        let signature = ed25519_dalek::Signature::from_slice(&signature).map_err(|_| TokenError::Signature)?;
        let signing_input = &token[..header_and_payload_len(token)];
        self.key.verify_strict(signing_input.as_bytes(), &signature).map_err(|_| TokenError::Signature)?;
        let claims: Claims = decode_json(payload).map_err(TokenError::Claims)?;
        if claims.iss != self.issuer {
            return Err(TokenError::Issuer(claims.iss));
        }
        let principal = Principal::from_claims(&claims).map_err(TokenError::Claims)?;
        Ok((principal, claims))
    }
}

fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, String> {
    let bytes = B64.decode(part).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Reads a signing key file (a base64url seed, as `Issuer::encoded_seed` writes).
pub fn decode_seed(text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = B64.decode(text.trim()).map_err(|e| anyhow::anyhow!("the signing key is not base64url: {e}"))?;
    bytes.try_into().map_err(|_| anyhow::anyhow!("the signing key must be a 32-byte Ed25519 seed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> Issuer {
        Issuer::new([7; 32], "partnership")
    }

    #[test]
    fn a_token_verifies_to_its_principal() {
        let issuer = issuer();
        let principal = Principal::Municipality { code: "1991".into() };
        let token = issuer.issue(&principal, Duration::from_secs(600));
        let (verified, claims) = issuer.verifier().verify(&token).unwrap();
        assert_eq!(verified, principal);
        assert_eq!(claims.sub, "municipality:1991");
    }

    #[test]
    fn a_token_from_another_key_is_refused() {
        let other = Issuer::new([8; 32], "partnership");
        let token = other.issue(&Principal::Administrator, Duration::from_secs(600));
        assert_eq!(issuer().verifier().verify(&token).unwrap_err(), TokenError::Signature);
    }

    #[test]
    fn a_changed_claim_breaks_the_signature() {
        let issuer = issuer();
        let token = issuer.issue(&Principal::Dashboard, Duration::from_secs(600));
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = B64.encode(br#"{"iss":"partnership","sub":"admin","kind":"administrator","iat":0,"exp":99999999999,"jti":"x"}"#);
        parts[1] = &forged;
        assert_eq!(issuer.verifier().verify(&parts.join(".")).unwrap_err(), TokenError::Signature);
    }

    #[test]
    fn alg_none_is_refused() {
        let issuer = issuer();
        let token = issuer.issue(&Principal::Hr, Duration::from_secs(600));
        let payload = token.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", B64.encode(br#"{"alg":"none"}"#));
        assert_eq!(issuer.verifier().verify(&none).unwrap_err(), TokenError::Algorithm);
    }

    #[test]
    fn expired_tokens_and_strangers_are_refused() {
        let issuer = issuer();
        let mut claims = Claims {
            iss: "partnership".into(),
            sub: "hr".into(),
            kind: Kind::Hr,
            municipality: None,
            service: None,
            iat: 1,
            exp: 2,
            jti: "t".into(),
        };
        assert_eq!(issuer.verifier().verify(&issuer.sign(&claims)).unwrap_err(), TokenError::Expired);
        claims.exp = unix_now() + 600;
        claims.iss = "elsewhere".into();
        assert!(matches!(issuer.verifier().verify(&issuer.sign(&claims)).unwrap_err(), TokenError::Issuer(_)));
        assert_eq!(issuer.verifier().verify("not.a-token").unwrap_err(), TokenError::Malformed);
    }

    #[test]
    fn a_revoked_token_is_refused_and_others_still_pass() {
        let issuer = issuer();
        let withdrawn = issuer.issue(&Principal::Hr, Duration::from_secs(600));
        let kept = issuer.issue(&Principal::Hr, Duration::from_secs(600));
        let (_, claims) = issuer.verifier().verify(&withdrawn).unwrap();
        let verifier = issuer.verifier().revoking([claims.jti]);
        assert_eq!(verifier.verify(&withdrawn).unwrap_err(), TokenError::Revoked);
        assert!(verifier.verify(&kept).is_ok());
    }

    #[test]
    fn a_verified_token_is_known_by_its_exact_bytes_and_still_checked_for_revocation() {
        let issuer = issuer();
        let verifier = issuer.verifier();
        let token = issuer.issue(&Principal::Dashboard, Duration::from_secs(600));
        let (principal, claims) = verifier.verify(&token).unwrap();
        assert_eq!(verifier.verify(&token).unwrap(), (principal.clone(), claims.clone()), "the same answer the second time");
        // Another signature on the same header and payload is checked anew.
        let forged = format!("{}.{}", &token[..header_and_payload_len(&token)], B64.encode([7u8; 64]));
        assert_eq!(verifier.verify(&forged).unwrap_err(), TokenError::Signature);
        // A verifier revoking it refuses it, though it was verified before.
        let revoking = verifier.clone().revoking([claims.jti]);
        assert_eq!(revoking.verify(&token).unwrap_err(), TokenError::Revoked);
    }

    #[test]
    fn a_municipality_token_needs_its_code() {
        let issuer = issuer();
        let claims = Claims {
            iss: "partnership".into(),
            sub: "municipality:?".into(),
            kind: Kind::Municipality,
            municipality: None,
            service: None,
            iat: unix_now(),
            exp: unix_now() + 600,
            jti: "t".into(),
        };
        assert!(matches!(issuer.verifier().verify(&issuer.sign(&claims)).unwrap_err(), TokenError::Claims(_)));
    }

    #[test]
    fn keys_round_trip_through_their_encodings() {
        let issuer = Issuer::generate("partnership").unwrap();
        let again = Issuer::new(decode_seed(&issuer.encoded_seed()).unwrap(), "partnership");
        let verifier = Verifier::from_encoded(&issuer.encoded_verify_key(), "partnership").unwrap();
        let token = again.issue(&Principal::Administrator, Duration::from_secs(60));
        assert_eq!(verifier.verify(&token).unwrap().0, Principal::Administrator);
    }
}
