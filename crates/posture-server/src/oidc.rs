//! OpenID Connect: the issuer's discovery document and key set (JWKS), and the check of an ID
//! token (the dashboard's sign-in) or a CI platform's OIDC token (the token exchange).
//!
//! A token is accepted only when it is signed by a key of its issuer's current key set with
//! an asymmetric algorithm (RS/PS/ES/EdDSA; `none` and HMAC are refused: a JWKS is public), its
//! `iss` is the issuer, its `aud` holds the expected audience, and it has not expired (60 s of
//! leeway for clocks apart) and was not issued in the future. A `kid` the cached key set does
//! not know makes the set be fetched again (the issuer rotated its keys), at most once per
//! [`REFETCH_INTERVAL`] per issuer, so a stream of tokens with made-up `kid`s cannot make the
//! server hammer the issuer. HTTP goes through `ureq` (blocking: callers run on the store's
//! threads); nothing here logs or formats a token.

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Clocks may be this far apart (seconds) between the issuer and Posture.
pub const LEEWAY_SECONDS: i64 = 60;
/// The least time between two fetches of an issuer's key set caused by unknown `kid`s.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// A cached key set is fetched again after this long anyway.
const KEYS_MAX_AGE: Duration = Duration::from_secs(3600);
/// Every request to an issuer ends within this.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a token was refused, or the issuer could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// The issuer did not answer as a provider should (discovery, JWKS, token endpoint).
    #[error("the OpenID provider {issuer}: {message}")]
    Provider { issuer: String, message: String },
    /// The token is not acceptable (signature, audience, issuer, expiry, nonce, form).
    #[error("{0}")]
    Rejected(String),
}

fn rejected(message: impl Into<String>) -> OidcError {
    OidcError::Rejected(message.into())
}

/// The parts of a discovery document Posture uses.
#[derive(Debug, Clone)]
pub struct Discovery {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

struct IssuerKeys {
    discovery: Discovery,
    keys: Vec<Jwk>,
    fetched: Instant,
    /// When an unknown `kid` last made the set be fetched again.
    last_refetch: Option<Instant>,
}

/// The key sets of the issuers met so far, shared by every request.
pub struct Verifier {
    agent: ureq::Agent,
    issuers: Mutex<HashMap<String, IssuerKeys>>,
    /// Key sets fetched so far (all issuers): what the rate limit keeps low.
    fetches: AtomicUsize,
}

impl Default for Verifier {
    fn default() -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(HTTP_TIMEOUT))
            .max_redirects(0)
            .user_agent(concat!("posture/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Verifier {
            agent,
            issuers: Mutex::new(HashMap::new()),
            fetches: AtomicUsize::new(0),
        }
    }
}

/// What to expect of a token.
pub struct Expect<'a> {
    pub issuer: &'a str,
    /// `aud` must hold one of these.
    pub audiences: &'a [&'a str],
    /// The `nonce` the sign-in sent (ID tokens of the dashboard's sign-in).
    pub nonce: Option<&'a str>,
    /// Now, in seconds since the epoch (the server's clock).
    pub now: i64,
}

/// The claims of a token, unchecked: only to learn its issuer before checking it.
pub fn unverified_claims(token: &str) -> Result<Map<String, Value>, OidcError> {
    use base64::Engine;
    let mut parts = token.trim().split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(rejected(
            "the token is not a JWT (three base64url parts separated by dots)",
        ));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| rejected("the token's payload is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| rejected("the token's payload is not a JSON object"))
}

fn issuer_error(issuer: &str, message: impl Into<String>) -> OidcError {
    OidcError::Provider {
        issuer: issuer.to_string(),
        message: message.into(),
    }
}

impl Verifier {
    /// GETs a JSON document of the issuer.
    fn get_json(&self, issuer: &str, url: &str, what: &str) -> Result<Value, OidcError> {
        let mut response = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| issuer_error(issuer, format!("fetching its {what} ({url}): {e}")))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| issuer_error(issuer, format!("reading its {what} ({url}): {e}")))?;
        if !(200..300).contains(&status) {
            return Err(issuer_error(
                issuer,
                format!("its {what} ({url}) answered HTTP {status}"),
            ));
        }
        serde_json::from_str(&body)
            .map_err(|e| issuer_error(issuer, format!("its {what} ({url}) is not JSON: {e}")))
    }

    fn fetch_discovery(&self, issuer: &str) -> Result<Discovery, OidcError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc = self.get_json(issuer, &url, "discovery document")?;
        let field = |name: &str| -> Result<String, OidcError> {
            doc.get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    issuer_error(issuer, format!("its discovery document has no `{name}`"))
                })
        };
        let said = field("issuer")?;
        if said != issuer {
            return Err(issuer_error(
                issuer,
                format!(
                    "its discovery document names another issuer, `{said}` (the configured issuer must be written exactly as the provider's)"
                ),
            ));
        }
        let jwks_uri = field("jwks_uri")?;
        if !posture_app::oidc_config::issuer_url_ok(&jwks_uri) {
            return Err(issuer_error(
                issuer,
                format!("its jwks_uri `{jwks_uri}` is not https"),
            ));
        }
        Ok(Discovery {
            authorization_endpoint: field("authorization_endpoint").unwrap_or_default(),
            token_endpoint: field("token_endpoint").unwrap_or_default(),
            jwks_uri,
        })
    }

    /// How many key sets were fetched since the server started.
    pub fn key_set_fetches(&self) -> usize {
        self.fetches.load(Ordering::Relaxed)
    }

    fn fetch_keys(&self, issuer: &str, jwks_uri: &str) -> Result<Vec<Jwk>, OidcError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let doc = self.get_json(issuer, jwks_uri, "key set")?;
        let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
            return Err(issuer_error(issuer, "its key set has no `keys` array"));
        };
        // Keys Posture cannot use (another kty, encryption keys) are skipped, not fatal.
        Ok(keys
            .iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter(|k| {
                !matches!(
                    k.common.public_key_use,
                    Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
                )
            })
            .collect())
    }

    /// The issuer's discovery document (cached with its key set).
    pub fn discovery(&self, issuer: &str) -> Result<Discovery, OidcError> {
        self.load(issuer, false)
    }

    /// The cached discovery document of an issuer, its key set fetched when absent or older
    /// than an hour, or (`refetch`: an unknown `kid`) again unless an unknown `kid` already made
    /// it be fetched less than [`REFETCH_INTERVAL`] ago.
    fn load(&self, issuer: &str, refetch: bool) -> Result<Discovery, OidcError> {
        let now = Instant::now();
        let cached = {
            let guard = self.issuers.lock().unwrap_or_else(|p| p.into_inner());
            guard.get(issuer).map(|k| {
                (
                    k.discovery.clone(),
                    now.duration_since(k.fetched) < KEYS_MAX_AGE,
                    k.last_refetch,
                )
            })
        };
        let mut last_refetch = None;
        let mut discovery = None;
        if let Some((d, fresh, last)) = cached {
            let may_refetch = last.is_none_or(|t| now.duration_since(t) >= REFETCH_INTERVAL);
            if fresh && (!refetch || !may_refetch) {
                return Ok(d);
            }
            last_refetch = last;
            if fresh {
                discovery = Some(d);
            }
        }
        let discovery = match discovery {
            Some(d) => d,
            None => self.fetch_discovery(issuer)?,
        };
        let keys = self.fetch_keys(issuer, &discovery.jwks_uri)?;
        let mut guard = self.issuers.lock().unwrap_or_else(|p| p.into_inner());
        guard.insert(
            issuer.to_string(),
            IssuerKeys {
                discovery: discovery.clone(),
                keys,
                fetched: now,
                last_refetch: if refetch { Some(now) } else { last_refetch },
            },
        );
        Ok(discovery)
    }

    fn key_for(&self, issuer: &str, kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
        let guard = self.issuers.lock().unwrap_or_else(|p| p.into_inner());
        let keys = &guard.get(issuer)?.keys;
        match kid {
            Some(kid) => keys
                .iter()
                .find(|k| k.common.key_id.as_deref() == Some(kid))
                .cloned(),
            // No kid: only a set of one usable key is unambiguous.
            None => {
                let usable: Vec<&Jwk> = keys
                    .iter()
                    .filter(|k| DecodingKey::from_jwk(k).is_ok())
                    .filter(|k| {
                        k.common
                            .key_algorithm
                            .is_none_or(|a| format!("{a:?}") == format!("{alg:?}"))
                    })
                    .collect();
                (usable.len() == 1).then(|| usable[0].clone())
            }
        }
    }

    /// Checks a token: signature with the issuer's keys, issuer, audience, expiry, nonce.
    /// Answers its claims.
    pub fn verify(
        &self,
        token: &str,
        expect: &Expect<'_>,
    ) -> Result<Map<String, Value>, OidcError> {
        let token = token.trim();
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| rejected(format!("the token's header cannot be read: {e}")))?;
        let alg = header.alg;
        if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
            return Err(rejected(format!(
                "the token is signed with {alg:?}, a shared-secret algorithm: only the issuer's public keys are accepted"
            )));
        }
        let kid = header.kid.as_deref();
        self.load(expect.issuer, false)?;
        let jwk = match self.key_for(expect.issuer, kid, alg) {
            Some(k) => k,
            None => {
                // The issuer may have rotated its keys: fetch the set again (rate-limited).
                self.load(expect.issuer, true)?;
                self.key_for(expect.issuer, kid, alg).ok_or_else(|| {
                    rejected(format!(
                        "the token is signed with a key the issuer does not publish (kid {})",
                        kid.unwrap_or("absent")
                    ))
                })?
            }
        };
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| {
            rejected(format!(
                "the issuer's key {} cannot be used: {e}",
                kid.unwrap_or("")
            ))
        })?;
        let mut validation = Validation::new(alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[expect.issuer]);
        validation.set_audience(expect.audiences);
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                rejected(match e.kind() {
                    ErrorKind::InvalidSignature => "the token's signature is wrong".to_string(),
                    ErrorKind::InvalidAudience => format!(
                        "the token is for another audience (expected {})",
                        expect.audiences.join(" or ")
                    ),
                    ErrorKind::InvalidIssuer => {
                        format!(
                            "the token is from another issuer (expected {})",
                            expect.issuer
                        )
                    }
                    ErrorKind::InvalidAlgorithm => {
                        "the token's algorithm does not match the issuer's key".to_string()
                    }
                    ErrorKind::MissingRequiredClaim(c) => format!("the token has no `{c}` claim"),
                    other => format!("the token cannot be checked: {other:?}"),
                })
            })?;
        let claims = data.claims;
        let number = |name: &str| claims.get(name).and_then(Value::as_i64);
        let Some(exp) = number("exp") else {
            return Err(rejected("the token's `exp` is not a number"));
        };
        if exp + LEEWAY_SECONDS < expect.now {
            return Err(rejected(format!(
                "the token expired {} s ago",
                expect.now - exp
            )));
        }
        if let Some(nbf) = number("nbf")
            && nbf - LEEWAY_SECONDS > expect.now
        {
            return Err(rejected("the token is not valid yet (`nbf`)"));
        }
        if let Some(iat) = number("iat")
            && iat - LEEWAY_SECONDS > expect.now
        {
            return Err(rejected("the token was issued in the future (`iat`)"));
        }
        if let Some(nonce) = expect.nonce {
            let said = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
            if !crate::auth::constant_time_eq(said, nonce) {
                return Err(rejected(
                    "the ID token's nonce is not the one this sign-in sent",
                ));
            }
        }
        Ok(claims)
    }

    /// Trades an authorization code for the provider's tokens (PKCE `code_verifier`; HTTP
    /// Basic client authentication when there is a secret). Answers the ID token.
    pub fn redeem_code(
        &self,
        issuer: &str,
        request: &CodeRedemption<'_>,
    ) -> Result<String, OidcError> {
        let discovery = self.discovery(issuer)?;
        if discovery.token_endpoint.is_empty() {
            return Err(issuer_error(
                issuer,
                "its discovery document has no token_endpoint",
            ));
        }
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", request.code),
            ("redirect_uri", request.redirect_uri),
            ("code_verifier", request.verifier),
        ];
        let mut call = self
            .agent
            .post(&discovery.token_endpoint)
            .header("Accept", "application/json");
        let basic;
        match request.client_secret {
            Some(secret) => {
                use base64::Engine;
                basic = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        form_encode(request.client_id),
                        form_encode(secret)
                    ))
                );
                call = call.header("Authorization", &basic);
            }
            None => form.push(("client_id", request.client_id)),
        }
        let mut response = call.send_form(form).map_err(|e| {
            issuer_error(
                issuer,
                format!("redeeming the code at its token endpoint: {e}"),
            )
        })?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            // The provider's error code and description only (never the body whole).
            let code = json.get("error").and_then(Value::as_str).unwrap_or("?");
            let description = json
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            return Err(issuer_error(
                issuer,
                format!(
                    "its token endpoint refused the code (HTTP {status}, {code}: {description})"
                ),
            ));
        }
        json.get("id_token")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| issuer_error(issuer, "its token endpoint sent no id_token"))
    }
}

/// What [`Verifier::redeem_code`] sends.
pub struct CodeRedemption<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub verifier: &'a str,
    pub client_id: &'a str,
    pub client_secret: Option<&'a str>,
}

/// `application/x-www-form-urlencoded` / URL query encoding of one value (RFC 3986 unreserved
/// characters kept, everything else percent-encoded).
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The PKCE challenge of a verifier (S256: base64url of its SHA-256).
pub fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A claim as text: a string as is, a number or boolean written out; nothing for the rest.
pub fn claim_text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A claim listing groups: an array of strings, or one string.
pub fn claim_list(claims: &Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc7636_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn form_encoding_keeps_only_unreserved() {
        assert_eq!(form_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn unverified_claims_need_three_parts() {
        assert!(unverified_claims("abc").is_err());
        assert!(unverified_claims("a.b.c.d").is_err());
        let claims = unverified_claims("e30.eyJpc3MiOiJ4In0.sig").unwrap_or_default();
        assert_eq!(claims.get("iss").and_then(Value::as_str), Some("x"));
    }
}
