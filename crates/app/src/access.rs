//! Who may reach what. A role held in an organisation reaches it and every unit below it;
//! a gate's mandate is a role held in the case's organisation or above it. Each use case
//! makes its own checks; the rules they share, and the organisation tree, are here.
//!
//! The tree is read once per node and kept in [`App`] until an organisation is added,
//! renamed or moved within its region (`crate::admin::units`; none is removed), so the
//! harm of a stale tree is a unit nobody reaches yet, or reached where it was a moment
//! ago within the same region; three things keep that short:
//! - the use case that adds one forgets the node's tree after its commit
//!   ([`crate::admin::add_org`]), so the answer to the person who added it and every
//!   request after it see the unit;
//! - other nodes on the same PostgreSQL database hear of it on the live channel: the
//!   insert itself sends [`store::orgs::CHANGED`] with its transaction (delivered at
//!   commit, dropped on rollback), and [`App::open`] forgets the tree when it arrives. The
//!   same mechanism tells the vote cache of campaign changes; a mark of its own costs
//!   nothing per request, where a version check would cost a query on every request;
//! - what no notification reaches is covered by [`TREE_TTL`]: one lost while a node's
//!   listener reconnects, and on SQLite an organisation added by another process
//!   (`sluss org add` beside a running server), which used to be seen at once.
//!
//! A tree read while a change was under way is not kept (a generation counter, as in the
//! vote cache), so a slow reader cannot put back a tree older than the change.
//!
//! Where an organisation missing from the tree would be refused (not reached, not found),
//! the kept tree is used; where it would pass for something it is not (activating a
//! process takes an unknown id for a region), or inside another use case's transaction
//! (opening a case from a campaign), the tree is read in the transaction instead.
//! `campaigns` still reads it in its own transactions (not changed here).

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::{App, AppError, Caller, CurrentUser};
use domain::id::OrgId;
use domain::org::{OrgNode, descendants, root_of};
use domain::role::Role;
use store::orgs::OrgRow;

/// The roles that may triage, by name (for queries of colleagues who may handle something).
/// The roles that work the inbox, as stored: derived from [`Role::can_triage`], so the two
/// cannot disagree.
pub(crate) static TRIAGE_ROLES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| {
        Role::ALL
            .iter()
            .filter(|r| r.can_triage())
            .map(|r| r.as_str())
            .collect()
    });

/// How long a node uses its tree when no change was heard of: a safety net for what is not
/// announced (see the module comment). Short, because reading the tree once in a few
/// seconds costs nothing beside reading it on every request, as before.
pub const TREE_TTL: Duration = Duration::from_secs(5);

/// The signed-in person, or `Unauthenticated`.
pub(crate) fn require_user(caller: &Caller) -> Result<&CurrentUser> {
    caller.user().ok_or(AppError::Unauthenticated)
}

/// Organisation ids the user reaches with a role that passes `allowed`.
pub(crate) fn reach(
    user: &CurrentUser,
    nodes: &[OrgNode],
    allowed: impl Fn(&Role) -> bool,
) -> Vec<OrgId> {
    let mut out: Vec<OrgId> = Vec::new();
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
pub(crate) fn ancestors(nodes: &[OrgNode], org_id: &OrgId) -> Vec<OrgId> {
    nodes
        .iter()
        .filter(|n| descendants(nodes, &n.id).iter().any(|d| d == org_id))
        .map(|n| n.id.clone())
        .collect()
}

/// The roles that reach `org_id`: held there or above it.
pub(crate) fn mandate_for(user: &CurrentUser, nodes: &[OrgNode], org_id: &OrgId) -> Vec<Role> {
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

/// Whether the caller may open a case somewhere (for the board's "new case" button: a
/// decision maker reads the board but opens no case).
pub fn may_open_cases(caller: &Caller) -> bool {
    caller
        .user()
        .is_some_and(|u| u.memberships.iter().any(|(_, r)| r.can_triage()))
}

/// Whether the user follows a case read-only because its steps wait for a role they hold
/// there: `roles` are the roles its template's steps (and its path) name
/// ([`domain::process::Template::roles_on_steps`]): procurement follows the cases whose
/// steps name the function that buys, and those on the innovation-procurement path.
pub(crate) fn follows_case(
    tree: &Tree,
    user: &CurrentUser,
    org_id: &OrgId,
    roles: &[Role],
) -> bool {
    !roles.is_empty()
        && tree
            .reach(user, |r| roles.contains(r))
            .iter()
            .any(|o| o == org_id)
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

/// The organisation tree: every organisation, as one node last read it.
#[derive(Debug)]
pub struct Tree {
    /// Every organisation, by name.
    pub all: Vec<OrgRow>,
    /// The same organisations as the tree's nodes, in the same order.
    pub nodes: Vec<OrgNode>,
    read_at: Instant,
}

impl Tree {
    pub fn new(all: Vec<OrgRow>) -> Self {
        let nodes = all.iter().map(OrgRow::node).collect();
        Self {
            all,
            nodes,
            read_at: Instant::now(),
        }
    }

    /// Reads the tree in the caller's transaction (not kept: for a use case that runs in
    /// another's transaction).
    pub(crate) async fn read(tx: &mut store::Tx) -> Result<Self> {
        Ok(Self::new(store::orgs::all(tx).await?))
    }

    /// Organisation ids the user reaches with a role that passes `allowed`.
    pub fn reach(&self, user: &CurrentUser, allowed: impl Fn(&Role) -> bool) -> Vec<OrgId> {
        reach(user, &self.nodes, allowed)
    }

    /// The roles the user holds for `org_id`: there or above it.
    pub fn mandate(&self, user: &CurrentUser, org_id: &OrgId) -> Vec<Role> {
        mandate_for(user, &self.nodes, org_id)
    }

    /// The ids of the region `org_id` belongs to: its root and every unit below it.
    pub fn region_of(&self, org_id: &OrgId) -> Vec<OrgId> {
        descendants(&self.nodes, &root_of(&self.nodes, org_id))
    }

    /// The regions whose processes the user manages (a role held on the region itself).
    pub(crate) fn managed_regions(&self, user: &CurrentUser) -> Vec<OrgRow> {
        self.all
            .iter()
            .filter(|org| {
                root_of(&self.nodes, &org.id) == org.id
                    && user
                        .memberships
                        .iter()
                        .any(|(o, r)| *o == org.id && may_manage_processes(r))
            })
            .cloned()
            .collect()
    }
}

/// A node's organisation tree, kept until an organisation is added (see the module
/// comment).
#[derive(Debug, Default)]
pub struct TreeCache {
    slot: RwLock<Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    /// Bumped by every change, so that a tree read before it is not kept.
    generation: u64,
    tree: Option<Arc<Tree>>,
}

impl TreeCache {
    /// The kept tree if it is fresh, and the generation to keep a newly read one under.
    /// (A poisoned lock still holds a whole slot: each write is one assignment.)
    fn current(&self) -> (u64, Option<Arc<Tree>>) {
        let slot = self.slot.read().unwrap_or_else(PoisonError::into_inner);
        let fresh = slot
            .tree
            .as_ref()
            .filter(|t| t.read_at.elapsed() < TREE_TTL)
            .cloned();
        (slot.generation, fresh)
    }

    /// Keeps a tree read while the generation was `generation`; one read across a change is
    /// not kept. An empty tree is not kept either: it costs nothing to read again, and a
    /// database filled from outside (`sluss move`) announces nothing.
    fn keep(&self, generation: u64, tree: &Arc<Tree>) {
        let mut slot = self.slot.write().unwrap_or_else(PoisonError::into_inner);
        if slot.generation == generation && !tree.all.is_empty() {
            slot.tree = Some(tree.clone());
        }
    }

    /// Forgets the tree: an organisation was added, here or on another node.
    pub fn forget(&self) {
        let mut slot = self.slot.write().unwrap_or_else(PoisonError::into_inner);
        slot.generation += 1;
        slot.tree = None;
    }
}

impl App {
    /// The organisation tree, kept between requests. Call it before opening the use case's
    /// transaction: reading it takes a connection of its own.
    pub async fn tree(&self) -> Result<Arc<Tree>> {
        let (generation, kept) = self.org_tree.current();
        if let Some(tree) = kept {
            return Ok(tree);
        }
        // The generation is read before the snapshot begins: a change committed before it
        // is in the snapshot, and one announced after it stops the tree from being kept.
        let mut tx = self.db.read().await?;
        let tree = Arc::new(Tree::read(&mut tx).await?);
        tx.commit().await?;
        self.org_tree.keep(generation, &tree);
        Ok(tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, parent: Option<&str>) -> OrgRow {
        OrgRow {
            id: id.into(),
            slug: id.into(),
            name: id.into(),
            parent_id: parent.map(OrgId::from),
            reference_format: String::new(),
            created_at: String::new(),
        }
    }

    #[test]
    fn a_tree_read_across_a_change_is_not_kept() {
        let cache = TreeCache::default();
        let tree = Arc::new(Tree::new(vec![org("r", None)]));
        let (generation, kept) = cache.current();
        assert!(kept.is_none());
        cache.forget();
        cache.keep(generation, &tree);
        assert!(cache.current().1.is_none());
        let (generation, _) = cache.current();
        cache.keep(generation, &tree);
        assert!(cache.current().1.is_some_and(|t| Arc::ptr_eq(&t, &tree)));
        cache.forget();
        assert!(cache.current().1.is_none());
    }

    #[test]
    fn a_role_reaches_its_organisation_and_every_unit_below_and_a_mandate_comes_from_above() {
        let tree = Tree::new(vec![
            org("r", None),
            org("u", Some("r")),
            org("s", Some("u")),
            org("other", None),
        ]);
        let user = CurrentUser {
            id: "p".into(),
            name: "P".into(),
            email: "p@x.se".into(),
            memberships: vec![("u".into(), Role::Advisor), ("r".into(), Role::Admin)],
        };
        assert_eq!(tree.reach(&user, Role::can_triage), ["u", "s", "r"]);
        assert_eq!(tree.reach(&user, |r| *r == Role::Advisor), ["u", "s"]);
        assert_eq!(
            tree.mandate(&user, &"s".into()),
            [Role::Advisor, Role::Admin]
        );
        assert_eq!(tree.mandate(&user, &"r".into()), [Role::Admin]);
        assert!(tree.mandate(&user, &"other".into()).is_empty());
        assert_eq!(tree.region_of(&"s".into()), ["r", "u", "s"]);
        assert_eq!(tree.managed_regions(&user), [org("r", None)]);
    }

    #[test]
    fn a_role_named_on_a_case_s_steps_follows_it_where_the_role_reaches() {
        let tree = Tree::new(vec![
            org("r", None),
            org("u", Some("r")),
            org("other", None),
        ]);
        let buyer = CurrentUser {
            id: "b".into(),
            name: "B".into(),
            email: "b@x.se".into(),
            memberships: vec![("r".into(), Role::Procurement)],
        };
        assert!(follows_case(
            &tree,
            &buyer,
            &"u".into(),
            &[Role::Procurement]
        ));
        assert!(!follows_case(
            &tree,
            &buyer,
            &"other".into(),
            &[Role::Procurement]
        ));
        assert!(!follows_case(&tree, &buyer, &"u".into(), &[Role::Advisor]));
        assert!(!follows_case(&tree, &buyer, &"u".into(), &[]));
    }
}
