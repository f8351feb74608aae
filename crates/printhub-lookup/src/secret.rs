//! [`Secret`]: an API key or webhook token. It is never printed (`Debug`
//! shows `Secret(***)`), never serialized, and compared in constant time.

use serde::Deserialize;
use subtle::ConstantTimeEq;

/// A secret string: an upstream API key or a webhook token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this secret, in time independent of where they differ.
    /// (Only the length may leak, as with every such comparison.)
    pub fn matches(&self, candidate: &str) -> bool {
        self.0.as_bytes().ct_eq(candidate.as_bytes()).into()
    }

    /// Its length in characters (for validation messages that must not show it).
    pub fn len(&self) -> usize {
        self.0.chars().count()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_redacted_and_matches_only_itself() {
        let s = Secret::new("hunter2-hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
        assert!(s.matches("hunter2-hunter2"));
        assert!(!s.matches("hunter2-hunter3"));
        assert!(!s.matches("hunter2"));
        assert!(!s.matches(""));
        let parsed: Secret = serde_json::from_str("\"abc\"").expect("json");
        assert!(parsed.matches("abc"));
    }
}
