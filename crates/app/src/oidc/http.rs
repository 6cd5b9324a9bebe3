//! The OpenID Connect client's HTTP: openidconnect's async client interface on the
//! workspace's reqwest (its own reqwest feature would pull a second one), with TLS through
//! rustls, ring and Mozilla's roots (webpki-roots), as for SMTP.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Makes ring rustls's provider for this process, so that every reqwest client built here
/// (the tests', the benchmarks') has TLS without aws-lc. Harmless when called again.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A failed request to the identity provider, with the causes (reqwest's own message is
/// only "error sending request").
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

impl HttpError {
    fn of(e: &dyn std::error::Error) -> Self {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text.push_str(": ");
            text.push_str(&c.to_string());
            cause = c.source();
        }
        HttpError(text)
    }
}

/// The HTTP client the OpenID Connect calls go through: no redirects followed (a token
/// endpoint that redirects is refused, as the OAuth 2.0 security advice asks), short
/// timeouts, and a cap on what a response may weigh.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
}

/// The most a discovery document, key set or token response may weigh.
const MAX_RESPONSE: usize = 1024 * 1024;

impl Http {
    pub fn new() -> anyhow::Result<Self> {
        install_tls();
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| anyhow::anyhow!("Failed to configure TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            // A new connection for each request: sign-ins are few and minutes apart, and a
            // kept connection that the provider has closed meanwhile fails the token request.
            .pool_max_idle_per_host(0)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| anyhow::anyhow!("Failed to build the OpenID Connect HTTP client: {e}"))?;
        Ok(Self { client })
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = reqwest::Request::try_from(request).map_err(|e| HttpError::of(&e))?;
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| HttpError::of(&e))?;
        let mut out = openidconnect::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            out = out.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| HttpError::of(&e))? {
            if body.len() + chunk.len() > MAX_RESPONSE {
                return Err(HttpError("the response is too large".into()));
            }
            body.extend_from_slice(&chunk);
        }
        out.body(body).map_err(|e| HttpError::of(&e))
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
