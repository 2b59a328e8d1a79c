import { accountEmail } from './accountEmail';
import { escapeHtml as esc } from './http';
import { SimulatorConsumer, SimulatorUser } from './types';

/** The application name the consent page shows */
export const APP_NAME = 'Backstage (simulator)';

/** The consumer permissions in the plain words Bitbucket's consent page uses */
const SCOPE_WORDS: Record<string, string> = {
  account: 'Read your account information',
  'account:write': 'Read and modify your account information',
  email: 'Read your email addresses',
  team: 'Read your workspace membership information',
  'team:write': 'Read and modify your workspace membership information',
  repository: 'Read your repositories',
  'repository:write': 'Read and modify your repositories',
  pullrequest: 'Read your pull requests',
  project: 'Read your projects',
};

/** Describes one scope in plain words */
export function describeScope(scope: string): string {
  return SCOPE_WORDS[scope] ?? `Use the "${scope}" permission`;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:#f4f5f7;color:#172b4d;font-size:14px;line-height:1.45}
header{background:#0052cc;color:#fff;padding:12px 24px;display:flex;align-items:center;gap:10px}
header svg{flex:none}
header strong{font-size:18px;letter-spacing:.2px}
header .badge{margin-left:auto;font-size:11px;background:rgba(255,255,255,.18);border-radius:3px;padding:2px 8px;text-transform:uppercase;letter-spacing:.5px}
main{max-width:560px;margin:32px auto;background:#fff;border-radius:4px;box-shadow:0 1px 2px rgba(9,30,66,.25);padding:24px 32px}
h1{font-size:22px;font-weight:500;margin:0 0 12px}
h2{font-size:14px;margin:20px 0 8px;color:#5e6c84;text-transform:uppercase;letter-spacing:.4px}
ul{margin:0;padding:0;list-style:none}
.scopes li{padding:6px 0 6px 24px;position:relative}
.scopes li:before{content:"\\2713";position:absolute;left:4px;color:#00875a;font-weight:700}
.users li{display:flex;align-items:center;gap:12px;padding:6px 0;border-top:1px solid #ebecf0}
.users li:first-child{border-top:0}
.hint{color:#5e6c84;font-size:12px}
button{font:inherit;border:0;border-radius:3px;padding:7px 12px;cursor:pointer}
.users button{background:#0052cc;color:#fff;min-width:220px;text-align:left}
.users button:hover{background:#0065ff}
.deny{background:#f4f5f7;color:#42526e;margin-top:20px}
.deny:hover{background:#ebecf0}
.note{color:#5e6c84;font-size:12px;margin-top:20px;word-break:break-all}
.error{color:#bf2600}
`;

const LOGO = `<svg width="24" height="24" viewBox="0 0 24 24" aria-hidden="true"><path fill="#fff" d="M2.3 3a.7.7 0 0 0-.7.8l3 18.2c.1.5.5.8.9.8h13a.7.7 0 0 0 .7-.6l3-18.4a.7.7 0 0 0-.7-.8H2.3zm11.5 13.1H10.2l-1-5.2h5.5l-.9 5.2z"/></svg>`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>${LOGO}<strong>Bitbucket</strong><span class="badge">Local simulator</span></header>
<main>
${body}
</main>
</body>
</html>
`;
}

function userHint(user: SimulatorUser): string {
  // the address sign-in uses, as the auth module picks it: the primary one if
  // confirmed, else the first confirmed one; the others marked after it
  const used = accountEmail(user);
  const others = user.emails
    .filter(e => e !== used)
    .map(e => `${e.email}${e.isConfirmed ? '' : ' (unconfirmed)'}`);
  const listed =
    others.length > 2
      ? `${others.slice(0, 2).join(', ')} +${others.length - 2} more`
      : others.join(', ');
  const email = [
    used?.email ?? 'no confirmed email',
    ...(others.length ? [`also ${listed}`] : []),
  ].join(' · ');
  const workspaces = user.workspaces.map(w => w.slug);
  const shown =
    workspaces.length > 3
      ? `${workspaces.slice(0, 3).join(', ')} +${workspaces.length - 3} more`
      : workspaces.join(', ') || 'no workspaces';
  return `${email} · ${shown}`;
}

/** The parameters of an authorize request that the consent form carries forward */
export interface ConsentParams {
  client_id: string;
  response_type: string;
  state?: string;
  redirect_uri?: string;
}

/**
 * The consent page: the consumer's scopes, then one submit button per user
 * (the simulator's way to "sign in") and a Deny button.
 */
export function renderConsentPage(options: {
  consumer: SimulatorConsumer;
  users: Iterable<SimulatorUser>;
  params: ConsentParams;
}): string {
  const { consumer, users, params } = options;
  const hidden = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`,
    )
    .join('\n');
  const scopes = consumer.scopes
    .map(scope => `<li>${esc(describeScope(scope))}</li>`)
    .join('\n');
  const buttons = Array.from(
    users,
    user =>
      `<li><button type="submit" name="user" value="${esc(
        user.username,
      )}" data-testid="consent-user-${esc(user.username)}">${esc(
        user.displayName,
      )} (${esc(user.username)})</button><span class="hint">${esc(
        userHint(user),
      )}</span></li>`,
  ).join('\n');
  const target = params.redirect_uri || consumer.callbackUrl;

  return page(
    `Authorize ${APP_NAME}`,
    `<h1>Authorize ${esc(APP_NAME)}</h1>
<p>${esc(APP_NAME)} is requesting access to the following:</p>
<ul class="scopes">
${scopes}
</ul>
<form method="post" action="/site/oauth2/authorize">
${hidden}
<h2>Continue as</h2>
<ul class="users">
${buttons}
</ul>
<button type="submit" name="decision" value="deny" class="deny" data-testid="consent-deny">Deny</button>
</form>
<p class="note">This is the local Bitbucket Cloud simulator: no Bitbucket account is involved. Granting access redirects to ${esc(
      target,
    )}</p>`,
  );
}

/** The page shown instead of the consent page when the request is invalid */
export function renderErrorPage(message: string): string {
  return page(
    'Bitbucket | Invalid OAuth request',
    `<h1>Invalid OAuth request</h1>
<p class="error" data-testid="oauth-error">${esc(message)}</p>`,
  );
}
