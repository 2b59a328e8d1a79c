#!/usr/bin/env node
/*
 * `yarn start`: the Backstage app (:3000) and backend (:7007) for development.
 * With AUTH_BITBUCKET_CLIENT_ID and AUTH_BITBUCKET_CLIENT_SECRET set, sign-in
 * goes to Bitbucket Cloud; without them, to the local Bitbucket Cloud
 * simulator (:7010), so a fresh clone can sign in without a Bitbucket account.
 * Extra arguments go to `backstage-cli repo start`, e.g. `--config my.yaml`.
 */
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const useRealBitbucket = Boolean(
  process.env.AUTH_BITBUCKET_CLIENT_ID &&
    process.env.AUTH_BITBUCKET_CLIENT_SECRET,
);
const children = [];
let stopping = false;

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  process.exitCode = code;
}

function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  children.push(child);
  child.on('exit', code => stop(code ?? 1));
  return child;
}

const configArgs = ['--config', path.join(root, 'app-config.yaml')];
if (useRealBitbucket) {
  console.log(
    'Signing in with Bitbucket Cloud (AUTH_BITBUCKET_CLIENT_ID is set).',
  );
} else {
  console.log(
    'AUTH_BITBUCKET_CLIENT_ID/AUTH_BITBUCKET_CLIENT_SECRET are not set: signing in against the ' +
      'local Bitbucket Cloud simulator on http://localhost:7010, where you pick a demo user.',
  );
  run(process.execPath, [
    path.join(
      root,
      'packages/bitbucket-cloud-simulator/bin/bitbucket-cloud-simulator.js',
    ),
  ]);
  configArgs.push('--config', path.join(root, 'app-config.simulator.yaml'));
}
run('yarn', [
  'backstage-cli',
  'repo',
  'start',
  ...configArgs,
  ...process.argv.slice(2),
]);

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
