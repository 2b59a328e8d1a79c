#!/usr/bin/env node
/*
 * The `bitbucket-cloud-simulator` command, e.g.
 *   npx @bitbucket-signin/bitbucket-cloud-simulator --port 7008 --callback-url http://localhost:7007/api/auth/bitbucket/handler/frame
 * Installed from the registry it runs the built code (dist/). In this
 * repository, where src/ is present (and dist/ may be stale or absent), it
 * loads the TypeScript sources with the transform `backstage-cli package
 * start` uses, as Backstage's own CLI does.
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const inRepository = existsSync(join(__dirname, '../src'));
if (inRepository) {
  require('@backstage/cli/config/nodeTransform.cjs');
}
const { runSimulatorCli } = require(inRepository
  ? '../src/index.ts'
  : '../dist/index.cjs.js');

async function main() {
  const simulator = await runSimulatorCli({
    args: process.argv.slice(2),
    env: process.env,
    print: text => console.log(text),
  });
  if (!simulator) {
    return; // --help
  }

  let stopping = false;
  const shutdown = () => {
    if (stopping) {
      process.exit(1); // a second signal: do not wait any longer
    }
    stopping = true;
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch(error => {
  console.error(`Bitbucket Cloud simulator failed to start: ${error.message}`);
  process.exit(1);
});
