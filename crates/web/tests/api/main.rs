//! The API suite: every scenario runs on a fresh SQLite file and, unchanged, on PostgreSQL
//! when `TEST_DATABASE_URL` is set (always under CI).

mod support;

mod accounts;
mod admin_units;
mod admin_users;
mod also;
mod attachments;
mod bad_input;
mod branding;
mod campaign_voting;
mod campaigns;
mod case_forms;
mod case_page;
mod cases;
mod inbox_forms;
mod intake;
mod jobs;
mod limits;
mod mail;
mod matrix;
mod my_work;
mod notify;
mod oidc;
mod pages;
mod password;
mod permissions;
mod persistence;
mod processes;
mod retention;
mod triage;
mod typed_forms;
