/** One sample line of Prometheus' text exposition format */
export type Sample = {
  name: string;
  labels: Record<string, string>;
  value: number;
};

// `name{a="b",...} value`; a label value may hold `}` (endpoint="/workspaces/{workspace}/members")
const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a scrape; comments (# HELP, # TYPE) and blank lines are skipped */
export function parseExposition(text: string): Sample[] {
  return text.split('\n').flatMap(line => {
    const [, name, labels = '', value] = SAMPLE.exec(line) ?? [];
    // the format escapes \\, \" and \n as JSON does
    const pairs = [...labels.matchAll(LABEL)].map(([, k, v]) => [
      k,
      JSON.parse(`"${v}"`),
    ]);
    return name
      ? [{ name, labels: Object.fromEntries(pairs), value: +value }]
      : [];
  });
}
