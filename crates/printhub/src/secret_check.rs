//! Whether a shared secret from the configuration — the reverse proxy's
//! `[auth.proxy] secret`, the Grocy and generic webhook tokens — is hard
//! enough to guess, and a way to make one that is (`printhub keys secret`).
//!
//! A secret is refused when it is shorter than [`MIN_SECRET_LEN`], blank,
//! one character repeated, mostly made of what `zxcvbn` (the
//! password-strength estimator the ecosystem trusts) recognises —
//! dictionary words, keyboard walks, sequences, repeats, dates, l33t — or
//! when zxcvbn puts fewer than 10^[`MIN_GUESSES_LOG10`] guesses on it. Random secrets pass by a wide margin: zxcvbn counts a random
//! character as 10 guesses, so 16 random characters score 10^16.

use anyhow::bail;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The shortest secret accepted.
pub const MIN_SECRET_LEN: usize = 16;

/// The fewest guesses (as a power of ten) zxcvbn must estimate.
pub const MIN_GUESSES_LOG10: f64 = 14.0;

/// How to make a good secret, for error messages.
const HOW: &str = "make one with `printhub keys secret` (or `openssl rand -hex 32`)";

/// Refuses a secret that is easy to guess, naming `field` and saying how
/// to make a better one.
pub fn check_secret(secret: &str, field: &str) -> anyhow::Result<()> {
    let chars: Vec<char> = secret.chars().collect();
    if secret.trim().is_empty() {
        bail!("{field}: the secret is blank; {HOW}");
    }
    if chars.len() < MIN_SECRET_LEN {
        bail!(
            "{field}: a secret needs at least {MIN_SECRET_LEN} characters (it has {}); {HOW}",
            chars.len()
        );
    }
    if chars.iter().all(|c| *c == chars[0]) {
        bail!("{field}: the secret is one character repeated; {HOW}");
    }
    let estimate = zxcvbn::zxcvbn(secret, &[]);
    // zxcvbn prices a string of words generously (four dictionary words
    // score like 16 random characters), so a secret must also be mostly
    // patternless: words, sequences, repeats, keyboard walks and dates may
    // make up at most half of it.
    let patterned: usize = estimate
        .sequence()
        .iter()
        .filter(|m| {
            !matches!(
                m.pattern,
                zxcvbn::matching::patterns::MatchPattern::BruteForce
            )
        })
        .map(|m| m.token.chars().count())
        .sum();
    if patterned * 2 > chars.len() {
        bail!("{field}: the secret is mostly words or patterns; {HOW}");
    }
    let log10 = estimate.guesses_log10();
    if log10 < MIN_GUESSES_LOG10 {
        let why = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        bail!("{field}: the secret is too easy to guess{why}; {HOW}");
    }
    Ok(())
}

/// A new random secret: 32 bytes from the operating system, base64url
/// (43 characters that fit in a URL path segment unchanged).
pub fn new_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness available: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_secrets_are_refused_with_the_field_and_a_way_out() {
        for weak in [
            "",
            "                    ",
            "short",
            "aaaaaaaaaaaaaaaaaaaaaaaa",
            "0123456789abcdefghij",
            "abcdefghijklmnopqrstuvwxyz",
            "passwordpassword",
            "monkeymonkeymonkey1",
            "correcthorsebatterystaple",
            "another-long-random-token",
            "qwertyuiopasdfghjkl",
            "a-long-random-token",
            "1234567812345678",
        ] {
            let err = check_secret(weak, "auth.proxy.secret").err();
            let text = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(text.starts_with("auth.proxy.secret: "), "{weak:?}: {text}");
            assert!(text.contains("printhub keys secret"), "{weak:?}: {text}");
        }
    }

    #[test]
    fn random_secrets_pass() {
        for _ in 0..200 {
            let secret = new_secret().expect("secret");
            assert_eq!(secret.len(), 43);
            check_secret(&secret, "x").expect("strong");
        }
        check_secret("pK3v9-Qz7LmW2xR8", "x").expect("strong");
        assert_ne!(new_secret().expect("secret"), new_secret().expect("secret"));
    }
}
