// A real OpenID Connect provider for the tests (the certified `oidc-provider` package), one per tenant.
//
// Settings come from the environment:
//   OIDC_PORT, OIDC_ISSUER (e.g. http://127.0.0.1:PORT), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET,
//   OIDC_REDIRECT_URIS (a JSON list), OIDC_LOOPBACK_ANY_PORT (1: any port of 127.0.0.1), OIDC_ACCOUNTS (optional JSON: email -> {"sub": ..., "email_verified": ...}).
// Its login page is a plain form: an email address and a "used MFA" checkbox (no password, no consent screen: the
// requested scopes are granted). The ID token carries sub, email, email_verified and amr ("pwd", plus "mfa" when
// the box was ticked). Synthetic accounts only: anyone typing an address not in OIDC_ACCOUNTS gets a stable subject
// made from it, with a verified email.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const env = process.env;
const port = Number(env.OIDC_PORT);
const issuer = env.OIDC_ISSUER || `http://127.0.0.1:${port}`;
const accounts = JSON.parse(env.OIDC_ACCOUNTS || '{}');

function accountFor(email) {
  const known = accounts[email] || {};
  const sub = known.sub || `sub-${createHash('sha256').update(`${issuer} ${email}`).digest('hex').slice(0, 24)}`;
  return { sub, email, email_verified: known.email_verified ?? true };
}

const bySub = new Map();

const provider = new Provider(issuer, {
  clients: [{
    client_id: env.OIDC_CLIENT_ID,
    client_secret: env.OIDC_CLIENT_SECRET,
    redirect_uris: JSON.parse(env.OIDC_REDIRECT_URIS || '[]'),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  // amr and auth_time ride on the openid scope, so every ID token says how the user signed in (Entra ID's does).
  claims: {
    acr: null, amr: null, auth_time: null, iss: null, sid: null,
    openid: ['sub', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'],
  },
  conformIdTokenClaims: false, // the email claims go into the ID token (as Entra ID's optional claims do)
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['auditapp-tests-only'] },
  pkce: { required: () => false },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = bySub.get(sub);
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { ...account, name: account.email }; } };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await ctx.oidc.provider.Grant.find(grantId);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'name']);
    await grant.save();
    return grant;
  },
});

// OIDC_LOOPBACK_ANY_PORT=1: also accept this app's callbacks on any port of 127.0.0.1 (the browser tests' server
// takes a free port after the providers start; RFC 8252 allows the same for loopback redirects).
if (env.OIDC_LOOPBACK_ANY_PORT === '1') {
  const allowed = provider.Client.prototype.redirectUriAllowed;
  const loopback = /^http:\/\/127\.0\.0\.1:\d{2,5}\/sign-in\/sso\/[a-z0-9-]+\/callback$/;
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
    return allowed.call(this, value) || loopback.test(value);
  };
}

const escape = (text) => String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function loginPage(uid) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign in to ${escape(issuer)}</title></head>
<body><main><h1>Sign in</h1><p>Test identity provider ${escape(issuer)}</p>
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="email">Email address</label> <input id="email" name="email" type="email" autocomplete="off">
<label><input name="mfa" type="checkbox" value="1"> Used MFA</label>
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const callback = provider.callback();
const server = createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(loginPage(details.uid));
    }
    const form = await readForm(req);
    const account = accountFor((form.get('email') || '').trim());
    bySub.set(account.sub, account);
    const amr = form.get('mfa') ? ['pwd', 'mfa'] : ['pwd'];
    return await provider.interactionFinished(req, res, { login: { accountId: account.sub, amr } }, {
      mergeWithLastSubmission: false,
    });
  } catch (error) {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    return res.end(`interaction failed: ${error.message}`);
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
