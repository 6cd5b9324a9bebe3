//! Who may reach what. A role held in an organisation reaches it and every unit below it;
//! a gate's mandate is a role held in the case's organisation or above it. The checks
//! themselves stay in each use case; the rules they share are here.

use crate::error::Result;
use crate::{AppError, Caller, CurrentUser};
use domain::org::{OrgNode, descendants};
use domain::role::Role;

/// The roles that may triage, by name (for queries of colleagues who may handle something).
pub(crate) const TRIAGE_ROLES: [&str; 4] = ["advisor", "coordinator", "admin", "process_owner"];

/// The signed-in person, or `Unauthenticated`.
pub(crate) fn require_user(caller: &Caller) -> Result<&CurrentUser> {
    caller.user().ok_or(AppError::Unauthenticated)
}

/// Organisation ids the user reaches with a role that passes `allowed`.
pub(crate) fn reach(
    user: &CurrentUser,
    nodes: &[OrgNode],
    allowed: impl Fn(&Role) -> bool,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (org_id, role) in &user.memberships {
        if allowed(role) {
            for id in descendants(nodes, org_id) {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    }
    out
}

/// Organisations whose roles reach `org_id`: itself and its ancestors.
pub(crate) fn ancestors(nodes: &[OrgNode], org_id: &str) -> Vec<String> {
    nodes
        .iter()
        .filter(|n| descendants(nodes, &n.id).iter().any(|d| d == org_id))
        .map(|n| n.id.clone())
        .collect()
}

/// The roles that reach `org_id`: held there or above it.
pub(crate) fn mandate_for(user: &CurrentUser, nodes: &[OrgNode], org_id: &str) -> Vec<Role> {
    let above = ancestors(nodes, org_id);
    let mut roles: Vec<Role> = Vec::new();
    for (o, r) in &user.memberships {
        if above.contains(o) && !roles.contains(r) {
            roles.push(*r);
        }
    }
    roles
}

/// Whether the caller may open the inbox at all (for navigation).
pub fn has_inbox(caller: &Caller) -> bool {
    caller
        .user()
        .is_some_and(|u| u.memberships.iter().any(|(_, r)| r.can_read_inbox()))
}

/// Whether a role may upload and activate process templates (held on a region).
pub(crate) fn may_manage_processes(role: &Role) -> bool {
    matches!(role, Role::ProcessOwner | Role::Admin)
}

/// Whether the caller may upload templates (for navigation).
pub fn may_manage_any(caller: &Caller) -> bool {
    caller
        .user()
        .is_some_and(|u| u.memberships.iter().any(|(_, r)| may_manage_processes(r)))
}
