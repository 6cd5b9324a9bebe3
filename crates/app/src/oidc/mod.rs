//! Sign-in through OpenID Connect: the authorization code flow with PKCE against the
//! installation's identity provider (`--oidc-issuer`). [`begin`] records the sign-in under
//! way (state, nonce, PKCE verifier; `store::identities`) and gives the provider's address;
//! [`finish`] takes it back once, exchanges the code, verifies the ID token (signature,
//! issuer, audience, nonce), finds or creates the account and opens the same session as a
//! password sign-in. Roles follow the role map ([`RoleMap`]) at every sign-in.

mod http;
mod role_map;

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndUserFamilyName, EndUserGivenName, EndUserName, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdTokenClaims, IdTokenFields, IssuerUrl, LocalizedClaim, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::secret::hash_token;
use crate::{App, AppError};
use domain::id::{OrgId, UserId};
use domain::role::Role;
use domain::text::may_name_something;
use domain::time::Timestamp;
use store::events::{self, Actor, NewEvent};
use store::identities::{self, PendingLogin};
use store::users;

pub use http::{Http, install_tls};
pub use role_map::{Entry, RoleMap};

/// How long a sign-in under way may take at the provider.
const LOGIN_TTL_SECS: i64 = 600;
/// How long the provider's discovery document and keys are kept before they are read
/// again (keys rotate).
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

/// The installation's identity provider, as configured at start.
pub struct Settings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The provider's name on the sign-in button ("Logga in med {name}").
    pub name: String,
    /// The claim holding the e-mail address (`email` unless told).
    pub email_claim: String,
    /// The claim holding the person's groups (`groups` unless told).
    pub groups_claim: String,
    pub role_map: RoleMap,
}

/// The configured provider with its discovery document, read on first use and kept for
/// [`DISCOVERY_TTL`].
pub struct Oidc {
    pub settings: Settings,
    http: Http,
    discovered: tokio::sync::Mutex<Option<(Instant, CoreProviderMetadata)>>,
}

impl std::fmt::Debug for Oidc {
    // Never the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.settings.issuer)
            .field("client_id", &self.settings.client_id)
            .field("name", &self.settings.name)
            .finish_non_exhaustive()
    }
}

/// Every claim of the ID token beyond the standard ones, so that the configured e-mail and
/// groups claims can be read by name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OtherClaims(serde_json::Map<String, serde_json::Value>);

impl AdditionalClaims for OtherClaims {}

type Claims = IdTokenClaims<OtherClaims, CoreGenderClaim>;
type Tokens = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
type Client = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

impl Oidc {
    pub fn new(settings: Settings) -> anyhow::Result<Self> {
        IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| anyhow::anyhow!("--oidc-issuer is not a URL: {e}"))?;
        Ok(Self {
            settings,
            http: Http::new()?,
            discovered: tokio::sync::Mutex::new(None),
        })
    }

    /// Reads the provider's discovery document and keys (or the copy kept).
    pub async fn discover(&self) -> anyhow::Result<CoreProviderMetadata> {
        let mut kept = self.discovered.lock().await;
        if let Some((at, metadata)) = kept.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "Failed to read the identity provider's discovery document at {}: {e}",
                    self.settings.issuer
                )
            })?;
        *kept = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    async fn client(&self, app: &App) -> anyhow::Result<Client> {
        let metadata = self.discover().await?;
        let redirect = RedirectUrl::new(redirect_uri(&app.config.public_url))?;
        Ok(Client::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }
}

/// Where the provider sends the person back: `{public-url}/logga-in/oidc/klar`.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{}/logga-in/oidc/klar", public_url.trim_end_matches('/'))
}

fn configured(app: &App) -> Result<&Arc<Oidc>> {
    app.config.oidc.as_ref().ok_or(AppError::NotFound)
}

/// Starts a sign-in: records its state, nonce and PKCE verifier with where to go after
/// (`next`, a path checked by the caller) and returns the provider's address to send the
/// person to. The provider not answering is [`Refusal::Unreachable`].
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn begin(app: &App, next: &str) -> Result<std::result::Result<String, Refusal>> {
    let oidc = configured(app)?;
    let client = match oidc.client(app).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "the identity provider could not be reached");
            return Ok(Err(Refusal::Unreachable));
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let now = Timestamp::now();
    let mut tx = app.db.write().await?;
    identities::begin_login(
        &mut tx,
        &hash_token(state.secret()),
        &PendingLogin {
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            next: next.to_string(),
        },
        &now.to_db(),
        &now.plus_seconds(LOGIN_TTL_SECS).to_db(),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(url.to_string()))
}

/// Why a sign-in through the provider was refused; each has its message in the catalogs
/// (`oidc.refused.{key}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The state is missing, unknown, expired or used already.
    State,
    /// The provider answered with an error (the person cancelled, or was not let in).
    Provider,
    /// The code could not be exchanged, or the ID token failed its checks.
    Unverified,
    /// The provider could not be reached.
    Unreachable,
    /// The provider gave no usable e-mail address.
    NoEmail,
    /// An account has this address but the provider does not vouch for it.
    EmailUnverified,
    /// None of the person's groups is in the role map.
    NoMappedGroup,
    /// The account is deactivated.
    Deactivated,
}

impl Refusal {
    pub const ALL: [Refusal; 8] = [
        Refusal::State,
        Refusal::Provider,
        Refusal::Unverified,
        Refusal::Unreachable,
        Refusal::NoEmail,
        Refusal::EmailUnverified,
        Refusal::NoMappedGroup,
        Refusal::Deactivated,
    ];

    pub fn key(&self) -> &'static str {
        match self {
            Refusal::State => "state",
            Refusal::Provider => "provider",
            Refusal::Unverified => "unverified",
            Refusal::Unreachable => "unreachable",
            Refusal::NoEmail => "no_email",
            Refusal::EmailUnverified => "email_unverified",
            Refusal::NoMappedGroup => "no_mapped_group",
            Refusal::Deactivated => "deactivated",
        }
    }
}

/// A finished sign-in: the session token for the cookie and where to go.
#[derive(Debug)]
pub struct SignedIn {
    pub token: String,
    pub next: String,
}

/// The provider's answer as it arrives at `/logga-in/oidc/klar`.
#[derive(Debug, Default)]
pub struct Callback<'a> {
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    pub error: Option<&'a str>,
}

/// Finishes a sign-in from the provider's answer (see the module comment).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn finish(
    app: &App,
    back: Callback<'_>,
) -> Result<std::result::Result<SignedIn, Refusal>> {
    let oidc = configured(app)?;
    let Some(state) = back
        .state
        .filter(|s| !s.is_empty() && may_name_something(s))
    else {
        return Ok(Err(Refusal::State));
    };
    // The sign-in under way is taken first: a state is used once, whatever follows.
    let mut tx = app.db.write().await?;
    let pending =
        identities::take_login(&mut tx, &hash_token(state), &Timestamp::now().to_db()).await?;
    tx.commit().await?;
    let Some(pending) = pending else {
        return Ok(Err(Refusal::State));
    };
    let code = match (back.error, back.code) {
        (None, Some(code)) if !code.is_empty() => code,
        (error, _) => {
            tracing::info!(error = ?error, "the identity provider refused the sign-in");
            return Ok(Err(Refusal::Provider));
        }
    };
    let person = match verified_person(oidc, app, code, pending.pkce_verifier, pending.nonce).await
    {
        Ok(person) => person,
        Err(e) => {
            tracing::warn!(error = %e, "a sign-in through the identity provider failed its checks");
            return Ok(Err(Refusal::Unverified));
        }
    };
    sign_in(app, oidc, person, pending.next).await
}

/// Exchanges the code (with the PKCE verifier) and verifies the ID token: signature by the
/// provider's keys, issuer, audience, expiry and nonce. What the ID token lacks (address,
/// name, groups) is read at the userinfo endpoint: many providers put only `sub` in the ID
/// token of the code flow. A userinfo that cannot be read is logged, and the ID token's
/// claims decide alone.
async fn verified_person(
    oidc: &Oidc,
    app: &App,
    code: &str,
    verifier: String,
    nonce: String,
) -> anyhow::Result<Person> {
    let client = oidc.client(app).await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_string()))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .request_async(&oidc.http)
        .await
        .map_err(|e| anyhow::anyhow!("the code exchange failed: {e}: {e:?}"))?;
    let id_token = tokens
        .id_token()
        .ok_or_else(|| anyhow::anyhow!("the token response has no ID token"))?;
    let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(nonce))?;
    let mut person = Person::from_claims(claims, &oidc.settings);
    if person.email.is_none() || person.groups.is_empty() {
        match user_info(oidc, &client, tokens.access_token().clone(), claims).await {
            Ok(Some(info)) => person.fill_from(info),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the identity provider's userinfo could not be read")
            }
        }
    }
    Ok(person)
}

/// The person's claims at the provider's userinfo endpoint, for the same subject as the ID
/// token (openidconnect checks it); None when the provider has no such endpoint.
async fn user_info(
    oidc: &Oidc,
    client: &Client,
    access_token: AccessToken,
    claims: &Claims,
) -> anyhow::Result<Option<Person>> {
    let Ok(request) = client.user_info(access_token, Some(claims.subject().clone())) else {
        return Ok(None);
    };
    let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = request
        .request_async(&oidc.http)
        .await
        .map_err(|e| anyhow::anyhow!("{e}: {e:?}"))?;
    let s = info.standard_claims();
    Ok(Some(Person::read(
        (claims.issuer().to_string(), info.subject().to_string()),
        &info.additional_claims().0,
        (s.email().map(|e| e.to_string()), s.email_verified()),
        Person::name_of(s.name(), s.given_name(), s.family_name()),
        &oidc.settings,
    )))
}

/// What Sluss reads of the ID token (and, for what it lacks, of the userinfo endpoint).
struct Person {
    issuer: String,
    subject: String,
    email: Option<String>,
    email_verified: bool,
    name: Option<String>,
    groups: Vec<String>,
}

impl Person {
    fn from_claims(claims: &Claims, settings: &Settings) -> Self {
        Self::read(
            (claims.issuer().to_string(), claims.subject().to_string()),
            &claims.additional_claims().0,
            (
                claims.email().map(|e| e.to_string()),
                claims.email_verified(),
            ),
            Self::name_of(claims.name(), claims.given_name(), claims.family_name()),
            settings,
        )
    }

    /// The person from one set of claims: the configured e-mail and groups claims by name
    /// among `other` (the standard `email` when the e-mail claim is `email`).
    fn read(
        (issuer, subject): (String, String),
        other: &serde_json::Map<String, serde_json::Value>,
        (standard_email, email_verified): (Option<String>, Option<bool>),
        name: Option<String>,
        settings: &Settings,
    ) -> Self {
        let email = match other.get(&settings.email_claim) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            _ if settings.email_claim == "email" => standard_email,
            _ => None,
        };
        let groups = match other.get(&settings.groups_claim) {
            Some(serde_json::Value::Array(values)) => values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        Self {
            issuer,
            subject,
            email,
            email_verified: email_verified.unwrap_or(false),
            name,
            groups,
        }
    }

    /// The name, or the given and family names together.
    fn name_of(
        name: Option<&LocalizedClaim<EndUserName>>,
        given: Option<&LocalizedClaim<EndUserGivenName>>,
        family: Option<&LocalizedClaim<EndUserFamilyName>>,
    ) -> Option<String> {
        name.and_then(|n| n.get(None))
            .map(|n| n.to_string())
            .or_else(|| {
                let given = given.and_then(|n| n.get(None))?;
                let family = family.and_then(|n| n.get(None))?;
                Some(format!("{} {}", given.as_str(), family.as_str()))
            })
    }

    /// Takes from the userinfo claims what the ID token lacked: the address (with whether
    /// it is verified), the name and the groups. The issuer and subject stay the ID token's.
    fn fill_from(&mut self, info: Person) {
        if self.email.is_none() {
            self.email = info.email;
            self.email_verified = info.email_verified;
        }
        if self.name.is_none() {
            self.name = info.name;
        }
        if self.groups.is_empty() {
            self.groups = info.groups;
        }
    }
}

/// The account's name: the provider's, where it is a fitting line, else the e-mail address.
fn account_name(person: &Person, email: &str) -> String {
    person
        .name
        .as_deref()
        .and_then(|n| crate::admin::USER_NAME.parse_required(n).ok())
        .unwrap_or_else(|| email.to_string())
}

/// Finds or creates the account, brings its mapped roles up to date and opens a session,
/// in one transaction with its events.
async fn sign_in(
    app: &App,
    oidc: &Oidc,
    person: Person,
    next: String,
) -> Result<std::result::Result<SignedIn, Refusal>> {
    // Every (organisation, role) the map names, and those the person's groups reach.
    let tree = app.tree().await?;
    let resolve = |e: &Entry| {
        let org = tree.all.iter().find(|o| o.slug == e.org || o.id == e.org);
        if org.is_none() {
            tracing::warn!(org = %e.org, "the role map names an organisation that does not exist");
        }
        org.map(|o| (o.id.clone(), e.role))
    };
    let managed: Vec<(OrgId, Role)> = oidc
        .settings
        .role_map
        .entries
        .iter()
        .filter_map(resolve)
        .collect();
    let wanted: Vec<(OrgId, Role)> = oidc
        .settings
        .role_map
        .matching(&person.groups)
        .filter_map(resolve)
        .collect();
    let now = Timestamp::now().to_db();
    let mut tx = app.db.write().await?;
    let linked = identities::user_for(&mut tx, &person.issuer, &person.subject).await?;
    let user = match linked {
        Some(id) => users::by_id(&mut tx, &id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("an identity names a user that does not exist"))?,
        None => {
            let Some(email) = person
                .email
                .as_deref()
                .and_then(|e| domain::submission::Email::parse("email", e).ok())
            else {
                return Ok(Err(Refusal::NoEmail));
            };
            if wanted.is_empty() {
                return Ok(Err(Refusal::NoMappedGroup));
            }
            let user = match users::by_email(&mut tx, email.as_str()).await? {
                Some(_) if !person.email_verified => return Ok(Err(Refusal::EmailUnverified)),
                Some(existing) => existing,
                None => {
                    // No local password: the account signs in through the provider only.
                    let name = account_name(&person, email.as_str());
                    let user = users::insert(&mut tx, email.as_str(), &name, "").await?;
                    append(
                        &mut tx,
                        &user.id,
                        "user.created",
                        None,
                        serde_json::json!({ "name": user.name, "via": "oidc" }),
                    )
                    .await?;
                    user
                }
            };
            identities::link(&mut tx, &person.issuer, &person.subject, &user.id, &now).await?;
            append(
                &mut tx,
                &user.id,
                "user.identity_linked",
                None,
                serde_json::json!({ "issuer": person.issuer }),
            )
            .await?;
            user
        }
    };
    if !user.active {
        return Ok(Err(Refusal::Deactivated));
    }
    for (org_id, role) in &managed {
        if wanted.contains(&(org_id.clone(), *role)) {
            if users::add_membership(&mut tx, &user.id, org_id, role.as_str()).await? {
                append(
                    &mut tx,
                    &user.id,
                    "user.role_granted",
                    Some(org_id),
                    serde_json::json!({ "role": role.as_str(), "via": "oidc" }),
                )
                .await?;
            }
        } else if users::remove_membership(&mut tx, &user.id, org_id, role.as_str()).await? {
            append(
                &mut tx,
                &user.id,
                "user.role_removed",
                Some(org_id),
                serde_json::json!({ "role": role.as_str(), "via": "oidc" }),
            )
            .await?;
        }
    }
    if wanted.is_empty() {
        // The roles the provider no longer gives are gone; the person is not let in.
        tx.commit().await?;
        return Ok(Err(Refusal::NoMappedGroup));
    }
    identities::seen(&mut tx, &person.issuer, &person.subject, &now).await?;
    let token = crate::auth::open_session(
        app,
        &mut tx,
        &user.id,
        serde_json::json!({ "method": "oidc" }),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(SignedIn { token, next }))
}

async fn append(
    tx: &mut store::Tx,
    user_id: &UserId,
    kind: &str,
    org_id: Option<&OrgId>,
    payload: serde_json::Value,
) -> Result<()> {
    events::append(
        tx,
        NewEvent {
            actor: &Actor::User(user_id.clone()),
            kind,
            subject_type: "user",
            subject_id: user_id.as_str(),
            org_id,
            payload,
        },
    )
    .await?;
    Ok(())
}
