// prettier 2, the repository's formatter, ships no types; this is the one call used here
declare module 'prettier' {
  export function format(source: string, options: { parser: string }): string;
}
