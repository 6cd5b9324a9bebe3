// A real OpenID Connect provider for the tests (oidc-provider from npm, installed in e2e/):
// one confidential client with the redirect URI given, PKCE required, the claims `email`,
// `email_verified`, `name` and `groups` in the ID token, and people from a JSON file.
// With --claims-in-userinfo the ID token carries `sub` only and the other claims are at the
// userinfo endpoint, as many providers do for the code flow.
//
//   node scripts/oidc_provider.mjs --redirect URI --client-id ID --client-secret SECRET \
//        --accounts FILE.json [--claims-in-userinfo]
//
// The accounts file maps a login name to its claims: {"alice": {"email": "…",
// "email_verified": true, "name": "…", "groups": ["…"]}}. It is read at every sign-in, so a
// test may change a person's groups between two sign-ins. It listens on 127.0.0.1 on a free
// port and prints "ISSUER http://127.0.0.1:PORT" when ready. Signing in: the authorization
// request may carry `login_hint=NAME`, which signs NAME in at once (for a headless client);
// without it a small form asks for the name (for the browser test). There is no consent
// step: Sluss is the organisation's own client. Stops on SIGTERM, or when stdin closes.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// oidc-provider lives in e2e/node_modules (the tests' npm project).
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'e2e', 'package.json'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`missing --${name}`);
    process.exit(2);
  }
  return process.argv[i + 1];
}

const redirect = arg('redirect');
const clientId = arg('client-id');
const clientSecret = arg('client-secret');
const accountsFile = arg('accounts');
const people = () => JSON.parse(readFileSync(accountsFile, 'utf8'));

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// The test may stop reading once it has the issuer: a closed pipe is not a crash.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirect],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    pkce: { required: () => true },
    claims: {
      openid: ['sub', 'groups'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // The claims in the ID token itself, not only from the userinfo endpoint (unless told).
    conformIdTokenClaims: process.argv.includes('--claims-in-userinfo'),
    cookies: { keys: ['sluss-test-provider-cookie-key'] },
    features: { devInteractions: { enabled: false } },
    async findAccount(_ctx, id) {
      const person = people()[id];
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...person }) };
    },
    // No consent step: every scope and claim asked for is granted.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name', 'groups']);
      await grant.save();
      return grant;
    },
  });
  provider.use(async (ctx, next) => {
    const m = ctx.path.match(/^\/interaction\/([^/]+)$/);
    if (!m) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const login = ctx.method === 'POST'
      ? new URLSearchParams(await body(ctx.req)).get('login')
      : details.params.login_hint;
    if (login) {
      if (!people()[login]) {
        ctx.status = 400;
        ctx.body = `unknown person ${login}`;
        return undefined;
      }
      return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    }
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="en"><title>Test provider</title><main><h1>Test provider</h1>
<form method="post" action="/interaction/${escape(m[1])}"><label for="login">Login</label>
<input id="login" name="login" autofocus><button type="submit">Sign in</button></form></main></html>`;
    return undefined;
  });
  server.on('request', provider.callback());
  console.log(`ISSUER ${issuer}`);
});

function body(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
