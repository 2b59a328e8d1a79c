#!/usr/bin/env node
/*
 * `yarn bench` (from the repository root): runs bench/src/index.ts through the
 * same TypeScript transform the backends use.
 */
require('@backstage/cli/config/nodeTransform.cjs');
require('../src/index.ts');
