//! People, their roles per organisation, and their API tokens.

use crate::db::{Tx, sql};
use domain::id::{OrgId, TokenId, UserId};
use domain::time::Timestamp;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    #[sqlx(try_from = "String")]
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub active: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct MembershipRow {
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    #[sqlx(try_from = "String")]
    pub role: domain::role::Role,
}

pub async fn insert(
    tx: &mut Tx,
    email: &str,
    name: &str,
    password_hash: &str,
) -> crate::Result<UserRow> {
    let row = UserRow {
        id: UserId::from(crate::new_id()),
        email: email.to_lowercase(),
        name: name.to_string(),
        password_hash: password_hash.to_string(),
        active: true,
        created_at: Timestamp::now().to_db(),
    };
    tx.execute(
        sql("INSERT INTO users (id, email, name, password_hash, active, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(row.id.as_str())
            .bind(&row.email)
            .bind(&row.name)
            .bind(&row.password_hash)
            .bind(row.active)
            .bind(&row.created_at),
    )
    .await?;
    Ok(row)
}

pub async fn by_email(tx: &mut Tx, email: &str) -> crate::Result<Option<UserRow>> {
    tx.fetch_optional(
        sql("SELECT id, email, name, password_hash, active, created_at FROM users WHERE email = ?")
            .bind(email.trim().to_lowercase()),
    )
    .await
}

pub async fn by_id(tx: &mut Tx, id: &UserId) -> crate::Result<Option<UserRow>> {
    tx.fetch_optional(
        sql("SELECT id, email, name, password_hash, active, created_at FROM users WHERE id = ?")
            .bind(id.as_str()),
    )
    .await
}

pub async fn add_membership(
    tx: &mut Tx,
    user_id: &UserId,
    org_id: &OrgId,
    role: &str,
) -> crate::Result<bool> {
    let existing: Option<(String,)> = tx
        .fetch_optional(
            sql("SELECT role FROM memberships WHERE user_id = ? AND org_id = ? AND role = ?")
                .bind(user_id.as_str())
                .bind(org_id)
                .bind(role),
        )
        .await?;
    if existing.is_some() {
        return Ok(false);
    }
    tx.execute(
        sql("INSERT INTO memberships (user_id, org_id, role, created_at) VALUES (?, ?, ?, ?)")
            .bind(user_id.as_str())
            .bind(org_id)
            .bind(role)
            .bind(Timestamp::now().to_db()),
    )
    .await?;
    Ok(true)
}

pub async fn memberships(tx: &mut Tx, user_id: &UserId) -> crate::Result<Vec<MembershipRow>> {
    tx.fetch_all(
        sql("SELECT org_id, role FROM memberships WHERE user_id = ? ORDER BY org_id, role")
            .bind(user_id.as_str()),
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Colleague {
    #[sqlx(try_from = "String")]
    pub id: UserId,
    pub name: String,
}

/// Active users holding one of `roles` in one of `org_ids`.
pub async fn with_roles_in(
    tx: &mut Tx,
    org_ids: &[OrgId],
    roles: &[&str],
) -> crate::Result<Vec<Colleague>> {
    if org_ids.is_empty() || roles.is_empty() {
        return Ok(Vec::new());
    }
    let mut args: Vec<crate::Arg> = org_ids.iter().map(|o| o.as_str().into()).collect();
    args.extend(roles.iter().map(|r| (*r).into()));
    let text = format!(
        "SELECT DISTINCT u.id, u.name FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.active = ? AND m.org_id IN ({}) AND m.role IN ({}) ORDER BY u.name",
        placeholders(org_ids.len()),
        placeholders(roles.len())
    );
    args.insert(0, true.into());
    tx.fetch_all(crate::Sql::dynamic(text, args)).await
}

pub fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

pub async fn insert_token(
    tx: &mut Tx,
    user_id: &UserId,
    name: Option<&str>,
    token_hash: &str,
    expires_at: &str,
) -> crate::Result<TokenId> {
    let id = TokenId::from(crate::new_id());
    tx.execute(
        sql("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(id.as_str())
            .bind(user_id.as_str())
            .bind(name)
            .bind(token_hash)
            .bind(Timestamp::now().to_db())
            .bind(expires_at),
    )
    .await?;
    Ok(id)
}

/// A live token's user, with when the token was last marked as used.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenUser {
    #[sqlx(flatten)]
    pub user: UserRow,
    #[sqlx(try_from = "String")]
    pub token_id: TokenId,
    pub last_used_at: Option<String>,
}

/// The user of a token that is neither revoked nor expired at `now`.
pub async fn user_by_token(
    tx: &mut Tx,
    token_hash: &str,
    now: &str,
) -> crate::Result<Option<TokenUser>> {
    tx.fetch_optional(
        sql("SELECT u.id, u.email, u.name, u.password_hash, u.active, u.created_at, t.id AS token_id, t.last_used_at FROM users u JOIN api_tokens t ON t.user_id = u.id WHERE t.token_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)")
            .bind(token_hash)
            .bind(now),
    )
    .await
}

/// Marks a token as used at `now`.
pub async fn mark_token_used(tx: &mut Tx, token_id: &TokenId, now: &str) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
            .bind(now)
            .bind(token_id),
    )
    .await?;
    Ok(())
}

/// An API token as its owner's administrators see it: never its hash.
#[derive(Debug, Clone, sqlx::FromRow, PartialEq, Eq)]
pub struct TokenRow {
    #[sqlx(try_from = "String")]
    pub id: TokenId,
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// What its administrator named it (tokens made on the command line have none).
    pub name: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

const TOKEN_COLUMNS: &str = "id, user_id, name, created_at, expires_at, revoked_at, last_used_at";

/// A user's tokens, oldest first.
pub async fn tokens_of(tx: &mut Tx, user_id: &UserId) -> crate::Result<Vec<TokenRow>> {
    tx.fetch_all(crate::Sql::dynamic(
        format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY created_at, id"),
        vec![user_id.as_str().into()],
    ))
    .await
}

/// The tokens whose id begins with `prefix` (letters, digits and hyphens only, at most an
/// id's 36 characters: SQLite refuses a longer LIKE pattern than it can match).
pub async fn tokens_by_id_prefix(tx: &mut Tx, prefix: &str) -> crate::Result<Vec<TokenRow>> {
    if prefix.is_empty()
        || prefix.len() > 36
        || !prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Ok(Vec::new());
    }
    tx.fetch_all(crate::Sql::dynamic(
        format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id LIKE ? ORDER BY id LIMIT 2"),
        vec![format!("{}%", prefix.to_lowercase()).as_str().into()],
    ))
    .await
}

/// Revokes one token; false when it was revoked already.
pub async fn revoke_token(tx: &mut Tx, id: &TokenId, now: &str) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(now)
                .bind(id),
        )
        .await?;
    Ok(n > 0)
}

/// Revokes every token of a user not yet revoked; returns how many.
pub async fn revoke_tokens_of(tx: &mut Tx, user_id: &UserId, now: &str) -> crate::Result<u64> {
    tx.execute(
        sql("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id.as_str()),
    )
    .await
}

/// Turns an account off; false when it was off already.
pub async fn deactivate(tx: &mut Tx, user_id: &UserId) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("UPDATE users SET active = ? WHERE id = ? AND active = ?")
                .bind(false)
                .bind(user_id.as_str())
                .bind(true),
        )
        .await?;
    Ok(n > 0)
}

/// Sets a user's password hash (argon2id, made by the caller).
pub async fn set_password(tx: &mut Tx, user_id: &UserId, password_hash: &str) -> crate::Result<()> {
    tx.execute(
        sql("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user_id.as_str()),
    )
    .await?;
    Ok(())
}

/// Turns an account back on; false when it was on already.
pub async fn reactivate(tx: &mut Tx, user_id: &UserId) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("UPDATE users SET active = ? WHERE id = ? AND active = ?")
                .bind(true)
                .bind(user_id.as_str())
                .bind(false),
        )
        .await?;
    Ok(n > 0)
}

/// Takes one role in one organisation from a user; false when they did not hold it.
pub async fn remove_membership(
    tx: &mut Tx,
    user_id: &UserId,
    org_id: &OrgId,
    role: &str,
) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("DELETE FROM memberships WHERE user_id = ? AND org_id = ? AND role = ?")
                .bind(user_id.as_str())
                .bind(org_id)
                .bind(role),
        )
        .await?;
    Ok(n > 0)
}

/// The password hash of an account made by an invitation, until its person sets one: no
/// password matches it, and no reset link is sent for it.
pub const NO_PASSWORD: &str = "!invited";

/// A LIKE pattern matching `text` anywhere, its wildcards escaped (with `ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The condition that a user (`u`) holds roles only in `n` organisations given, at least one.
fn only_in(n: usize) -> String {
    let list = placeholders(n);
    format!(
        "EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.org_id IN ({list})) \
         AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.org_id NOT IN ({list}))"
    )
}

fn org_args(org_ids: &[OrgId]) -> Vec<crate::Arg> {
    let mut args: Vec<crate::Arg> = org_ids.iter().map(|o| o.as_str().into()).collect();
    args.extend(org_ids.iter().map(|o| crate::Arg::from(o.as_str())));
    args
}

/// The users all of whose roles are held in `org_ids` (a region's organisations), by name,
/// after the key `after` (name, id); `search` a part of the name or the e-mail address.
pub async fn in_orgs(
    tx: &mut Tx,
    org_ids: &[OrgId],
    search: &str,
    after: Option<(&str, &str)>,
    limit: i64,
) -> crate::Result<Vec<UserRow>> {
    if org_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = org_args(org_ids);
    let mut text = format!(
        "SELECT u.id, u.email, u.name, u.password_hash, u.active, u.created_at FROM users u WHERE {}",
        only_in(org_ids.len())
    );
    let search = search.trim().to_lowercase();
    if !search.is_empty() {
        text.push_str(" AND (LOWER(u.name) LIKE ? ESCAPE '\\' OR u.email LIKE ? ESCAPE '\\')");
        let p = contains_pattern(&search);
        args.extend([p.as_str().into(), p.as_str().into()]);
    }
    if let Some((name, id)) = after {
        text.push_str(" AND (u.name > ? OR (u.name = ? AND u.id > ?))");
        args.extend([name.into(), name.into(), id.into()]);
    }
    text.push_str(" ORDER BY u.name, u.id LIMIT ?");
    args.push(limit.into());
    tx.fetch_all(crate::Sql::dynamic(text, args)).await
}

/// One membership of one of several users.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserMembership {
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    #[sqlx(try_from = "String")]
    pub role: domain::role::Role,
}

/// The memberships of the users given.
pub async fn memberships_of(
    tx: &mut Tx,
    user_ids: &[UserId],
) -> crate::Result<Vec<UserMembership>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let args = user_ids.iter().map(|u| u.as_str().into()).collect();
    tx.fetch_all(crate::Sql::dynamic(
        format!(
            "SELECT user_id, org_id, role FROM memberships WHERE user_id IN ({}) ORDER BY user_id, org_id, role",
            placeholders(user_ids.len())
        ),
        args,
    ))
    .await
}

/// An API token with its owner's name, as a region's administrators list them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnedToken {
    #[sqlx(flatten)]
    pub token: TokenRow,
    pub user_name: String,
}

/// The tokens of the users all of whose roles are held in `org_ids`, newest first, before
/// the key `before` (creation time, id).
pub async fn tokens_in_orgs(
    tx: &mut Tx,
    org_ids: &[OrgId],
    before: Option<(&str, &str)>,
    limit: i64,
) -> crate::Result<Vec<OwnedToken>> {
    if org_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = org_args(org_ids);
    let mut text = format!(
        "SELECT t.id, t.user_id, t.name, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, u.name AS user_name \
         FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE {}",
        only_in(org_ids.len())
    );
    if let Some((at, id)) = before {
        text.push_str(" AND (t.created_at < ? OR (t.created_at = ? AND t.id < ?))");
        args.extend([at.into(), at.into(), id.into()]);
    }
    text.push_str(" ORDER BY t.created_at DESC, t.id DESC LIMIT ?");
    args.push(limit.into());
    tx.fetch_all(crate::Sql::dynamic(text, args)).await
}

/// The language a person gets mail in.
pub async fn lang_of(tx: &mut Tx, id: &UserId) -> crate::Result<String> {
    let row: Option<(String,)> = tx
        .fetch_optional(sql("SELECT lang FROM users WHERE id = ?").bind(id))
        .await?;
    Ok(row.map_or_else(|| "sv".to_string(), |(l,)| l))
}

/// Sets the language a person gets mail in; false when it was that already.
pub async fn set_lang(tx: &mut Tx, id: &UserId, lang: &str) -> crate::Result<bool> {
    let n = tx
        .execute(
            sql("UPDATE users SET lang = ? WHERE id = ? AND lang <> ?")
                .bind(lang)
                .bind(id)
                .bind(lang),
        )
        .await?;
    Ok(n > 0)
}
