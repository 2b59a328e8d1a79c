#!/usr/bin/env node
/*
 * Reads `yarn install` output on stdin and fails on any peer-dependency
 * warning (YN0002, YN0060) other than those docs/contributing.md lists as expected
 * ("What install and start print"), so a new one is noticed, not normalised.
 */
const expected = [
  // @material-ui/core 4 declares React 16/17; Backstage runs it on React 18
  /YN0060: .*\breact(-dom)? is listed by your project with version 18\.[\d.]+ \(\w+\), which doesn't satisfy what @material-ui\/core and other dependencies request/,
  // giving these @types/react 18 turns the warning into YN0060 for @material-ui/core
  /YN0002: .*@bitbucket-signin\/plugin-auth-bitbucket-react@workspace:\S+ doesn't provide @types\/react/,
  /YN0002: .*app@workspace:packages\/app doesn't provide @types\/react/,
];

const { stripVTControlCharacters } = require('node:util');

let input = '';
process.stdin.on('data', chunk => (input += chunk));
process.stdin.on('end', () => {
  const warnings = input
    .split('\n')
    .map(line => stripVTControlCharacters(line))
    .filter(line => /YN0002|YN0060/.test(line));
  const unexpected = warnings.filter(w => !expected.some(e => e.test(w)));
  if (unexpected.length > 0) {
    console.error(
      `yarn install printed ${
        unexpected.length
      } unexpected warning(s):\n${unexpected.join('\n')}\n` +
        'Fix them, or list them as expected in docs/contributing.md and in scripts/check-install-warnings.js',
    );
    process.exit(1);
  }
  console.log(
    `yarn install: ${warnings.length} peer-dependency warnings, all expected`,
  );
});
