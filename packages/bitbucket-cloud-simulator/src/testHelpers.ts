/*
 * Helpers for this package's tests: the requests a Backstage backend makes
 * during a sign-in, done with global fetch.
 */
import { demoConsumer } from './demoData';
import { BitbucketSimulator, SimulatorConsumer } from './types';

export interface TokenBody {
  access_token: string;
  refresh_token: string;
  /** Space-separated, e.g. `account email` */
  scope: string;
  expires_in: number;
  token_type: string;
  state: string;
}

/** An authorize URL like the one Backstage sends the browser to */
export function authorizeUrlFor(
  sim: BitbucketSimulator,
  params: Record<string, string> = {},
): string {
  const query = new URLSearchParams({
    client_id: demoConsumer.key,
    response_type: 'code',
    state: 'state-123',
    redirect_uri: demoConsumer.callbackUrl,
    ...params,
  });
  return `${sim.authorizationUrl}?${query}`;
}

/** The code in a redirect Location, or throws */
export function codeFrom(location: string): string {
  const code = new URL(location).searchParams.get('code');
  if (!code) {
    throw new Error(`No code in ${location}`);
  }
  return code;
}

/** `POST /site/oauth2/access_token`, with Basic client auth unless `clientAuth` is 'form' or 'none' */
export function postToken(
  sim: BitbucketSimulator,
  form: Record<string, string>,
  options: {
    clientAuth?: 'basic' | 'form' | 'none';
    consumer?: Pick<SimulatorConsumer, 'key' | 'secret'>;
  } = {},
): Promise<Response> {
  const { clientAuth = 'basic', consumer = demoConsumer } = options;
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
  };
  const body = new URLSearchParams(form);
  if (clientAuth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(
      `${consumer.key}:${consumer.secret}`,
    ).toString('base64')}`;
  } else if (clientAuth === 'form') {
    body.set('client_id', consumer.key);
    body.set('client_secret', consumer.secret);
  }
  return fetch(sim.tokenUrl, { method: 'POST', headers, body });
}

/** Consent as `username`, then exchange the code: the whole sign-in */
export async function signIn(
  sim: BitbucketSimulator,
  username = 'alice-bb',
  consumer: SimulatorConsumer = demoConsumer,
): Promise<TokenBody> {
  const location = await sim.approve(
    authorizeUrlFor(sim, {
      client_id: consumer.key,
      redirect_uri: consumer.callbackUrl,
    }),
    username,
  );
  const res = await postToken(
    sim,
    {
      grant_type: 'authorization_code',
      code: codeFrom(location),
      redirect_uri: consumer.callbackUrl,
    },
    { consumer },
  );
  if (res.status !== 200) {
    throw new Error(`Token exchange failed: ${res.status} ${await res.text()}`);
  }
  return (await res.json()) as TokenBody;
}

/** `GET` on the REST API with a bearer token */
export function getApi(
  sim: BitbucketSimulator,
  pathAndQuery: string,
  accessToken: string,
  init: RequestInit = {},
): Promise<Response> {
  const url = pathAndQuery.startsWith('http')
    ? pathAndQuery
    : `${sim.url}${pathAndQuery}`;
  return fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${accessToken}` },
  });
}
