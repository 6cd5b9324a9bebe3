//! The schema, defined once for both databases, and the runner that applies it. Column
//! types are the shared subset: TEXT, BIGINT, BOOLEAN. Ids are UUID text and times are
//! fixed-width UTC text (see `domain::time`).

use crate::StoreError;
use crate::db::{Backend, Db, sql};

/// Applied in order; a migration, once released, is never edited.
pub const MIGRATIONS: &[(i64, &str, Script)] = &[
    (1, "foundation", Script::Both(FOUNDATION)),
    (2, "process_templates", Script::Both(PROCESS_TEMPLATES)),
    (3, "cases", Script::Both(CASES)),
    (4, "campaigns", Script::Both(CAMPAIGNS)),
    (5, "time_order_indexes", Script::Both(TIME_ORDER_INDEXES)),
    (6, "inbox_filter_index", Script::Both(INBOX_FILTER_INDEX)),
    (
        7,
        "inbox_search",
        Script::Each {
            sqlite: INBOX_SEARCH_SQLITE,
            postgres: INBOX_SEARCH_POSTGRES,
        },
    ),
    (8, "votes_on_offers", Script::Both(VOTES_ON_OFFERS)),
    (
        9,
        "open_offers_by_participant",
        Script::Both(OPEN_OFFERS_BY_PARTICIPANT),
    ),
    (
        10,
        "offers_checked_as_written",
        Script::Each {
            sqlite: "",
            postgres: OFFERS_CHECKED_AS_WRITTEN_POSTGRES,
        },
    ),
    (
        11,
        "templates_of_a_region",
        Script::Each {
            sqlite: TEMPLATES_OF_A_REGION_SQLITE,
            postgres: TEMPLATES_OF_A_REGION_POSTGRES,
        },
    ),
    (
        12,
        "token_lifecycle",
        Script::Each {
            sqlite: TOKEN_LIFECYCLE_SQLITE,
            postgres: TOKEN_LIFECYCLE_POSTGRES,
        },
    ),
    (13, "my_work", Script::Both(MY_WORK)),
    (14, "jobs_and_outbox", Script::Both(JOBS_AND_OUTBOX)),
    (15, "password_resets", Script::Both(PASSWORD_RESETS)),
    (16, "administration", Script::Both(ADMINISTRATION)),
    (17, "notifications", Script::Both(NOTIFICATIONS)),
    (18, "attachments", Script::Both(ATTACHMENTS)),
    (19, "retention_rules", Script::Both(RETENTION_RULES)),
    (20, "oidc", Script::Both(OIDC)),
    (21, "user_language", Script::Both(USER_LANGUAGE)),
    (22, "status_times", Script::Both(STATUS_TIMES)),
];

/// When a submission's or case's status, or a campaign's phase, last changed: what the
/// retention rules count their months from ("months after the decision"), so that a later
/// edit or comment does not postpone a removal as `updated_at` would. NULL until the first
/// change; rows from before are given their last change, the best that is known.
const STATUS_TIMES: &str = r#"
ALTER TABLE submissions ADD COLUMN status_at TEXT;
UPDATE submissions SET status_at = updated_at;
ALTER TABLE cases ADD COLUMN status_at TEXT;
UPDATE cases SET status_at = updated_at;
ALTER TABLE campaigns ADD COLUMN phase_at TEXT;
UPDATE campaigns SET phase_at = updated_at
"#;

/// The language a person with an account gets mail in (notifications to staff), chosen on
/// their account page; Swedish until they choose.
const USER_LANGUAGE: &str = r#"
ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'sv'
"#;

/// Retention (gallring): a region's rule per kind of record (`months` NULL: keep, as the
/// archive rules may say; no row: the kind's default), and when a workshop participant's
/// token and account were removed (the pseudonym's number, votes and ideas stay). Closed
/// workshops are found by phase and the time of their last change.
const RETENTION_RULES: &str = r#"
CREATE TABLE retention_rules (
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    months BIGINT,
    updated_by TEXT REFERENCES users (id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, kind)
);
ALTER TABLE participants ADD COLUMN erased_at TEXT;
CREATE INDEX campaigns_phase ON campaigns (phase, updated_at)
"#;

/// A migration's text. Tables and columns are defined once for both databases; only an
/// index that the shared subset of SQL cannot express (text search) has one text each.
#[derive(Debug, Clone, Copy)]
pub enum Script {
    Both(&'static str),
    Each {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

impl Script {
    pub fn text(&self, backend: Backend) -> &'static str {
        match (self, backend) {
            (Script::Both(s), _) => s,
            (Script::Each { sqlite, .. }, Backend::Sqlite) => sqlite,
            (Script::Each { postgres, .. }, Backend::Postgres) => postgres,
        }
    }
}

/// A vote is the answer to the offer it was cast on, so it is kept on the offer's row: a
/// vote is then one update of a row already written (with the quota's update and the next
/// pair's offer beside it), not a row of its own with foreign keys that repeat its offer's.
/// `answered` stays: an offer whose idea was withdrawn lapses, answered without a vote.
/// The winner and the loser follow from the choice and the pair as shown. Open offers and
/// cast votes each have a partial index, so an offer enters each only while it is in it.
const VOTES_ON_OFFERS: &str = r#"
ALTER TABLE pair_offers ADD COLUMN choice TEXT;
ALTER TABLE pair_offers ADD COLUMN skip_reason TEXT;
ALTER TABLE pair_offers ADD COLUMN response_ms BIGINT;
ALTER TABLE pair_offers ADD COLUMN voted_at TEXT;
UPDATE pair_offers SET choice = v.choice, skip_reason = v.skip_reason, response_ms = v.response_ms, voted_at = v.created_at FROM votes v WHERE v.offer_id = pair_offers.id;
DROP INDEX pair_offers_open;
CREATE INDEX pair_offers_open ON pair_offers (participant_id) WHERE answered = FALSE;
CREATE INDEX pair_offers_votes ON pair_offers (campaign_id, voted_at) WHERE voted_at IS NOT NULL;
DROP TABLE votes
"#;

/// The open offers' index is for finding a participant's open offer, and for nothing else:
/// its condition names `voted_at` as well as `answered` (an open offer has neither), and
/// only a statement that asks for both can use it. The vote batch looks its offers up by
/// key and asks only whether each is still open; PostgreSQL, seeing few open offers in the
/// whole table, planned it at times as a scan of every open offer for each vote of the
/// batch, which grows with every participant who leaves with a pair unanswered.
const OPEN_OFFERS_BY_PARTICIPANT: &str = r#"
DROP INDEX pair_offers_open;
CREATE INDEX pair_offers_open ON pair_offers (participant_id) WHERE answered = FALSE AND voted_at IS NULL
"#;

/// PostgreSQL checks each foreign key of an inserted row with a query of its own that
/// locks the row pointed to (`FOR KEY SHARE`), and every offer had four: its campaign, its
/// participant and its two ideas, checked again for every next pair of every vote, on
/// rows that every batch of every node locked. Quick runs of the vote loop against the
/// insert limit, binaries alternating: with the four keys 0.91–1.10 (median 0.97), with
/// none 1.06–1.24, with the checks below in their place 0.97–1.09 (median 1.05); one key
/// (participant, campaign) in place of two gained nothing measurable, a query of its own
/// like the others. So on PostgreSQL the offers' keys go, and the two statements that
/// write offers check as they write, without locking: an offer is written only with its
/// participant and both its ideas in its campaign ([`crate::campaigns::insert_offers`]),
/// and a vote's next pair only for the participant and campaign of the offer it answered
/// (written under the same check) with both ideas in that campaign. Campaigns,
/// participants and ideas are never deleted: a withdrawn idea stays, with its status.
///
/// SQLite keeps its keys as well: its one writer at a time checks them by an index
/// lookup, with no row to lock.
const OFFERS_CHECKED_AS_WRITTEN_POSTGRES: &str = r#"
ALTER TABLE pair_offers DROP CONSTRAINT pair_offers_campaign_id_fkey, DROP CONSTRAINT pair_offers_participant_id_fkey, DROP CONSTRAINT pair_offers_left_idea_id_fkey, DROP CONSTRAINT pair_offers_right_idea_id_fkey
"#;

/// An uploaded template belongs to the region it was uploaded for (`org_id`); a built-in
/// one belongs to none. Versions are counted per region: region B may store its own
/// version 2 of a key whose version 2 region A stored, so the uniqueness of key and version
/// becomes the uniqueness of region, key and version. An upload stored before this belongs
/// to the region it is active in, else to a region its uploader manages processes in.
///
/// SQLite cannot drop a table's UNIQUE constraint, so the table is rebuilt. Foreign keys
/// cannot be turned off inside the migration's transaction, and renaming a parent table
/// with them on renames it in its children's keys too, so the rows are kept aside, the old
/// table dropped and the new one renamed into its place before they come back. The checks
/// are deferred to the commit meanwhile: dropping the old table counts `cases` and
/// `active_templates` rows without their template, and putting the rows back counts them
/// as found again.
const TEMPLATES_OF_A_REGION_SQLITE: &str = r#"
PRAGMA defer_foreign_keys = ON;
CREATE TABLE process_templates_kept AS SELECT id, template_key, version, name, source, built_in, created_by, created_at FROM process_templates;
CREATE TABLE process_templates_new (
    id TEXT PRIMARY KEY,
    template_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    built_in BOOLEAN NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    org_id TEXT REFERENCES organisations (id)
);
DROP TABLE process_templates;
ALTER TABLE process_templates_new RENAME TO process_templates;
INSERT INTO process_templates (id, template_key, version, name, source, built_in, created_by, created_at)
SELECT id, template_key, version, name, source, built_in, created_by, created_at FROM process_templates_kept;
DROP TABLE process_templates_kept;
UPDATE process_templates SET org_id = (SELECT MIN(a.org_id) FROM active_templates a WHERE a.template_id = process_templates.id) WHERE built_in = FALSE;
UPDATE process_templates SET org_id = (SELECT MIN(m.org_id) FROM memberships m WHERE m.user_id = process_templates.created_by AND m.role IN ('process_owner', 'admin')) WHERE built_in = FALSE AND org_id IS NULL;
CREATE UNIQUE INDEX process_templates_version ON process_templates (COALESCE(org_id, ''), template_key, version)
"#;

const TEMPLATES_OF_A_REGION_POSTGRES: &str = r#"
ALTER TABLE process_templates ADD COLUMN org_id TEXT REFERENCES organisations (id);
ALTER TABLE process_templates DROP CONSTRAINT process_templates_template_key_version_key;
UPDATE process_templates SET org_id = (SELECT MIN(a.org_id) FROM active_templates a WHERE a.template_id = process_templates.id) WHERE built_in = FALSE;
UPDATE process_templates SET org_id = (SELECT MIN(m.org_id) FROM memberships m WHERE m.user_id = process_templates.created_by AND m.role IN ('process_owner', 'admin')) WHERE built_in = FALSE AND org_id IS NULL;
CREATE UNIQUE INDEX process_templates_version ON process_templates (COALESCE(org_id, ''), template_key, version)
"#;

/// What the start page ("Mitt arbete") reads by person: the workshops someone runs, newest
/// first, and the active cases by their process (the gates and steps that wait).
const MY_WORK: &str = r#"
CREATE INDEX campaigns_created_by ON campaigns (created_by, created_at);
CREATE INDEX cases_status_created ON cases (status, created_at)
"#;

/// Background work and the mail it sends. A job is written in the transaction of the event
/// that causes it; `run_at` is when it is next due: for a pending job its (backed-off) time,
/// for a running one the end of its claim's lease, so that a job whose node died while
/// running it falls due again by itself. `claim` is the token of the claim that runs it, so
/// a node whose lease ran out cannot mark done a job another node has taken since.
///
/// A password reset asked for by e-mail: only the hash of its token is kept (as for
/// sessions), it lasts minutes, and `used_at` makes it single-use.
const PASSWORD_RESETS: &str = r#"
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id)
"#;

/// The administration pages (issue 20 item 5). An API token gets a name its administrator
/// gave it. An invitation is a single-use token for an account created without a password,
/// stored hashed like a reset, lasting days rather than minutes. The audit view reads the
/// events of a region's organisations newest first, filtered by actor or kind, and the users
/// page lists a region's people by name: each has an index in that order, so that a page
/// reads its rows and no more.
const ADMINISTRATION: &str = r#"
ALTER TABLE api_tokens ADD COLUMN name TEXT;
CREATE TABLE invites (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX invites_by_user ON invites (user_id);
CREATE INDEX users_by_name ON users (name, id);
CREATE INDEX events_by_org ON events (org_id, occurred_at, id);
CREATE INDEX events_by_actor ON events (actor_id, occurred_at, id);
CREATE INDEX events_by_kind ON events (kind, occurred_at, id)
"#;

/// Notifications (issue 20, item 3). Keyed by address, not by account, because
/// submitters and workshop participants have none: `notify_prefs` holds a person's choice
/// per kind where it differs from the default (at once); `notify_links` the hashes of the
/// links in sent mails that open those choices without signing in (each for the kind of
/// its mail, for the one-click unsubscribe); `notify_digest` what waits for the daily
/// digest. All three are personal data, erased with the address. `participants.email` is
/// the address a workshop participant may leave for the results.
const NOTIFICATIONS: &str = r#"
CREATE TABLE notify_prefs (
    address TEXT NOT NULL,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (address, kind)
);
CREATE TABLE notify_links (
    token_hash TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    kind TEXT NOT NULL,
    lang TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notify_links_by_address ON notify_links (address);
CREATE TABLE notify_digest (
    id TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notify_digest_by_address ON notify_digest (address, created_at);
ALTER TABLE participants ADD COLUMN email TEXT
"#;

/// Attachments: a file on a submission, a case or a challenge (a campaign). The file
/// itself is on disk under its id; the row says whose it is, its cleaned name, the type
/// read from its content, its size and SHA-256, and whether it may be shown publicly.
const ATTACHMENTS: &str = r#"
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT
);
CREATE INDEX attachments_by_owner ON attachments (owner_kind, owner_id, created_at)
"#;

/// Sign-in through OpenID Connect. `user_identities` links an account to a person at an
/// identity provider (issuer and subject, which never change, unlike an e-mail address).
/// `oidc_logins` holds a sign-in under way between the redirect to the provider and its
/// return: the hash of its `state`, the nonce and PKCE verifier, where to go after; it is
/// taken (deleted) once, and lasts minutes. Kept here rather than in a signed cookie so that
/// it is single-use on every node and needs no key shared between nodes.
const OIDC: &str = r#"
CREATE TABLE user_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_by_user ON user_identities (user_id);
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX oidc_logins_expiry ON oidc_logins (expires_at)
"#;

/// A mail is a row of `outbox`, written beside its event and its `mail.send` job. The
/// recipient's address is personal data: it lives here and on the submission, never in an
/// event, and is erased with them. `params` holds what its templates need (reference,
/// links, a reason), rendered in `lang` when sent or read. `submissions.contact_lang` is
/// the language the submitter wrote in, which later mails about it use.
const JOBS_AND_OUTBOX: &str = r#"
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    subject_id TEXT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    run_at TEXT NOT NULL,
    claim TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_by_state ON jobs (state, updated_at);
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    lang TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    params TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_by_org ON outbox (org_id, created_at);
CREATE INDEX outbox_by_recipient ON outbox (recipient);
CREATE INDEX outbox_by_subject ON outbox (subject_id);
ALTER TABLE submissions ADD COLUMN contact_lang TEXT
"#;

/// An API token ends: when it expires (`expires_at`, set for every token created from
/// now on) or when it is revoked (`revoked_at`, by its user's region administrator, on the
/// command line, or when its user is deactivated). A token made before this expires a year
/// after the upgrade, the default lifetime of a new one, so that no token lives for ever.
/// That date is the only text of its own per database: the shared subset has no date
/// arithmetic. Both write the stored form of every time (`domain::time`).
const TOKEN_LIFECYCLE_SQLITE: &str = r#"
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%S.000000Z', 'now', '+365 days');
CREATE INDEX api_tokens_user ON api_tokens (user_id)
"#;

const TOKEN_LIFECYCLE_POSTGRES: &str = r#"
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN revoked_at TEXT;
UPDATE api_tokens SET expires_at = to_char((CURRENT_TIMESTAMP AT TIME ZONE 'UTC') + INTERVAL '365 days', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
CREATE INDEX api_tokens_user ON api_tokens (user_id)
"#;

/// The inbox counts its matches for paging under any combination of filters: with every
/// filtered column in one index, a count reads that index and never the wide rows.
/// It replaces `submissions_org_status`, whose columns it starts with.
const INBOX_FILTER_INDEX: &str = r#"
CREATE INDEX submissions_filters ON submissions (org_id, status, created_at, kind, submitter_role, assignee_id);
DROP INDEX submissions_org_status
"#;

/// The inbox's text search (a part of a title or reference, any case) through a trigram
/// index instead of reading every row. SQLite: an FTS5 table with the trigram tokenizer,
/// kept by triggers, holding the submission's id (not its rowid, which VACUUM may renumber).
/// Submissions are never deleted and their titles never change; the triggers for both
/// keep the index right all the same.
const INBOX_SEARCH_SQLITE: &str = r#"
CREATE VIRTUAL TABLE submissions_search USING fts5(submission_id UNINDEXED, title, reference, tokenize = 'trigram');
INSERT INTO submissions_search (submission_id, title, reference) SELECT id, title, reference FROM submissions;
CREATE TRIGGER submissions_search_insert AFTER INSERT ON submissions BEGIN INSERT INTO submissions_search (submission_id, title, reference) VALUES (new.id, new.title, new.reference); END;
CREATE TRIGGER submissions_search_delete AFTER DELETE ON submissions BEGIN DELETE FROM submissions_search WHERE submission_id = old.id; END;
CREATE TRIGGER submissions_search_update AFTER UPDATE OF title, reference ON submissions BEGIN DELETE FROM submissions_search WHERE submission_id = old.id; INSERT INTO submissions_search (submission_id, title, reference) VALUES (new.id, new.title, new.reference); END
"#;

/// PostgreSQL: `pg_trgm` (shipped with PostgreSQL, trusted since version 13, so the
/// database's owner may create it) indexes the lower-cased title and reference, which the
/// inbox's `LOWER(..) LIKE` search then reads.
const INBOX_SEARCH_POSTGRES: &str = r#"
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX submissions_title_trgm ON submissions USING gin (LOWER(title) gin_trgm_ops);
CREATE INDEX submissions_reference_trgm ON submissions USING gin (LOWER(reference) gin_trgm_ops)
"#;

/// The public register lists submissions and cases newest first: with these, each half is
/// read in order and only as far as the page reaches, not sorted whole.
const TIME_ORDER_INDEXES: &str = r#"
CREATE INDEX submissions_created ON submissions (created_at, reference);
CREATE INDEX cases_created ON cases (created_at, reference)
"#;

/// Campaigns of pairwise voting: workshops run by a facilitator and open questions. A
/// participant may be anonymous (a pseudonym and a token in a cookie). Every pair shown to
/// a participant is an offer, shown once; a vote answers exactly one offer. `votes_cast`
/// is raised by a conditional update, so the quota holds under concurrent votes.
const CAMPAIGNS: &str = r#"
CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    code TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL,
    title TEXT NOT NULL,
    question TEXT NOT NULL,
    phase TEXT NOT NULL,
    vote_quota BIGINT NOT NULL,
    require_approval BOOLEAN NOT NULL,
    top_n BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE campaign_criteria (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    name TEXT NOT NULL,
    weight BIGINT NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX campaign_criteria_campaign ON campaign_criteria (campaign_id, position);
CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    number BIGINT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT REFERENCES users (id),
    votes_cast BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (campaign_id, number)
);
CREATE TABLE ideas (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    participant_id TEXT REFERENCES participants (id),
    status TEXT NOT NULL,
    flags BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (campaign_id, seq)
);
CREATE TABLE pair_offers (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    participant_id TEXT NOT NULL REFERENCES participants (id),
    left_idea_id TEXT NOT NULL REFERENCES ideas (id),
    right_idea_id TEXT NOT NULL REFERENCES ideas (id),
    pair_key TEXT NOT NULL,
    answered BOOLEAN NOT NULL,
    offered_at TEXT NOT NULL,
    UNIQUE (participant_id, pair_key)
);
CREATE INDEX pair_offers_open ON pair_offers (participant_id, answered);
CREATE TABLE votes (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    participant_id TEXT NOT NULL REFERENCES participants (id),
    offer_id TEXT NOT NULL UNIQUE REFERENCES pair_offers (id),
    choice TEXT NOT NULL,
    winner_idea_id TEXT REFERENCES ideas (id),
    loser_idea_id TEXT REFERENCES ideas (id),
    skip_reason TEXT,
    response_ms BIGINT,
    created_at TEXT NOT NULL
);
CREATE INDEX votes_campaign ON votes (campaign_id, created_at);
CREATE TABLE idea_flags (
    idea_id TEXT NOT NULL REFERENCES ideas (id),
    participant_id TEXT NOT NULL REFERENCES participants (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (idea_id, participant_id)
);
CREATE TABLE research_questions (
    id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    body TEXT NOT NULL,
    position BIGINT NOT NULL
);
CREATE TABLE research_answers (
    question_id TEXT NOT NULL REFERENCES research_questions (id),
    participant_id TEXT NOT NULL REFERENCES participants (id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (question_id, participant_id)
);
CREATE TABLE criterion_scores (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    participant_id TEXT NOT NULL REFERENCES participants (id),
    idea_id TEXT NOT NULL REFERENCES ideas (id),
    criterion_id TEXT NOT NULL REFERENCES campaign_criteria (id),
    score BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (participant_id, idea_id, criterion_id)
);
CREATE INDEX criterion_scores_campaign ON criterion_scores (campaign_id);
CREATE TABLE campaign_outcomes (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    idea_id TEXT NOT NULL REFERENCES ideas (id),
    submission_id TEXT REFERENCES submissions (id),
    case_id TEXT REFERENCES cases (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (campaign_id, idea_id)
)
"#;

/// Cases (ärenden). The row is a projection for lists and the register; the case's own
/// history is its events (subject_type 'case'), which replay to its state. `version` grows
/// with every change, so two people acting at once cannot both act on the same state.
const CASES: &str = r#"
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    registered_org_id TEXT NOT NULL REFERENCES organisations (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    template_id TEXT NOT NULL REFERENCES process_templates (id),
    title TEXT NOT NULL,
    public_title TEXT NOT NULL,
    description TEXT NOT NULL,
    handler_id TEXT REFERENCES users (id),
    phase_key TEXT NOT NULL,
    phase_started_at TEXT NOT NULL,
    status TEXT NOT NULL,
    vagval TEXT,
    next_due_at TEXT,
    confidential BOOLEAN NOT NULL,
    legal_ground TEXT,
    version BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (registered_org_id, reference)
);
CREATE INDEX cases_org_status ON cases (org_id, status, phase_key);
CREATE INDEX cases_reference ON cases (reference);
CREATE INDEX cases_handler ON cases (handler_id);
CREATE TABLE case_submissions (
    case_id TEXT NOT NULL REFERENCES cases (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (case_id, submission_id)
);
CREATE INDEX case_submissions_submission ON case_submissions (submission_id);
CREATE TABLE case_members (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    user_id TEXT REFERENCES users (id),
    name TEXT NOT NULL,
    function_key TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX case_members_case ON case_members (case_id);
CREATE INDEX case_members_user ON case_members (user_id)
"#;

/// Process templates, stored with their version and source text, and which version of each
/// a region has active. A case will keep the id of the version it began with.
const PROCESS_TEMPLATES: &str = r#"
CREATE TABLE process_templates (
    id TEXT PRIMARY KEY,
    template_key TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    built_in BOOLEAN NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (template_key, version)
);
CREATE TABLE active_templates (
    org_id TEXT NOT NULL REFERENCES organisations (id),
    template_key TEXT NOT NULL,
    template_id TEXT NOT NULL REFERENCES process_templates (id),
    activated_by TEXT REFERENCES users (id),
    activated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, template_key)
)
"#;

const FOUNDATION: &str = r#"
CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES organisations (id),
    reference_format TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE memberships (
    user_id TEXT NOT NULL REFERENCES users (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, org_id, role)
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE TABLE reference_counters (
    org_id TEXT NOT NULL REFERENCES organisations (id),
    year BIGINT NOT NULL,
    last_value BIGINT NOT NULL,
    PRIMARY KEY (org_id, year)
);
CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    registered_org_id TEXT NOT NULL REFERENCES organisations (id),
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    affected TEXT,
    current_solution TEXT,
    submitter_role TEXT NOT NULL,
    contact_name TEXT,
    contact_email TEXT,
    consent BOOLEAN NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee_id TEXT REFERENCES users (id),
    duplicate_of_id TEXT REFERENCES submissions (id),
    reject_reason TEXT,
    follow_up_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (registered_org_id, reference)
);
CREATE INDEX submissions_org_status ON submissions (org_id, status, created_at);
CREATE INDEX submissions_reference ON submissions (reference);
CREATE TABLE submission_messages (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    author_id TEXT REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX submission_messages_submission ON submission_messages (submission_id, created_at);
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT,
    kind TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    org_id TEXT,
    payload TEXT NOT NULL
);
CREATE INDEX events_subject ON events (subject_type, subject_id, occurred_at);
CREATE INDEX events_time ON events (occurred_at)
"#;

/// Applies every migration not yet applied, each in its own transaction. Safe to call from
/// several nodes at once: SQLite serialises writers, PostgreSQL takes an advisory lock.
/// Refuses a database migrated by a newer binary, and one whose applied migrations differ
/// from this binary's text of them (a released migration is never edited).
pub async fn run(db: &Db) -> crate::Result<Vec<i64>> {
    let mut applied = Vec::new();
    prepare_record(db).await?;
    if let Some(newest) = applied_versions(db).await?.last()
        && *newest > latest()
    {
        return Err(StoreError::Other(format!(
            "the database is at schema version {newest}, newer than this sluss knows (version {}): \
             run the newer sluss it was migrated with, or restore the backup taken before the upgrade",
            latest()
        )));
    }
    if let Some(m) = status(db).await?.into_iter().find(|m| m.changed) {
        return Err(StoreError::Other(format!(
            "migration {} ({}) is not the one applied to this database on {}: a released migration \
             is never edited; put its text back as it was, or use the sluss that applied it",
            m.version,
            m.name,
            m.applied_at.unwrap_or_default()
        )));
    }
    for (version, name, script) in MIGRATIONS {
        let mut tx = db.write().await?;
        if db.backend() == Backend::Postgres {
            tx.execute(sql("SELECT pg_advisory_xact_lock(7355608)"))
                .await?;
        }
        let done: Option<(i64,)> = tx
            .fetch_optional(
                sql("SELECT version FROM schema_migrations WHERE version = ?").bind(*version),
            )
            .await?;
        if done.is_some() {
            continue;
        }
        let text = script.text(db.backend());
        tx.execute_script(text).await?;
        tx.execute(
            sql("INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)")
                .bind(*version)
                .bind(*name)
                .bind(domain::time::Timestamp::now().to_db())
                .bind(checksum(text)),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
        applied.push(*version);
    }
    if db.backend() == Backend::Sqlite {
        // SQLite plans from statistics only when they exist (PostgreSQL's autovacuum keeps
        // its own): without them it sorts a whole table for a page that an index gives in
        // order. `optimize` analyses only the tables that changed much since last time.
        let mut tx = db.write().await?;
        tx.execute(sql("PRAGMA optimize=0x10002")).await?;
        tx.commit().await?;
    }
    Ok(applied)
}

/// The record of applied migrations, made on first use. A record from before checksums
/// were kept gets its column, and its migrations the checksums of this binary's text
/// (trusted once, as the text that was applied; checked from then on).
async fn prepare_record(db: &Db) -> crate::Result<()> {
    let mut tx = db.write().await?;
    if db.backend() == Backend::Postgres {
        tx.execute(sql("SELECT pg_advisory_xact_lock(7355608)"))
            .await?;
    }
    tx.execute(sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL, checksum TEXT)",
    ))
    .await?;
    let (has_checksum,): (i64,) = tx
        .fetch_one(sql(match db.backend() {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum'"
            }
        }))
        .await?;
    if has_checksum == 0 {
        tx.execute(sql(
            "ALTER TABLE schema_migrations ADD COLUMN checksum TEXT",
        ))
        .await?;
    }
    for (version, _, script) in MIGRATIONS {
        tx.execute(
            sql("UPDATE schema_migrations SET checksum = ? WHERE version = ? AND checksum IS NULL")
                .bind(checksum(script.text(db.backend())))
                .bind(*version),
        )
        .await?;
    }
    tx.commit().await
}

/// A migration text's SHA-256, as lowercase hex.
pub fn checksum(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The newest migration this binary knows.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// One migration as a database has it: applied (and when), pending, or applied by a newer
/// binary (a version this one does not know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub version: i64,
    pub name: String,
    /// When it was applied; `None` while it is pending.
    pub applied_at: Option<String>,
    /// False for a version applied by a newer binary.
    pub known: bool,
    /// True when the applied migration's checksum is not that of this binary's text.
    pub changed: bool,
}

/// The versions applied to a database, oldest first; none for a database never migrated.
async fn applied_versions(db: &Db) -> crate::Result<Vec<i64>> {
    Ok(applied(db).await?.into_iter().map(|(v, ..)| v).collect())
}

/// The applied migrations as recorded: version, name, when, and the checksum (none in a
/// record from before checksums were kept).
async fn applied(db: &Db) -> crate::Result<Vec<(i64, String, String, Option<String>)>> {
    let mut tx = db.read().await?;
    let (columns,): (i64,) = tx
        .fetch_one(sql(match db.backend() {
            Backend::Sqlite => "SELECT COUNT(*) FROM pragma_table_info('schema_migrations')",
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
            }
        }))
        .await?;
    let rows = match columns {
        0 => Vec::new(),
        3 => tx
            .fetch_all(sql(
                "SELECT version, name, applied_at, CAST(NULL AS TEXT) FROM schema_migrations ORDER BY version",
            ))
            .await?,
        _ => tx
            .fetch_all(sql(
                "SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version",
            ))
            .await?,
    };
    tx.commit().await?;
    Ok(rows)
}

/// Every migration this binary knows with whether it is applied, and any version applied
/// by a newer binary, in version order. Applies nothing.
pub async fn status(db: &Db) -> crate::Result<Vec<MigrationStatus>> {
    let done = applied(db).await?;
    let mut out: Vec<MigrationStatus> = MIGRATIONS
        .iter()
        .map(|(version, name, script)| {
            let record = done.iter().find(|(v, ..)| v == version);
            MigrationStatus {
                version: *version,
                name: name.to_string(),
                applied_at: record.map(|(_, _, at, _)| at.clone()),
                known: true,
                changed: record
                    .and_then(|(.., sum)| sum.as_deref())
                    .is_some_and(|sum| sum != checksum(script.text(db.backend()))),
            }
        })
        .collect();
    out.extend(
        done.into_iter()
            .filter(|(v, ..)| !MIGRATIONS.iter().any(|m| m.0 == *v))
            .map(|(version, name, at, _)| MigrationStatus {
                version,
                name,
                applied_at: Some(at),
                known: false,
                changed: false,
            }),
    );
    out.sort_by_key(|m| m.version);
    Ok(out)
}

/// Refreshes the planner's statistics of every table (after loading much data at once).
pub async fn analyze(db: &Db) -> crate::Result<()> {
    let mut tx = db.write().await?;
    tx.execute(sql("ANALYZE")).await?;
    tx.commit().await?;
    Ok(())
}
