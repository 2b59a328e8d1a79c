#!/usr/bin/env node
/*
 * `yarn workspace bench bench:catalog`: runs bench/src/catalogRun.ts through
 * the same TypeScript transform the backends use.
 */
require('@backstage/cli/config/nodeTransform.cjs');
require('../src/catalogRun.ts');
