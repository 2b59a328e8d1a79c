import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBackendProcess } from './backendProcess';

describe('startBackendProcess', () => {
  it('runs the given entry with the given node options, and says its pid', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backend-process-'));
    fs.writeFileSync(
      path.join(dir, 'probe.js'),
      `console.log('probe ' + JSON.stringify({ pid: process.pid, execArgv: process.execArgv, argv: process.argv.slice(2) }));
setInterval(() => {}, 1000);`,
    );
    const backend = startBackendProcess({
      name: 'probe',
      backendDir: dir,
      entry: 'probe.js',
      nodeArgs: ['--expose-gc'],
      port: 1,
      configFiles: ['a.yaml'],
      env: {},
    });
    try {
      let line: string | undefined;
      for (let i = 0; i < 200 && !line; i++) {
        await new Promise(resolve => setTimeout(resolve, 50));
        line = /^probe (.*)$/m.exec(backend.output())?.[1];
      }
      const seen = JSON.parse(line!);
      expect(seen.pid).toBe(backend.pid);
      expect(seen.execArgv).toContain('--expose-gc');
      expect(seen.argv).toEqual(['--config', 'a.yaml']);
    } finally {
      await backend.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
