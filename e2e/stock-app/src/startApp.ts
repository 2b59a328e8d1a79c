import { freePort, signInThroughBackstage } from '@bitbucket-signin/test-kit';
import fs from 'node:fs';
import { DocStep, stepOf } from './docSteps';
import { Tarball } from './pack';
import { start } from './processes';
import { tail } from './report';

/** The demo user the install doc signs in as */
export const DEMO_USER = 'alice-bb';
/** Where the install doc's app-config.local.yaml expects the simulator */
const DOC_SIMULATOR = /http:\/\/(127\.0\.0\.1|localhost):7010/g;

export type RunningApp = Awaited<ReturnType<typeof startApp>>;

/** Consent as the simulator's consent form sends it */
async function consent(authorizeUrl: string) {
  const url = new URL(authorizeUrl);
  const body = new URLSearchParams(url.search);
  body.set('user', DEMO_USER);
  const to = url.origin + url.pathname;
  const res = await fetch(to, { method: 'POST', body, redirect: 'manual' });
  return res.headers.get('location') ?? `${to} answered ${res.status}`;
}

type Identity = { displayName: string; userEntityRef: string };

/** The demo user's identity, once the backend and the catalog are up; or why not */
async function signedIn(app: string, backend: string) {
  const options = { backendUrl: backend, appOrigin: app, consent };
  const { response, error, status } = await signInThroughBackstage(options);
  const identity = response?.backstageIdentity?.identity;
  if (!identity) return error ? `${error.name}: ${error.message}` : `${status}`;
  const displayName = response!.profile.displayName ?? DEMO_USER;
  return { displayName, userEntityRef: identity.userEntityRef };
}

/**
 * The install doc's simulator and `yarn start` commands, as written, moved to
 * free ports of 127.0.0.1 by flags and config files of the check's own.
 * Ready once the demo user signs in over HTTP: the org provider made the User.
 */
export async function startApp(dir: string, steps: DocStep[], t: Tarball[]) {
  const ports = [await freePort(), await freePort(), await freePort()];
  const [app, backend, simulator] = ports.map(p => `http://127.0.0.1:${p}`);
  const started: ReturnType<typeof start>[] = [];
  const log = () => started.map(p => tail(p.output(), 60)).join('\n');
  const stop = () => Promise.all(started.map(p => p.stop()));
  try {
    const npx = t.reduce(
      (text, { name, file }) => text.replace(` ${name} `, ` file:${file} `),
      stepOf(steps, 'simulator').trim(),
    );
    const callback = `${backend}/api/auth/bitbucket/handler/frame`;
    const flags = `--port ${ports[2]} --callback-url ${callback}`;
    started.push(start(`${npx} ${flags}`, dir));
    const local = fs.readFileSync(`${dir}/app-config.local.yaml`, 'utf8');
    if (!local.match(DOC_SIMULATOR)) throw new Error('no simulator at :7010');
    const listen = `{ host: 127.0.0.1, port: ${ports[1]} }`;
    const moved = [
      local.replace(DOC_SIMULATOR, simulator),
      `app: { baseUrl: '${app}' }`,
      `backend: { baseUrl: '${backend}', listen: ${listen}, cors: { origin: '${app}' } }\n`,
    ].join('\n');
    fs.writeFileSync(`${dir}/../check.yaml`, moved);
    const configs = `--config ${dir}/app-config.yaml --config ${dir}/../check.yaml`;
    started.push(start(`${stepOf(steps, 'start').trim()} ${configs}`, dir));

    let last: Identity | string = 'not started';
    for (const end = Date.now() + 300_000; Date.now() < end; ) {
      if (!started.every(p => p.running()))
        throw new Error(`exited:\n${log()}`);
      last = await signedIn(app, backend).catch((e: Error) => e.message);
      if (typeof last === 'object') return { app, ...last, log, stop };
      await new Promise(resolve => setTimeout(resolve, 2000));
    }
    throw new Error(`no sign-in in 5 minutes: ${last}\n${log()}`);
  } catch (error) {
    await stop();
    throw error;
  }
}
