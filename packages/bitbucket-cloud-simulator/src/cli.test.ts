import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseCliArgs, runSimulatorCli } from './cli';
import { demoConsumer } from './demoData';
import { authorizeUrlFor } from './testHelpers';

describe('parseCliArgs', () => {
  it('defaults to 127.0.0.1:7010 and the demo consumer', () => {
    expect(parseCliArgs([], {})).toEqual({
      help: false,
      options: expect.objectContaining({
        port: 7010,
        host: '127.0.0.1',
        consumers: [demoConsumer],
      }),
    });
  });

  it('reads --port, --host and --callback-url, which win over the environment variables', () => {
    const parsed = parseCliArgs(
      [
        '--port',
        '7008',
        '--host=0.0.0.0',
        '--callback-url',
        'http://localhost:7007/api/auth/bitbucket/handler/frame',
      ],
      {
        BITBUCKET_SIMULATOR_PORT: '7999',
        BITBUCKET_SIMULATOR_CALLBACK_URL: 'http://localhost:3000/cb',
        BITBUCKET_SIMULATOR_CLIENT_ID: 'id-from-env',
      },
    );
    expect(parsed).toEqual({
      help: false,
      options: expect.objectContaining({
        port: 7008,
        host: '0.0.0.0',
        consumers: [
          {
            ...demoConsumer,
            key: 'id-from-env',
            callbackUrl:
              'http://localhost:7007/api/auth/bitbucket/handler/frame',
          },
        ],
      }),
    });
  });

  it('answers help for --help and -h', () => {
    expect(parseCliArgs(['--help'], {})).toEqual({ help: true });
    expect(parseCliArgs(['-h'], {})).toEqual({ help: true });
  });

  it('says what is wrong with a flag', () => {
    expect(() => parseCliArgs(['--prot', '1'], {})).toThrow("'--prot'");
    expect(() => parseCliArgs(['--port', 'abc'], {})).toThrow(
      '--port must be an integer from 0 to 65535, got "abc"',
    );
    expect(() => parseCliArgs(['--port', '70000'], {})).toThrow('--port');
    expect(() => parseCliArgs(['--callback-url', 'not a url'], {})).toThrow(
      '--callback-url must be an absolute http(s) URL',
    );
    expect(() => parseCliArgs(['extra'], {})).toThrow("'extra'");
  });
});

describe('runSimulatorCli', () => {
  it('prints the usage for --help and starts nothing', async () => {
    const print = jest.fn();
    await expect(
      runSimulatorCli({ args: ['--help'], env: {}, print }),
    ).resolves.toBeUndefined();
    const usage = print.mock.calls.join('\n');
    for (const flag of ['--port', '--host', '--callback-url', '--help']) {
      expect(usage).toContain(flag);
    }
    expect(usage).toContain('npx @bitbucket-signin/bitbucket-cloud-simulator');
  });

  it('starts the simulator with the callback URL on the demo consumer and prints the app-config snippet', async () => {
    const print = jest.fn();
    const callbackUrl =
      'http://localhost:3007/api/auth/bitbucket/handler/frame';
    const sim = await runSimulatorCli({
      args: ['--port', '0', '--callback-url', callbackUrl],
      env: {},
      print,
    });
    try {
      expect(sim!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const output = print.mock.calls.join('\n');
      expect(output).toContain(
        `Bitbucket Cloud simulator listening on ${sim!.url}`,
      );
      expect(output).toContain(`auth:
  providers:
    bitbucket:
      development:
        clientId: simulator-client-id
        clientSecret: simulator-client-secret
        authorizationUrl: ${sim!.authorizationUrl}
        tokenUrl: ${sim!.tokenUrl}
        apiBaseUrl: ${sim!.apiBaseUrl}
`);
      expect(output).toContain(callbackUrl);
      const consent = await fetch(
        authorizeUrlFor(sim!, { redirect_uri: callbackUrl }),
      );
      expect(consent.status).toBe(200);
    } finally {
      await sim?.stop();
    }
  });
});

describe('bin/bitbucket-cloud-simulator.js', () => {
  it('prints the usage with --help and exits 0, and exits 1 on a bad flag', () => {
    const bin = join(__dirname, '../bin/bitbucket-cloud-simulator.js');
    const help = spawnSync(process.execPath, [bin, '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--callback-url');
    const bad = spawnSync(process.execPath, [bin, '--port', 'x'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--port must be an integer');
  }, 60_000);
});
