//! Ids as types: a case's id is a [`CaseId`], a submission's a [`SubmissionId`], a user's a
//! [`UserId`], so that one cannot be passed where the other (or any other text) is meant. Each wraps the id's text (a UUID v7, made by
//! `store::new_id`, since making one reads the clock) and is written and read as that text:
//! bound with `.bind(id.as_str())`, decoded from a row with `#[sqlx(try_from = "String")]`,
//! and transparent in JSON and in a path (`Path<CaseId>`).
//!
//! An id is not checked for its shape: one that names nothing is not found, exactly as
//! before. What the type adds is that the compiler refuses to mix them:
//!
//! ```compile_fail
//! use domain::id::{CaseId, SubmissionId};
//! fn view(case: &CaseId) -> &str { case.as_str() }
//! let submission = SubmissionId::from("0190b0a2-0000-7000-8000-000000000000".to_string());
//! view(&submission); // a submission's id where a case's is meant: error[E0308]
//! ```
//!
//! ```compile_fail
//! use domain::id::{CaseId, UserId};
//! fn view(case: &CaseId) -> &str { case.as_str() }
//! let user = UserId::from("0190b0a2-0000-7000-8000-000000000000".to_string());
//! view(&user); // a user's id where a case's is meant: error[E0308]
//! ```
//!
//! ```compile_fail
//! use domain::id::{OrgId, UserId};
//! fn roles(org: &OrgId) -> &str { org.as_str() }
//! let user = UserId::from("0190b0a2-0000-7000-8000-000000000000".to_string());
//! roles(&user); // a user's id where an organisation's is meant: error[E0308]
//! ```
//!
//! ```compile_fail
//! use domain::id::CaseId;
//! fn view(case: &CaseId) -> &str { case.as_str() }
//! let text: String = "0190b0a2-0000-7000-8000-000000000000".into();
//! view(&text); // nor any text: error[E0308]
//! ```
//!
//! ```
//! use domain::id::CaseId;
//! fn view(case: &CaseId) -> &str { case.as_str() }
//! let case = CaseId::from("0190b0a2-0000-7000-8000-000000000000".to_string());
//! assert_eq!(view(&case), "0190b0a2-0000-7000-8000-000000000000");
//! ```

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        /// The id's text; a width (`{:<36}`) pads it, as it would the text.
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(&self.0)
            }
        }

        /// A row's text, a path segment or a stored reference as the id (and so
        /// `TryFrom<String>` for `#[sqlx(try_from = "String")]`, which never fails).
        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        /// A map keyed by ids is looked up by text too (the hash is the text's).
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&$name> for $name {
            fn eq(&self, other: &&$name) -> bool {
                self == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

id_type!(
    /// A case (ärende).
    CaseId
);

id_type!(
    /// A submission (inkommet ärende: a need, an idea or an offer).
    SubmissionId
);

id_type!(
    /// A campaign (a workshop or an open question); its public code is text of its own.
    CampaignId
);

id_type!(
    /// A person with an account (a user); also an event's actor and an API token's owner.
    UserId
);

id_type!(
    /// An organisation: a region (the root of a tree) or a unit below it.
    OrgId
);

id_type!(
    /// An idea (or concept) in a campaign.
    IdeaId
);

id_type!(
    /// A participant in a campaign: a numbered, anonymous place, not a person's account.
    ParticipantId
);

id_type!(
    /// A stored version of a process template (a case follows the version it was opened
    /// on).
    TemplateId
);

id_type!(
    /// An API token (its row, not its secret).
    TokenId
);

id_type!(
    /// An attachment (bilaga): a file on a submission, a case or a challenge.
    AttachmentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_text_on_the_wire_and_in_a_row() {
        let text = "0190b0a2-0000-7000-8000-000000000001";
        let id = CaseId::from(text.to_string());
        assert_eq!(id.as_str(), text);
        assert_eq!(id.to_string(), text);
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{text}\""));
        let back: CaseId = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(back, id);
        // What #[sqlx(try_from = "String")] asks of a row's field.
        fn decoded<T: TryFrom<String>>(s: &str) -> Option<T> {
            T::try_from(s.to_string()).ok()
        }
        assert_eq!(decoded::<CaseId>(text), Some(id));
    }

    #[test]
    fn a_width_pads_an_id_as_it_would_its_text() {
        let id = TokenId::from("ab");
        assert_eq!(format!("[{id:<4}]"), "[ab  ]");
        assert_eq!(format!("[{id}]"), "[ab]");
    }
}
