//! How names and email addresses appear in everything a run writes
//! (`[privacy] names`): shown, masked (`j***@acme.com`), or replaced by a
//! keyed hash that stays the same from run to run, so changes and trends
//! still line up. Account ids are Atlassian's opaque identifiers and stay,
//! so that a concealed report can still be acted on by whoever holds the
//! export.

use crate::config::{secret_from_env, NameMode, PrivacyConfig};
use crate::problems::{BadInput, Problem, Problems};

/// Hex digits of the keyed hash kept: 64 bits tell a million people apart.
const HASH_DIGITS: usize = 16;

/// The names mode with its key, ready to apply.
#[derive(Clone, Default)]
pub struct Privacy {
    mode: NameMode,
    /// The BLAKE3 key derived from the secret (hash mode only).
    key: Option<[u8; 32]>,
}

impl std::fmt::Debug for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Privacy")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Privacy {
    pub fn show() -> Self {
        Privacy::default()
    }

    pub fn mask() -> Self {
        Privacy {
            mode: NameMode::Mask,
            key: None,
        }
    }

    /// Hash mode with `secret` as the key.
    pub fn hash(secret: &str) -> Self {
        Privacy {
            mode: NameMode::Hash,
            key: Some(blake3::derive_key(
                "org-insights 2026 names",
                secret.as_bytes(),
            )),
        }
    }

    /// `mode` with its key read from the environment variable `key_env`
    /// (hash mode only); a missing key is an error naming the variable.
    /// The names mode of `[privacy]` with its key; a missing key is an
    /// error at start.
    pub fn configured(settings: &PrivacyConfig) -> Result<Self, BadInput> {
        Self::from_env(settings.names, settings.hash_key_env.as_deref())
    }

    pub fn from_env(mode: NameMode, key_env: Option<&str>) -> Result<Self, BadInput> {
        match mode {
            NameMode::Show => Ok(Privacy::show()),
            NameMode::Mask => Ok(Privacy::mask()),
            NameMode::Hash => {
                let missing = |what: String| {
                    BadInput::about("the environment", Problem::file("environment", what))
                };
                let variable = key_env.ok_or_else(|| {
                    missing("[privacy] hash_key_env, the environment variable that holds the key of names = \"hash\"".into())
                })?;
                let secret = secret_from_env(
                    variable,
                    "the key of names = \"hash\"",
                    "[privacy] hash_key_env",
                )?;
                Ok(Privacy::hash(&secret))
            }
        }
    }

    pub fn mode(&self) -> NameMode {
        self.mode
    }

    pub fn shows_names(&self) -> bool {
        self.mode == NameMode::Show
    }

    /// What the report footer says.
    pub fn describe(&self) -> &'static str {
        match self.mode {
            NameMode::Show => "names and email addresses are shown",
            NameMode::Mask => "names and email addresses are masked",
            NameMode::Hash => "names and email addresses are replaced by keyed hashes",
        }
    }

    /// An email address as this mode shows it; the domain always stays.
    pub fn email(&self, email: &str) -> String {
        // No address is nothing to conceal (nor to hash into a false one).
        if email.is_empty() {
            return String::new();
        }
        let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
        let local = match self.mode {
            NameMode::Show => return email.to_string(),
            NameMode::Mask => mask(local),
            NameMode::Hash => self.digest(&email.to_lowercase()),
        };
        if domain.is_empty() {
            local
        } else {
            format!("{local}@{}", domain.to_lowercase())
        }
    }

    /// A display name as this mode shows it.
    pub fn name(&self, name: &str) -> String {
        match self.mode {
            NameMode::Show => name.to_string(),
            NameMode::Mask => mask(name),
            NameMode::Hash => self.digest(name),
        }
    }

    /// Problems of the input quote the cell; names and emails are concealed
    /// there too, since messages end up in logs and mail.
    pub fn conceal_problems(&self, bad: BadInput) -> BadInput {
        if self.shows_names() {
            return bad;
        }
        let mut problems = Problems::default();
        for problem in bad.0.listed().iter().cloned() {
            problems.push(self.conceal_problem(problem));
        }
        problems.add_unlisted(bad.0.total() - bad.0.listed().len());
        BadInput(problems)
    }

    /// `problem` with its value concealed when it is a name or an email.
    pub fn conceal_problem(&self, mut problem: Problem) -> Problem {
        if self.shows_names() {
            return problem;
        }
        let personal = matches!(problem.column.as_deref(), Some("email" | "name"));
        if let (true, Some(value)) = (personal, problem.value.as_mut()) {
            *value = if problem.column.as_deref() == Some("email") {
                self.email(value)
            } else {
                self.name(value)
            };
        }
        problem
    }

    fn digest(&self, value: &str) -> String {
        let key = self.key.unwrap_or_default();
        let hash = blake3::keyed_hash(&key, value.as_bytes()).to_hex();
        format!("h{}", &hash.as_str()[..HASH_DIGITS])
    }
}

/// The first character and three stars: `jane` → `j***`.
fn mask(text: &str) -> String {
    match text.chars().next() {
        Some(first) => format!("{first}***"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_the_first_letter_and_the_domain() {
        let p = Privacy::mask();
        assert_eq!(p.email("jane.doe@Acme.com"), "j***@acme.com");
        assert_eq!(p.email("j***@acme.com"), "j***@acme.com");
        assert_eq!(p.name("Jane Doe"), "J***");
        assert_eq!(p.name(""), "");
    }

    #[test]
    fn hashes_are_keyed_stable_and_hide_the_address() {
        let one = Privacy::hash("k1");
        let a = one.email("jane@acme.com");
        assert_eq!(a, Privacy::hash("k1").email("JANE@acme.com"));
        assert_ne!(a, Privacy::hash("k2").email("jane@acme.com"));
        assert!(a.ends_with("@acme.com") && !a.contains("jane"), "{a}");
        assert_eq!(a.len(), 1 + HASH_DIGITS + "@acme.com".len());
        assert_ne!(one.name("Jane"), one.name("John"));
    }

    #[test]
    fn show_changes_nothing() {
        let p = Privacy::show();
        assert_eq!(p.email("Jane@Acme.com"), "Jane@Acme.com");
        assert_eq!(p.name("Jane"), "Jane");
    }
}
