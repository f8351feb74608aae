//! API key secrets: how a key is minted, parsed and checked. A key reads
//! `phk_<id>_<secret>`: the id (32 hex digits) is public and names the key
//! in lists and audit rows; the secret (32 random bytes, base64url) is shown
//! once at creation. Only the SHA-256 digest of the secret is stored — the
//! secret has 256 bits of entropy, so a fast digest is the right tool (a
//! password hash would only slow every request) — and a presented secret is
//! compared with the stored digest in constant time (`subtle`).
//!
//! Keys imported from Label Printer Hub (`lh_pat_…`, issue #19) keep
//! working: their record's hash is [`LegacyHash`] — the key's public
//! prefix and its bcrypt hash, written by `printhub import` — and a
//! presented `lh_` key is checked with the `bcrypt` crate. bcrypt is slow
//! on purpose (cost 12: a quarter of a second), so a verified key is
//! remembered in a [`BcryptCache`] and later requests cost one SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The prefix every printhub key starts with.
pub const KEY_PREFIX: &str = "phk_";

/// What every Label Printer Hub key starts with (`lh_pat_` since its v0.9,
/// `lh_` for the bootstrap key its migration made).
pub const LEGACY_KEY_PREFIX: &str = "lh_";

/// How the hash of an imported Label Printer Hub key is stored:
/// `bcrypt:<prefix>:<bcrypt hash>` (the prefix names the key's first
/// characters, as that hub looked keys up by them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyHash {
    /// The key's first characters (`lh_pat_` and nine more).
    pub prefix: String,
    /// Its bcrypt hash (`$2b$12$…`).
    pub bcrypt: String,
}

impl LegacyHash {
    /// The stored form.
    pub fn encode(&self) -> String {
        format!("bcrypt:{}:{}", self.prefix, self.bcrypt)
    }

    /// The parts of a stored hash, if it is one of these.
    pub fn parse(stored: &str) -> Option<LegacyHash> {
        let rest = stored.strip_prefix("bcrypt:")?;
        let (prefix, bcrypt) = rest.split_once(':')?;
        (!prefix.is_empty() && bcrypt.starts_with('$')).then(|| LegacyHash {
            prefix: prefix.to_owned(),
            bcrypt: bcrypt.to_owned(),
        })
    }

    /// Whether `key` is the key this hash was made from: its prefix, then
    /// bcrypt (slow; see [`BcryptCache`]).
    pub fn verify(&self, key: &str) -> bool {
        key.starts_with(&self.prefix) && bcrypt::verify(key, &self.bcrypt).unwrap_or(false)
    }
}

/// The imported keys verified lately, as SHA-256 of key and hash, so a key
/// costs one bcrypt check per [`BcryptCache::TTL`] and not one per request
/// (as Label Printer Hub did: 300 s, 512 entries). Only successes are
/// kept; a revoked key is refused before its hash is looked at.
#[derive(Debug, Default)]
pub struct BcryptCache {
    verified: std::sync::Mutex<std::collections::HashMap<[u8; 32], std::time::Instant>>,
}

impl BcryptCache {
    /// How long a verification counts.
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(300);
    /// The most verifications kept.
    pub const CAPACITY: usize = 512;

    /// Whether `key` matches `hash`, from the cache or by bcrypt.
    pub fn verify(&self, key: &str, hash: &LegacyHash) -> bool {
        let mut digest = Sha256::new();
        digest.update(key.as_bytes());
        digest.update([0]);
        digest.update(hash.bcrypt.as_bytes());
        let id: [u8; 32] = digest.finalize().into();
        let now = std::time::Instant::now();
        {
            let verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
            if verified
                .get(&id)
                .is_some_and(|at| now.duration_since(*at) < Self::TTL)
            {
                return true;
            }
        }
        if !hash.verify(key) {
            return false;
        }
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        verified.retain(|_, at| now.duration_since(*at) < Self::TTL);
        if verified.len() >= Self::CAPACITY {
            if let Some(oldest) = verified.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k) {
                verified.remove(&oldest);
            }
        }
        verified.insert(id, now);
        true
    }
}

/// A freshly minted key: its public id, the full key to hand out once, and
/// the digest to store.
#[derive(Debug, Clone)]
pub struct MintedKey {
    /// The public id (32 lowercase hex digits).
    pub id: String,
    /// The whole key, `phk_<id>_<secret>`: shown once, never stored.
    pub key: String,
    /// Hex SHA-256 of the secret part.
    pub hash: String,
}

/// Why a presented key was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not of the form `phk_<id>_<secret>`.
    #[error("malformed API key")]
    Malformed,
    /// The system's random source failed.
    #[error("no randomness available: {0}")]
    Random(&'static str),
}

/// Mints a new key from the operating system's random source.
pub fn mint() -> Result<MintedKey, KeyError> {
    let mut id = [0u8; 16];
    let mut secret = [0u8; 32];
    getrandom::fill(&mut id).map_err(|_| KeyError::Random("key id"))?;
    getrandom::fill(&mut secret).map_err(|_| KeyError::Random("key secret"))?;
    let id = hex(&id);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    Ok(MintedKey {
        key: format!("{KEY_PREFIX}{id}_{secret}"),
        hash: digest_hex(&secret),
        id,
    })
}

/// Splits a presented key into its id and secret.
pub fn parse(key: &str) -> Result<(&str, &str), KeyError> {
    let rest = key.strip_prefix(KEY_PREFIX).ok_or(KeyError::Malformed)?;
    let (id, secret) = rest.split_once('_').ok_or(KeyError::Malformed)?;
    let id_ok = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    if !id_ok || secret.is_empty() {
        return Err(KeyError::Malformed);
    }
    Ok((id, secret))
}

/// Whether `secret` digests to `stored_hex`, compared in constant time.
pub fn verify(secret: &str, stored_hex: &str) -> bool {
    let presented = digest_hex(secret);
    presented.as_bytes().ct_eq(stored_hex.as_bytes()).into()
}

/// Compares two secrets (webhook tokens, proxy secrets) in constant time.
pub fn same_secret(presented: &str, expected: &str) -> bool {
    // Digest first so the comparison time does not depend on the lengths.
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
}

fn digest_hex(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minted_key_parses_and_verifies_and_nothing_else_does() {
        let minted = mint().expect("mint");
        let (id, secret) = parse(&minted.key).expect("parse");
        assert_eq!(id, minted.id);
        assert!(verify(secret, &minted.hash));
        assert!(!verify(&format!("{secret}x"), &minted.hash));
        assert!(!verify("", &minted.hash));
        assert!(
            !minted.hash.contains(secret),
            "the digest is not the secret"
        );
        let other = mint().expect("mint");
        assert_ne!(other.id, minted.id);
        assert_ne!(other.key, minted.key);
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "phk_",
            "phk_abc_def",
            "xyz_0123456789abcdef0123456789abcdef_s",
            "phk_0123456789abcdef0123456789abcdef_",
            "phk_0123456789abcdef0123456789abcdeg_s",
            "phk_0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(parse(bad), Err(KeyError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn sha256_matches_a_published_vector() {
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        assert_eq!(
            digest_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_legacy_hash_round_trips_and_verifies_with_bcrypt() {
        let key = "lh_pat_AbCdEfGhIjklmnopqrstuvwxyz0123456789-_ABCDEFG";
        // Cost 4: the lowest bcrypt takes, to keep the test fast.
        let hash = LegacyHash {
            prefix: key[..16].to_owned(),
            bcrypt: bcrypt::hash(key, 4).expect("hash"),
        };
        let stored = hash.encode();
        assert!(stored.starts_with("bcrypt:lh_pat_AbCdEfGhI:$2"), "{stored}");
        assert_eq!(LegacyHash::parse(&stored), Some(hash.clone()));
        assert!(hash.verify(key));
        assert!(!hash.verify(&format!("{key}x")));
        assert!(!hash.verify("lh_pat_AbCdEfGhIwrong"));
        let cache = BcryptCache::default();
        assert!(cache.verify(key, &hash));
        assert!(cache.verify(key, &hash), "from the cache");
        assert!(!cache.verify("lh_pat_AbCdEfGhI-other", &hash));
        for bad in [
            "",
            "bcrypt:",
            "bcrypt::$2b$",
            "bcrypt:lh_pat_x:nohash",
            "0123abcd",
        ] {
            assert_eq!(LegacyHash::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn same_secret_compares_whole_values() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cre", "s3cret"));
        assert!(!same_secret("s3cret ", "s3cret"));
        assert!(!same_secret("", "s3cret"));
    }
}
