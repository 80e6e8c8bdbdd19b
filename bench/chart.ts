// The bench's chart: wall time against the number of hosts, one panel per kind of run, one line per
// tool. A pure function from numbers to SVG text.
//
// Written by hand, not with a chart library: the chart is a few polylines, markers, axis ticks and
// labels on a fixed canvas, about a hundred lines of string building. The chart libraries on npm
// render through a DOM or a headless browser (d3, vega, chart.js) and would be the bench's biggest
// dependency by far for that; the output here is plain SVG 1.1 that GitHub and any browser show as
// an image.

export interface ChartPoint {
  /** number of hosts */
  x: number;
  /** seconds */
  y: number;
}
export interface ChartSeries {
  name: string;
  color: string;
  /** stroke-dasharray, e.g. '6 4' */
  dash?: string;
  points: ChartPoint[];
}
export interface ChartPanel {
  title: string;
  series: ChartSeries[];
}
export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  panels: ChartPanel[];
}

const PANEL_W = 420;
const PANEL_H = 300;
const MARGIN = { left: 58, right: 14, top: 34, bottom: 46 };
const TITLE_H = 30;
const LEGEND_ROW = 18;

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const num = (v: number) => (Math.round(v * 10) / 10).toString();

/** A step of 1, 2, 2.5 or 5 × 10^k (no 2.5 below 25: whole hosts) giving at most `most` intervals over [0, max]. */
export function niceStep(max: number, most = 6): number {
  if (!(max > 0)) return 1;
  const raw = max / most;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw && !(m === 2.5 && p < 10)) return m * p;
  return 10 * p;
}

/** Ticks of a log axis covering [lo, hi] (lo, hi > 0): the 1-2-5 sequence from the last tick ≤ lo to the first ≥ hi. */
export function logTicks(lo: number, hi: number): number[] {
  const cands: number[] = [];
  for (let k = Math.floor(Math.log10(lo)) - 1; k <= Math.ceil(Math.log10(hi)) + 1; k++) {
    for (const m of [1, 2, 5]) cands.push(Number((m * 10 ** k).toPrecision(6)));
  }
  const first = cands.filter((t) => t <= lo).pop() ?? cands[0];
  const last = cands.find((t) => t >= hi) ?? cands[cands.length - 1];
  const ticks = cands.filter((t) => t >= first && t <= last);
  // one value only (lo = hi = a tick): the ticks either side, so the axis has a height
  if (ticks.length === 1) {
    const i = cands.indexOf(ticks[0]);
    return cands.slice(Math.max(0, i - 1), i + 2);
  }
  return ticks;
}

const fmtTick = (v: number) => (v >= 1 ? String(v) : v.toPrecision(1).replace(/^0\./, '0.'));

/**
 * The chart as SVG text: panels side by side sharing the legend; x linear from 0 (hosts), y
 * logarithmic (seconds), so a tool twice as slow sits the same distance above at every size.
 * Series with no points are left out of the panel but kept in the legend.
 */
export function svgChart(spec: ChartSpec): string {
  const all = spec.panels.flatMap((p) => p.series.flatMap((s) => s.points)).filter((p) => p.y > 0 && Number.isFinite(p.y) && Number.isFinite(p.x));
  const legend: ChartSeries[] = [];
  for (const p of spec.panels) for (const s of p.series) if (!legend.some((l) => l.name === s.name)) legend.push(s);
  const width = Math.max(1, spec.panels.length) * PANEL_W;
  const legendRows = Math.ceil(legend.length / 3);
  const height = TITLE_H + PANEL_H + legendRows * LEGEND_ROW + 10;

  const xMaxData = all.length ? Math.max(...all.map((p) => p.x)) : 1;
  // room right of the last point, so that it never sits on the frame
  const xStep = niceStep(xMaxData * 1.05, 6);
  const xMax = Math.ceil((xMaxData * 1.05) / xStep) * xStep || xStep;
  const yLoData = all.length ? Math.min(...all.map((p) => p.y)) : 1;
  const yHiData = all.length ? Math.max(...all.map((p) => p.y)) : 10;
  const yTicks = logTicks(yLoData, yHiData);
  const yLo = yTicks[0];
  const yHi = yTicks[yTicks.length - 1];

  const plotW = PANEL_W - MARGIN.left - MARGIN.right;
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x / xMax) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - ((Math.log10(y) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo) || 1)) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  spec.panels.forEach((panel, i) => {
    out.push(`<g class="panel" transform="translate(${i * PANEL_W},${TITLE_H})">`);
    out.push(`<text class="panel-title" x="${num(MARGIN.left + plotW / 2)}" y="18" text-anchor="middle" font-size="12" font-weight="bold">${escapeXml(panel.title)}</text>`);
    // grid and ticks
    for (let x = 0; x <= xMax + 1e-9; x += xStep) {
      out.push(`<line x1="${num(sx(x))}" y1="${MARGIN.top}" x2="${num(sx(x))}" y2="${MARGIN.top + plotH}" stroke="#e5e5e5"/>`);
      out.push(`<text class="x-tick" x="${num(sx(x))}" y="${MARGIN.top + plotH + 14}" text-anchor="middle">${num(x)}</text>`);
    }
    for (const t of yTicks) {
      out.push(`<line x1="${MARGIN.left}" y1="${num(sy(t))}" x2="${MARGIN.left + plotW}" y2="${num(sy(t))}" stroke="#e5e5e5"/>`);
      out.push(`<text class="y-tick" x="${MARGIN.left - 5}" y="${num(sy(t) + 4)}" text-anchor="end">${fmtTick(t)}</text>`);
    }
    out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888888"/>`);
    out.push(`<text class="x-label" x="${num(MARGIN.left + plotW / 2)}" y="${PANEL_H - 8}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
    out.push(`<text class="y-label" transform="translate(14,${num(MARGIN.top + plotH / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`);
    for (const s of panel.series) {
      const pts = s.points.filter((p) => p.y > 0 && Number.isFinite(p.y) && Number.isFinite(p.x)).sort((a, b) => a.x - b.x);
      if (!pts.length) continue;
      const dash = s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : '';
      out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
      if (pts.length > 1) {
        out.push(`<polyline fill="none" stroke="${escapeXml(s.color)}" stroke-width="2"${dash} points="${pts.map((p) => `${num(sx(p.x))},${num(sy(p.y))}`).join(' ')}"/>`);
      }
      for (const p of pts) {
        out.push(`<circle cx="${num(sx(p.x))}" cy="${num(sy(p.y))}" r="3" fill="${escapeXml(s.color)}"><title>${escapeXml(`${s.name}: ${p.y.toFixed(2)} s at ${p.x} hosts`)}</title></circle>`);
      }
      out.push('</g>');
    }
    out.push('</g>');
  });
  // legend, three per row under the panels
  const colW = width / 3;
  legend.forEach((s, i) => {
    const x = (i % 3) * colW + 20;
    const y = TITLE_H + PANEL_H + Math.floor(i / 3) * LEGEND_ROW + 4;
    const dash = s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : '';
    out.push(`<line x1="${num(x)}" y1="${y}" x2="${num(x + 24)}" y2="${y}" stroke="${escapeXml(s.color)}" stroke-width="2"${dash}/>`);
    out.push(`<text class="legend" x="${num(x + 30)}" y="${y + 4}">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
