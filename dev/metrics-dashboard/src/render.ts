import { chromiumLaunchOptions } from '@bitbucket-signin/test-kit';
import { chromium } from 'playwright-core';
import { evaluatePanels, Line, WINDOW_SECONDS } from './panels';
import type { Recording } from './record';

type Panel = { title: string; description: string; fieldConfig: any };

const PALETTE = '#F2CC0C #8AB8FF #FF780A #B877D9 #5794F2 #73BF69'.split(' ');
const color = (label: string, i: number) =>
  (label === 'ok' && '#73BF69') ||
  (/removed|sign-ins/.test(label) && '#F2495C') ||
  PALETTE[i % PALETTE.length];
const [W, H, L, R, T, B] = [592, 190, 64, 584, 8, 168];
const line = (x1: number, y1: number, x2: number, y2: number, cls = '') =>
  `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" class="${cls}"/>`;
const text = (x: number, y: number, s: unknown, anchor = 'middle') =>
  `<text x="${x}" y="${y}" text-anchor="${anchor}">${s}</text>`;

function format(unit: string, v: number) {
  const r = (x: number) => +x.toFixed(2);
  if (unit === 'percentunit') return `${r(v * 100)}%`;
  if (unit === 's') return v && v < 1 ? `${r(v * 1000)} ms` : `${r(v)} s`;
  return unit === 'reqps' ? `${r(v)}/s` : `${r(v)}`;
}

/** One panel's plot: the scenario's phases (faults shaded), grid, alert threshold, lines */
function plot(rec: Recording, lines: Line[], unit: string, threshold?: number) {
  const [t0, t1] = [rec.times[0], rec.times.at(-1)!];
  const max = Math.max(...lines.flatMap(l => l.values.map(v => v ?? 0)));
  // a threshold far above the data (90 m of org sync age) would flatten it
  const limit = threshold && threshold <= max * 2 ? threshold : undefined;
  const range = Math.max(max, limit ?? 0) * 1.05 || 1;
  const pow = 10 ** Math.floor(Math.log10(range / 4));
  const step = [1, 2, 2.5, 5, 10].map(m => m * pow).find(s => range / s <= 5)!;
  const top = step * Math.ceil(range / step);
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (R - L);
  const y = (v: number) => T + (1 - v / top) * (B - T);
  const svg = rec.phases.map(({ from, to }, i) => {
    const fault = i > 0 && i < rec.phases.length - 1;
    const shade = `<rect x="${x(from)}" y="${T}" width="${x(to) - x(from)}"`;
    return `${shade} height="${B - T}" class="${fault ? 'fault' : 'none'}"/>
      ${line(x(from), T, x(from), B, 'phase')}${text(x(from) + 7, 19, i + 1)}`;
  });
  for (let v = 0; v <= top; v += step) {
    svg.push(
      line(L, y(v), R, y(v)),
      text(L - 6, y(v) + 4, format(unit, v), 'end'),
    );
  }
  for (let t = Math.ceil(t0 / 60) * 60; t <= t1; t += 60) {
    const clock = new Date(t * 1000).toISOString().slice(11, 16);
    svg.push(line(x(t), T, x(t), B), text(x(t), H - 6, clock));
  }
  if (limit) svg.push(line(L, y(limit), R, y(limit), 'threshold'));
  lines.forEach(({ label, values }, i) => {
    const points = values.map((v, j) =>
      v === null
        ? ''
        : `${(values[j - 1] ?? null) === null ? 'M' : 'L'}${x(
            rec.times[j],
          )},${y(v)}`,
    );
    svg.push(`<path d="${points.join('')}" stroke="${color(label, i)}"/>`);
  });
  return `<svg width="${W}" height="${H}">${svg.join('')}</svg>`;
}

/** The dashboard as an HTML page in Grafana's dark theme, its panels in its order */
export function dashboardHtml(rec: Recording, title: string, panels: Panel[]) {
  const evaluated = evaluatePanels(rec);
  const cards = panels.map(panel => {
    const { unit, thresholds } = panel.fieldConfig.defaults;
    const lines = evaluated[panel.title];
    if (!lines) throw new Error(`Nothing computes the panel "${panel.title}"`);
    const legend = lines.map(({ label, values }, i) => {
      const max = format(unit, Math.max(...values.map(v => v ?? 0)));
      const swatch = `<i style="background:${color(label, i)}"></i>`;
      return `<span>${swatch}${label} <em>max ${max}</em></span>`;
    });
    const chart = plot(rec, lines, unit, thresholds.steps[1]?.value);
    return `<section><h2>${panel.title}</h2><p>${panel.description}</p>
      ${chart}<div>${legend.join('')}</div></section>`;
  });
  const phases = rec.phases.map(
    ({ name, from, to }, i) =>
      `<span><b>${i + 1}</b> ${name} (${to - from} s)</span>`,
  );
  const when = new Date(rec.times[0] * 1000).toISOString().slice(0, 16);
  return `<!doctype html><style>
body{margin:0;padding:16px;width:1248px;background:#111217;color:#ccccdc;font:12px Inter,Helvetica,Arial,sans-serif}
h1{font-size:18px;margin:0 0 4px;color:#fff} header p{margin:0 0 10px;color:#8e8e8e} header span{margin-right:14px}
b{color:#fff;background:#ffffff1a;padding:0 5px;border-radius:3px} main{display:grid;grid-template-columns:1fr 1fr;gap:12px}
section{background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:10px 12px}
h2{font-size:14px;margin:0 0 2px;color:#fff} section p{margin:0 0 6px;color:#8e8e8e;font-size:11px;min-height:28px}
text{fill:#8e8e8e;font-size:10px} line{stroke:#2c3235} .threshold{stroke:#F2495C;stroke-dasharray:6 4}
.phase{stroke:#ccccdc50;stroke-dasharray:2 3} .fault{fill:#F2495C14} .none{fill:none} path{fill:none;stroke-width:2}
section span{display:inline-block;margin-right:14px} em{font-style:normal;color:#8e8e8e}
i{display:inline-block;width:12px;height:3px;margin:0 5px 3px 0;vertical-align:middle}
</style><header><h1>${title}</h1><p>Recorded ${when.replace('T', ' ')} UTC:
the demo backend against the Bitbucket simulator, scraped every ${
    rec.scrapeSeconds
  } s.
Rates over ${WINDOW_SECONDS} s windows (the dashboard's queries use 5 m). Dashed red: the alert threshold.</p>
<p>${phases.join('')}</p></header><main>${cards.join('')}</main>`;
}

/** Screenshots the page 1280 px wide, full height */
export async function screenshot(html: string, file: string) {
  const browser = await chromium.launch(chromiumLaunchOptions());
  try {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 800 },
    });
    await page.setContent(html);
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await browser.close();
  }
}
