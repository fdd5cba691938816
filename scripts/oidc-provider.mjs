// A real OpenID Connect provider (the OpenID-certified npm package oidc-provider) for the demo
// login and for the login tests. It is configured by a JSON file:
//
//   node scripts/oidc-provider.mjs config.json
//
//   { "issuer": "http://127.0.0.1:5001", "port": 5001, "title": "Demo-Anmeldedienst",
//     "clients": [ { "client_id": "...", "redirect_uris": ["..."], "token_endpoint_auth_method": "none", ... } ],
//     "accounts": [ { "id": "hamm-beitragende", "label": "Hanna Hamm – Beitragende",
//                     "claims": { "name": "...", "email": "...", "roles": ["Beitragende"], "org": "hamm" } } ],
//     "jwks": { "keys": [ ...private JWKs... ] }   (optional; tests pass their own to re-sign tokens) }
//
// The login page lists the configured people as buttons (no passwords: this is never a production
// identity provider); consent is granted automatically. PKCE is required for every client.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(config.accounts.map((account) => [account.id, account]));
const title = config.title || 'Anmeldedienst';

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function page(heading, body) {
  return `<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>${escapeHtml(heading)} – ${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1c1c1c}
button{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem;text-align:left;cursor:pointer}
.hint{color:#4a5560}</style></head><body><main><h1>${escapeHtml(heading)}</h1>${body}</main></body></html>`;
}

function loginPage(uid, clientId) {
  const buttons = config.accounts
    .map((account) => `<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<input type="hidden" name="account" value="${escapeHtml(account.id)}">
<button type="submit">${escapeHtml(account.label || account.id)}</button></form>`)
    .join('\n');
  return page(`Anmelden bei ${title}`, `<p class="hint">Anmeldung für <strong>${escapeHtml(clientId)}</strong>.
Dies ist ein Demo-Dienst: Wählen Sie eine Person, ein Passwort gibt es nicht.</p>${buttons}`);
}

const provider = new Provider(config.issuer, {
  clients: config.clients,
  ...(config.jwks ? { jwks: config.jwks } : {}),
  cookies: { keys: [config.cookie_key || randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name'],
    email: ['email', 'email_verified'],
    roles: ['roles', 'org', 'ars'],
  },
  scopes: ['openid', 'profile', 'email', 'roles'],
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Abmelden', `${form}<p>Auch beim ${escapeHtml(title)} abmelden?</p>
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Ja, abmelden</button>
<button type="submit" form="op.logoutForm">Nein, angemeldet bleiben</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Abgemeldet', '<p>Sie sind abgemeldet.</p>');
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account.claims }; } };
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Fehler bei der Anmeldung', `<p>${escapeHtml(out.error)}: ${escapeHtml(out.error_description || '')}</p>`);
  },
});

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

async function grantConsent(req, res, details) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  const missing = details.prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (action === 'login' && req.method === 'POST') {
    const accountId = (await readForm(req)).get('account');
    if (!accounts.has(accountId)) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('Unbekannte Person', '<p>Diese Person gibt es hier nicht.</p>'));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  } else if (details.prompt.name === 'consent') {
    await grantConsent(req, res, details);
  } else {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginPage(uid, details.params.client_id));
  }
}

const handleProvider = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)(?:\/(login))?/.exec(req.url);
  if (!match) {
    handleProvider(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page('Fehler bei der Anmeldung', `<p>${escapeHtml(error.message)}</p>`));
  });
});

const port = Number(config.port || new URL(config.issuer).port);
server.listen(port, '127.0.0.1', () => {
  console.log(`${title}: ${config.issuer} (Port ${port})`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
