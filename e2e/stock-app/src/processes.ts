import { spawn } from 'node:child_process';
import path from 'node:path';
import { seconds, tail } from './report';

export const repoRoot = path.resolve(__dirname, '../../..');

/** Variables Yarn sets when it runs this repository's script */
const YARN_VARS =
  /^(npm_(package|lifecycle|execpath|node_execpath|config_user_agent)|BERRY_|YARN_IGNORE_PATH|PROJECT_CWD|INIT_CWD|NODE_OPTIONS)/;

/**
 * The environment of a command in a stock app, which has its own Yarn: none
 * of the variables, shims and bins of this repository's. npx does not ask.
 */
export function appEnv(extra: Record<string, string> = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of Object.keys(env)) if (YARN_VARS.test(key)) delete env[key];
  delete env.CI; // as on an admin's machine, where Yarn writes the lockfile
  const ours = (dir: string) =>
    dir.startsWith(repoRoot) || dir === process.env.BERRY_BIN_FOLDER;
  env.PATH = env.PATH?.split(':')
    .filter(dir => !ours(dir))
    .join(':');
  return { ...env, npm_config_yes: 'true' };
}

type Env = NodeJS.ProcessEnv;

/** `bash -c script` in its own process group: stopping it stops all it started */
export function start(script: string, cwd: string, env: Env = appEnv()) {
  console.log(`$ ${script}   (in ${cwd})`);
  const options = { cwd, env, detached: true }; // detached: its own group
  const child = spawn('bash', ['-c', `set -e\n${script}`], options);
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk).slice(-1_000_000);
    if (process.env.STOCK_APP_VERBOSE === '1') process.stdout.write(chunk);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>(r => child.once('close', r));
  const running = () => child.exitCode === null && child.signalCode === null;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // gone already
    }
  };
  const killOnExit = () => signal('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    signal('SIGKILL'); // whatever it left in its group
    process.removeListener('exit', killOnExit);
  };
  return { output: () => output, running, exited, stop };
}

/** Runs `bash -c script` to its end; throws with its output's tail on failure */
export async function run(script: string, cwd: string, env: Env = appEnv()) {
  const t0 = Date.now();
  const child = start(script, cwd, env);
  const code = await child.exited;
  console.log(`  (${seconds(Date.now() - t0)}, exit code ${code})`);
  if (code !== 0) {
    const command = script.split('\n')[0];
    throw new Error(`${command}: exit ${code}\n${tail(child.output())}`);
  }
  return child.output();
}
