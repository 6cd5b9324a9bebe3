//! The role map (`--oidc-role-map`): which value of the identity provider's groups claim
//! gives which role in which organisation. A TOML file of entries:
//!
//! ```toml
//! [[map]]
//! group = "sluss-handlaggare"
//! org = "region-skane"   # the organisation's slug or id
//! role = "advisor"
//! ```
//!
//! Roles a map names are the provider's to give and take: at each sign-in a person holds
//! exactly those their groups map to. Roles the map never names (given by an administrator)
//! are left alone.

use domain::role::Role;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub group: String,
    /// The organisation's slug or id, resolved at sign-in (the map may be written before
    /// the organisation is added).
    pub org: String,
    pub role: Role,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMap {
    pub entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    map: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    group: String,
    org: String,
    role: String,
}

impl RoleMap {
    /// Reads a role map's text; a wrong role, an empty group or organisation is an error
    /// naming the entry, so that a mistake stops the start rather than a sign-in.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: File = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("The role map is not valid TOML: {e}"))?;
        let mut entries = Vec::new();
        for (i, raw) in file.map.into_iter().enumerate() {
            let n = i + 1;
            let role = Role::parse(&raw.role).ok_or_else(|| {
                let known: Vec<&str> = Role::ALL.iter().map(Role::as_str).collect();
                anyhow::anyhow!(
                    "Entry {n} of the role map: unknown role {:?} (one of {})",
                    raw.role,
                    known.join(", ")
                )
            })?;
            let (group, org) = (raw.group.trim(), raw.org.trim());
            if group.is_empty() || org.is_empty() {
                anyhow::bail!("Entry {n} of the role map needs a group and an org");
            }
            entries.push(Entry {
                group: group.to_string(),
                org: org.to_string(),
                role,
            });
        }
        Ok(Self { entries })
    }

    /// The entries the given groups reach.
    pub fn matching<'a>(&'a self, groups: &'a [String]) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries
            .iter()
            .filter(|e| groups.iter().any(|g| g == &e.group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_is_read_and_matched_by_group() {
        let map = RoleMap::parse(
            r#"
            [[map]]
            group = "sluss-handlaggare"
            org = "region"
            role = "advisor"
            [[map]]
            group = "sluss-admin"
            org = "region"
            role = "admin"
            "#,
        )
        .unwrap();
        assert_eq!(map.entries.len(), 2);
        let groups = vec!["andra".to_string(), "sluss-handlaggare".to_string()];
        let found: Vec<Role> = map.matching(&groups).map(|e| e.role).collect();
        assert_eq!(found, vec![Role::Advisor]);
        assert_eq!(map.matching(&[]).count(), 0);
    }

    #[test]
    fn a_wrong_entry_is_named() {
        let e = RoleMap::parse("[[map]]\ngroup = \"g\"\norg = \"o\"\nrole = \"king\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("Entry 1") && e.contains("king"), "{e}");
        let e = RoleMap::parse("[[map]]\ngroup = \" \"\norg = \"o\"\nrole = \"staff\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a group"), "{e}");
        assert!(RoleMap::parse("[[map]]\ngroupe = \"g\"\n").is_err());
    }
}
