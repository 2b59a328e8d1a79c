#!/usr/bin/env node
/*
 * Runs the Bitbucket Cloud simulator as its own process, e.g. for `yarn start`.
 * Loads the TypeScript sources with the same transform `backstage-cli package
 * start` uses (`node --require @backstage/cli/config/nodeTransform.cjs`).
 * Knobs: see README.md (BITBUCKET_SIMULATOR_* environment variables).
 */
require('@backstage/cli/config/nodeTransform.cjs');

const { startBitbucketSimulator } = require('../src/index.ts');
const { simulatorOptionsFromEnv } = require('../src/env.ts');

async function main() {
  const simulator = await startBitbucketSimulator(
    simulatorOptionsFromEnv(process.env),
  );
  console.log(`Bitbucket Cloud simulator listening on ${simulator.url}`);

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
