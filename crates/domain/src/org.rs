//! Organisations form a tree: a region and its units. Who may see what follows the tree
//! downwards: a role held in a region reaches every unit below it.

use crate::error::{ErrorCode, FieldError};
use crate::id::OrgId;

/// A URL-safe organisation name: lowercase ASCII letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &'static str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let ok = (2..=60).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_string()))
        } else if s.is_empty() {
            Err(FieldError::new(field, ErrorCode::Required))
        } else {
            Err(FieldError::new(field, ErrorCode::InvalidSlug))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The part of an organisation the tree rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgNode {
    pub id: OrgId,
    pub parent_id: Option<OrgId>,
}

/// The ids of `root` and every organisation below it, root first.
pub fn descendants(nodes: &[OrgNode], root: &OrgId) -> Vec<OrgId> {
    let mut out = vec![root.clone()];
    let mut i = 0;
    while i < out.len() {
        let current = out[i].clone();
        for n in nodes {
            if n.parent_id.as_ref() == Some(&current) && !out.contains(&n.id) {
                out.push(n.id.clone());
            }
        }
        i += 1;
    }
    out
}

/// The top of the tree `id` belongs to (its region).
pub fn root_of(nodes: &[OrgNode], id: &OrgId) -> OrgId {
    let mut current = id.clone();
    for _ in 0..nodes.len() {
        match nodes
            .iter()
            .find(|n| n.id == current)
            .and_then(|n| n.parent_id.clone())
        {
            Some(p) => current = p,
            None => break,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(id: &str, p: Option<&str>) -> OrgNode {
        OrgNode {
            id: id.into(),
            parent_id: p.map(Into::into),
        }
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("s", "region-skane").is_ok());
        assert!(Slug::parse("s", "Region").is_err());
        assert!(Slug::parse("s", "-a").is_err());
        assert!(Slug::parse("s", "å").is_err());
        assert_eq!(Slug::parse("s", "").unwrap_err().code, ErrorCode::Required);
    }

    #[test]
    fn tree() {
        let nodes = vec![
            n("r", None),
            n("a", Some("r")),
            n("b", Some("r")),
            n("a1", Some("a")),
            n("x", None),
        ];
        let id = OrgId::from;
        assert_eq!(
            descendants(&nodes, &id("r")),
            vec![id("r"), id("a"), id("b"), id("a1")]
        );
        assert_eq!(descendants(&nodes, &id("a")), vec![id("a"), id("a1")]);
        assert_eq!(root_of(&nodes, &id("a1")), "r");
        assert_eq!(root_of(&nodes, &id("x")), "x");
    }
}
