//! Reading `PRINTHUB_*` environment overrides: the parsers the configuration
//! sections share ([`crate::config`], [`crate::integrations`]). The
//! environment is passed in as a lookup function, so tests hand in a map.

/// The whole number in the environment variable `name`, if set; an error
/// naming the variable if it is not one.
pub(crate) fn env_number<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    name: &str,
) -> anyhow::Result<Option<T>> {
    env(name)
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|_| anyhow::anyhow!("{name}: {v:?} is not a whole number"))
        })
        .transpose()
}
