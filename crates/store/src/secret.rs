//! Secrets handed out once (API tokens, client links): random, shown to
//! their owner once, stored only as a hash. Also secrets a clinic gives
//! us (the webhook signing key), kept so that no log line can show them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore as _;
use sha2::{Digest as _, Sha256};

/// A secret string. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 32 random bytes (256 bits) from the operating system's generator,
    /// URL-safe, with a prefix that says what it is (`act_`, `acl_`).
    pub fn generate(prefix: &str) -> Secret {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .unwrap_or_else(|_| {
                // Without the OS generator there is no safe secret to hand out.
                panic!("the operating system's random number generator failed")
            });
        Secret(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Wraps a secret received from outside.
    pub fn from_text(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash kept at rest: SHA-256, hex. A fast hash is right here:
    /// the secret has 256 bits of entropy, so it cannot be guessed offline.
    pub fn hash(&self) -> String {
        hash_text(&self.0)
    }
}

/// SHA-256 of a text, as hex.
pub fn hash_text(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Reading a secret from a request shows it to no one, so it may be
/// deserialised directly. `Serialize` is deliberately not implemented:
/// writing a secret out has to be asked for by name (see [`exposed`]).
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

/// Serde helpers for a field that holds an optional secret and whose
/// serialised form really must carry the value (`#[serde(with = ...)]`).
pub mod exposed {
    use super::Secret;
    use serde::{Deserialize as _, Deserializer, Serialize as _, Serializer};

    /// Writes the secret's value, or `null`.
    pub fn serialize<S: Serializer>(
        secret: &Option<Secret>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        secret.as_ref().map(Secret::expose).serialize(serializer)
    }

    /// Reads the secret's value, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Secret>, D::Error> {
        Option::<String>::deserialize(deserializer).map(|text| text.map(Secret))
    }
}
