//! [`Name`]: a short, immutable, shared string for the job fields that
//! repeat across a queue (model, medium, content type, template, who
//! submitted, from where). Cloning one is a reference-count increment, and
//! [`Names`] lets a printer keep one copy of each distinct value however
//! many jobs name it: 100,000 waiting jobs then cost their own fields, not
//! 600,000 small strings (issue #17).
//!
//! Threading: pure data (`Send + Sync`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A shared immutable string; reads as a `&str` (it derefs to one).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Name(Arc<str>);

impl Name {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(s.into())
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(s.into())
    }
}

impl From<Name> for String {
    fn from(n: Name) -> Self {
        n.0.to_string()
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Name::from)
    }
}

/// One copy of each distinct [`Name`] (up to a bound, so a stream of
/// distinct values cannot grow it without end: beyond it a name is kept
/// as it came).
#[derive(Debug, Clone, Default)]
pub struct Names {
    set: HashSet<Name>,
}

impl Names {
    /// Distinct names kept at most.
    pub const MAX: usize = 4096;

    /// Replaces `name` by the kept copy of the same text (keeping it if new).
    pub fn intern(&mut self, name: &mut Name) {
        if let Some(kept) = self.set.get(name.as_str()) {
            *name = kept.clone();
        } else if self.set.len() < Self::MAX {
            self.set.insert(name.clone());
        }
    }

    /// [`intern`](Self::intern) for an optional name.
    pub fn intern_opt(&mut self, name: &mut Option<Name>) {
        if let Some(name) = name {
            self.intern(name);
        }
    }

    /// How many distinct names are kept.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_names_share_one_copy_and_compare_as_text() {
        let mut names = Names::default();
        let mut a = Name::from("tze-12".to_string());
        let mut b = Name::from("tze-12");
        names.intern(&mut a);
        names.intern(&mut b);
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "tze-12");
        assert_eq!(a, "tze-12".to_string());
        assert_eq!(names.len(), 1);
        assert_eq!(serde_json::to_string(&a).expect("json"), "\"tze-12\"");
        let back: Name = serde_json::from_str("\"tze-12\"").expect("json");
        assert_eq!(back, a);
    }

    #[test]
    fn the_set_stops_growing_at_its_bound() {
        let mut names = Names::default();
        for n in 0..(Names::MAX + 10) {
            let mut name = Name::from(format!("key-{n}"));
            names.intern(&mut name);
            assert_eq!(name, format!("key-{n}"));
        }
        assert_eq!(names.len(), Names::MAX);
    }
}
