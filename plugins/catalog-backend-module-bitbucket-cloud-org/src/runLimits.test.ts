import { mockServices } from '@backstage/backend-test-utils';
import { metricsServiceMock } from '@backstage/backend-test-utils/alpha';
import { ConfigReader } from '@backstage/config';
import { EntityProviderMutation } from '@backstage/plugin-catalog-node';
import { startLoopbackServer } from '@bitbucket-signin/test-kit';
import { ServerResponse } from 'node:http';
import { recordingLogger } from './__testUtils__/recordingLogger';
import { BitbucketCloudOrgEntityProvider } from './provider';

const KEY = 'catalog.providers.bitbucketCloudOrg.acme';
const MEMBERS = '/2.0/workspaces/acme/members';

/** A member as Bitbucket lists one; `pad` makes the row as large as wanted */
function member(i: number, pad = 0) {
  const hex = i.toString(16).padStart(12, '0');
  return {
    type: 'workspace_membership',
    user: {
      uuid: `{00000000-0000-4000-a000-${hex}}`,
      nickname: `member${i}`,
      display_name: `Member ${i}${' '.repeat(pad)}`,
    },
  };
}

/**
 * Runs against a loopback Bitbucket whose members list the test serves: the
 * first run reads one good page, later runs whatever `hostile` serves.
 */
describe('the limits of one run', () => {
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;
  let hostile: ((res: ServerResponse, page: number) => void) | undefined;
  let memberPagesServed: number;

  beforeEach(async () => {
    hostile = undefined;
    memberPagesServed = 0;
    server = await startLoopbackServer((req, res) => {
      req.resume();
      const url = new URL(req.url!, server.url);
      const page = Number(url.searchParams.get('page') ?? 1);
      if (url.pathname === MEMBERS && hostile) {
        memberPagesServed += 1;
        hostile(res, page);
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          values: url.pathname === MEMBERS ? [member(1), member(2)] : [],
        }),
      );
    });
  });

  afterEach(async () => {
    await server.stop();
  });

  /** Endless pages of `perPage` members each, every one linking to the next */
  const endlessPages = (perPage: number, pad = 0) => {
    return (res: ServerResponse, page: number) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          values: Array.from({ length: perPage }, (_, i) =>
            member(page * perPage + i, pad),
          ),
          next: `${server.url}${MEMBERS}?pagelen=100&page=${page + 1}`,
        }),
      );
    };
  };

  async function provider(limits: object) {
    const logger = recordingLogger();
    const scheduler = mockServices.scheduler.mock();
    const metrics = metricsServiceMock.mock();
    const [org] = BitbucketCloudOrgEntityProvider.fromConfig(
      new ConfigReader({
        catalog: {
          providers: {
            bitbucketCloudOrg: {
              acme: {
                workspace: 'acme',
                apiToken: { email: 'svc@example.com', token: 'api-token' },
                apiBaseUrl: `${server.url}/2.0`,
                limits,
              },
            },
          },
        },
      }),
      { logger, scheduler, metrics },
    );
    const mutations: EntityProviderMutation[] = [];
    await org.connect({
      applyMutation: async mutation => {
        mutations.push(mutation);
      },
      refresh: async () => {},
    });
    const run = () => org.refresh(new AbortController().signal);
    await run();
    expect(mutations).toHaveLength(1);
    /** The attributes of each run the runs counter counted */
    const runsCounted = () => {
      const { calls, results } = metrics.createCounter.mock;
      const runs = calls.findIndex(([name]) => name.endsWith('.runs'));
      return results[runs].value.add.mock.calls.map(
        ([, attributes]: [number, object]) => attributes,
      );
    };
    expect(runsCounted()).toEqual([{ provider: 'acme', outcome: 'ok' }]);
    return { run, mutations, logger, runsCounted };
  }

  const limitReached = (limit: string) => ({
    provider: 'acme',
    outcome: 'limit_reached',
    limit,
  });

  it('stops a 1,000-page members list at limits.maxMembers, applies nothing and keeps the last good entities', async () => {
    const { run, mutations, logger, runsCounted } = await provider({
      maxMembers: 250,
    });
    hostile = endlessPages(100);
    await run();
    expect(mutations).toHaveLength(1);
    expect(runsCounted().at(-1)).toEqual(limitReached('maxMembers'));
    expect(memberPagesServed).toBe(3);
    expect(logger.lines.at(-1)).toBe(
      `error Could not refresh the Users and Groups of Bitbucket Cloud workspace acme (${KEY}); the catalog keeps those of the last successful run. Bitbucket Cloud answered GET ${MEMBERS} with more than 250 entries; nothing of it was used. The run stopped at ${KEY}.limits.maxMembers (250 members per run)`,
    );
  });

  it('stops a list of empty pages that never ends, naming limits.maxMembers', async () => {
    const { run, mutations, logger } = await provider({ maxMembers: 250 });
    hostile = endlessPages(0);
    await run();
    expect(mutations).toHaveLength(1);
    // pages of at least 10 members, Bitbucket's smallest default
    expect(memberPagesServed).toBe(26);
    expect(logger.lines.at(-1)).toContain(
      `The run stopped at ${KEY}.limits.maxMembers (250 members per run)`,
    );
  });

  it('stops reading at limits.maxBytes, however few the members', async () => {
    const { run, mutations, logger, runsCounted } = await provider({
      maxBytes: 64 * 1024,
    });
    // one member of about 4 KiB a page
    hostile = endlessPages(1, 4096);
    await run();
    expect(mutations).toHaveLength(1);
    expect(runsCounted().at(-1)).toEqual(limitReached('maxBytes'));
    expect(memberPagesServed).toBeLessThan(20);
    expect(logger.lines.at(-1)).toContain(
      `The run stopped at ${KEY}.limits.maxBytes (65536 bytes per run)`,
    );
  });

  it('ends a slow-drip body at limits.runTimeout, applying nothing', async () => {
    const { run, mutations, logger, runsCounted } = await provider({
      runTimeout: { milliseconds: 300 },
    });
    hostile = res => {
      res.setHeader('content-type', 'application/json');
      res.write('{');
      const drip = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(drip));
    };
    await run();
    expect(mutations).toHaveLength(1);
    expect(runsCounted().at(-1)).toEqual(limitReached('runTimeout'));
    expect(logger.lines.at(-1)).toContain(
      `Bitbucket Cloud failed: GET ${MEMBERS} did not answer within ${KEY}.limits.runTimeout`,
    );
  });
});
