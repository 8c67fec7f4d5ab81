// A real OpenID provider for Posture's sign-in tests: panva/oidc-provider (a certified
// implementation) with one confidential client, accounts and groups read from a JSON file at
// every request (so a test can change a user's groups between two sign-ins), a login form that
// can be posted to without a browser, and test switches that tamper with the ID token the token
// endpoint answers, re-signed as a broken or hostile provider would:
//
//   node provider.mjs <state.json>
//
// state.json: {"redirect_uri": "...", "published": ["<kid>", ...],
//              "accounts": {"alice": {"email": "...", "groups": [...], "mode": "normal"}}}
//
// An account's mode says what its ID tokens become: "normal", "wrong-aud", "expired",
// "bad-sig" (signed by a key the provider does not hold, under its key id), "rotated:<kid>"
// (signed with a new key of that id, in the key set only once "published" lists it: the
// provider rotated its keys) or "unknown-kid" (a key never published). Modes are per account, so parallel tests
// share one provider. Prints "ready <issuer>" when it listens on a free port of 127.0.0.1, and
// exits when its standard input closes (the test process ended).
import http from 'node:http';
import fs from 'node:fs';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const stateFile = process.argv[2];
const read = () => JSON.parse(fs.readFileSync(stateFile, 'utf8'));

async function key(kid) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const { d, p, q, dp, dq, qi, ...pub } = jwk;
  return { privateKey, jwk, pub };
}
const main = await key('key-main');
const rotatedKeys = new Map();
function rotated(kid) {
  // The promise is kept, so concurrent requests for one kid share one key.
  if (!rotatedKeys.has(kid)) rotatedKeys.set(kid, key(kid));
  return rotatedKeys.get(kid);
}
const unknown = await key('key-never-published');

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const initial = read();

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'posture',
    client_secret: 'posture-test-secret',
    redirect_uris: [initial.redirect_uri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [main.jwk] },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['posture-test-cookie-key'] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, id) => {
    const account = read().accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      claims: async () => ({
        sub: id,
        email: account.email,
        email_verified: true,
        preferred_username: id,
        name: id,
        groups: account.groups,
      }),
    };
  },
});

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function tamper(idToken, mode) {
  const payload = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  const sign = (claims, k) =>
    new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: k.jwk.kid }).sign(k.privateKey);
  switch (mode) {
    case 'wrong-aud': return sign({ ...payload, aud: 'another-client' }, main);
    case 'expired': return sign({ ...payload, iat: now - 7200, exp: now - 3600 }, main);
    case 'bad-sig': {
      // Signed by a key the provider does not hold, under the provider's key id.
      const forged = await new jose.SignJWT({ ...payload })
        .setProtectedHeader({ alg: 'RS256', kid: main.jwk.kid }).sign(unknown.privateKey);
      return forged;
    }
    case 'unknown-kid': return sign(payload, unknown);
    default:
      if (mode.startsWith('rotated:')) return sign(payload, await rotated(mode.slice(8)));
      return idToken;
  }
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = `<form method="post" action="/interaction/${details.uid}"><input name="login"><button>Sign in</button></form>`;
      return;
    }
    const login = (await body(ctx.req)).get('login');
    const accountId = details.session?.accountId ?? login;
    const result = {};
    if (details.prompt.name === 'login') result.login = { accountId: login };
    const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(String(details.params.scope));
    result.consent = { grantId: await grant.save() };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.respond = false;
    return;
  }
  await next();
  if (ctx.path === '/jwks') {
    const extra = await Promise.all((read().published || []).map(async (kid) => (await rotated(kid)).pub));
    ctx.body = { keys: [...extra, main.pub] };
  }
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body && ctx.body.id_token) {
    const sub = jose.decodeJwt(ctx.body.id_token).sub;
    const mode = read().accounts[sub]?.mode || 'normal';
    ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, mode) };
  }
});

server.on('request', provider.callback());
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.stdout.write(`ready ${issuer}\n`);
