/**
 * Small self-contained SVG pictures (no dependencies): line charts (training curves,
 * autocorrelation functions) and configuration pictures (spins as black and white squares,
 * chains as mountain paths).
 */
import { configurationToGrid, type Geometry } from '@latticediff/lattice';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];
const FONT = 'font-family="sans-serif" font-size="12"';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) =>
    c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;',
  );
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
}

/** Round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return ticks;
}

function tickLabel(value: number): string {
  if (value === 0) return '0';
  const a = Math.abs(value);
  if (a >= 1e4 || a < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(4)));
}

/** One line of a chart. */
export interface ChartSeries {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

/** One chart panel. */
export interface ChartPanel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Draw a horizontal line at these y values (e.g. 0). */
  readonly referenceLines?: readonly number[];
}

function chartBody(panel: ChartPanel, top: number, width: number, height: number): string {
  const left = 64;
  const right = 190;
  const plotW = width - left - right;
  const plotH = height - 70;
  const y0 = top + 30;
  let xmin = Number.POSITIVE_INFINITY;
  let xmax = Number.NEGATIVE_INFINITY;
  let ymin = Number.POSITIVE_INFINITY;
  let ymax = Number.NEGATIVE_INFINITY;
  for (const s of panel.series) {
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xmin = Math.min(xmin, x);
      xmax = Math.max(xmax, x);
      ymin = Math.min(ymin, y);
      ymax = Math.max(ymax, y);
    }
  }
  for (const r of panel.referenceLines ?? []) {
    ymin = Math.min(ymin, r);
    ymax = Math.max(ymax, r);
  }
  if (!Number.isFinite(xmin)) {
    xmin = 0;
    xmax = 1;
    ymin = 0;
    ymax = 1;
  }
  if (xmax === xmin) xmax = xmin + 1;
  if (ymax === ymin) {
    ymin -= 0.5;
    ymax += 0.5;
  }
  const pad = (ymax - ymin) * 0.05;
  ymin -= pad;
  ymax += pad;
  const sx = (x: number) => left + ((x - xmin) / (xmax - xmin)) * plotW;
  const sy = (y: number) => y0 + plotH - ((y - ymin) / (ymax - ymin)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<text x="${left + plotW / 2}" y="${top + 18}" text-anchor="middle" ${FONT} font-weight="bold">${escapeXml(panel.title)}</text>`,
  );
  parts.push(
    `<rect x="${left}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
  );
  for (const t of niceTicks(xmin, xmax)) {
    if (t < xmin || t > xmax) continue;
    const x = sx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${y0 + plotH}" x2="${x}" y2="${y0 + plotH + 4}" stroke="#444"/>`,
    );
    parts.push(
      `<text x="${x}" y="${y0 + plotH + 16}" text-anchor="middle" ${FONT}>${tickLabel(t)}</text>`,
    );
  }
  for (const t of niceTicks(ymin, ymax)) {
    if (t < ymin || t > ymax) continue;
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${left - 4}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${left - 6}" y="${Number(y) + 4}" text-anchor="end" ${FONT}>${tickLabel(t)}</text>`,
    );
  }
  for (const r of panel.referenceLines ?? []) {
    const y = sy(r).toFixed(1);
    parts.push(
      `<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#888" stroke-dasharray="4 3"/>`,
    );
  }
  parts.push(
    `<text x="${left + plotW / 2}" y="${y0 + plotH + 34}" text-anchor="middle" ${FONT}>${escapeXml(panel.xLabel)}</text>`,
  );
  parts.push(
    `<text x="16" y="${y0 + plotH / 2}" text-anchor="middle" ${FONT} transform="rotate(-90 16 ${y0 + plotH / 2})">${escapeXml(panel.yLabel)}</text>`,
  );
  panel.series.forEach((s, k) => {
    const colour = PALETTE[k % PALETTE.length]!;
    const points: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (Number.isFinite(x) && Number.isFinite(y))
        points.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
    }
    if (points.length > 0) {
      parts.push(
        `<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="1.8"/>`,
      );
    }
    const ly = y0 + 12 + k * 18;
    parts.push(
      `<line x1="${left + plotW + 10}" y1="${ly}" x2="${left + plotW + 30}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${left + plotW + 35}" y="${ly + 4}" ${FONT}>${escapeXml(s.name)}</text>`);
  });
  return parts.join('\n');
}

/** Panels stacked vertically in one SVG document. */
export function chartsSvg(
  panels: readonly ChartPanel[],
  options: { width?: number; caption?: string } = {},
): string {
  const width = options.width ?? 720;
  const panelHeight = 280;
  const top = options.caption ? 22 : 0;
  const height = top + panelHeight * panels.length;
  const body = panels
    .map((p, k) => chartBody(p, top + k * panelHeight, width, panelHeight))
    .join('\n');
  const caption = options.caption
    ? `<text x="${width / 2}" y="16" text-anchor="middle" font-family="sans-serif" font-size="11" fill="#555">${escapeXml(options.caption)}</text>\n`
    : '';
  return svgDocument(width, height, caption + body);
}

function svgDocument(width: number, height: number, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<rect width="100%" height="100%" fill="white"/>
${body}
</svg>
`;
}

/** One configuration to draw, with a caption. */
export interface ConfigurationPanel {
  readonly label: string;
  readonly x: ArrayLike<number>;
  /** A warning drawn in red under the label, the panel framed in red (e.g. "not allowed"). */
  readonly flag?: string;
}

const FLAG_COLOUR = '#c00000';

/** The grey of digit v (0 white, d - 1 black). */
function greyOf(v: number, localDimension: number): number {
  const level = localDimension > 1 ? v / (localDimension - 1) : 0;
  return Math.round(255 * (1 - level));
}

/**
 * Configurations side by side: on a square lattice each site is a square (1 black, 0 white,
 * grey levels for d > 2), with a legend of the colours (`digitLabels[v]` names digit v, default
 * "x = v"); on a chain with d = 2 the configuration is drawn as a mountain path (h += 1 for
 * x_i = 1, h -= 1 for x_i = 0: the height profile of a Fredkin chain), with a line saying so;
 * other chains as a row of squares. `notes`: lines under the title (e.g. what a red frame means).
 */
export function configurationsSvg(
  geometry: Geometry,
  localDimension: number,
  panels: readonly ConfigurationPanel[],
  options: {
    title?: string;
    perRow?: number;
    digitLabels?: readonly string[];
    notes?: readonly string[];
  } = {},
): string {
  const perRow = Math.max(1, Math.min(options.perRow ?? 6, panels.length));
  const mountain = geometry.dimension === 1 && localDimension === 2;
  const panelW = mountain ? 220 : 150;
  const flagged = panels.some((p) => p.flag !== undefined);
  const legendLines = [
    ...(mountain ? ['each path: a step up for x_i = 1, a step down for x_i = 0'] : []),
    ...(options.notes ?? []),
  ];
  const parts: string[] = [];
  let lineY = options.title ? 38 : 14;
  for (const text of legendLines) {
    parts.push(`<text x="10" y="${lineY}" ${FONT} fill="#333">${escapeXml(text)}</text>`);
    lineY += 16;
  }
  if (!mountain) {
    // the colour legend: one swatch per digit
    let x = 10;
    for (let v = 0; v < localDimension; v++) {
      const grey = greyOf(v, localDimension);
      const label = options.digitLabels?.[v] ?? `x = ${v}`;
      parts.push(
        `<rect x="${x}" y="${lineY - 10}" width="12" height="12" fill="rgb(${grey},${grey},${grey})" stroke="#666"/>`,
      );
      parts.push(`<text x="${x + 16}" y="${lineY}" ${FONT}>${escapeXml(label)}</text>`);
      x += 16 + 7 * label.length + 14;
    }
    lineY += 16;
  }
  const titleH = lineY - 8;
  let panelH: number;
  if (mountain) {
    const heights = panels.map((p) => walk(p.x));
    let hmin = 0;
    let hmax = 1;
    for (const h of heights)
      for (const v of h) {
        hmin = Math.min(hmin, v);
        hmax = Math.max(hmax, v);
      }
    const plotH = Math.min(140, Math.max(60, (hmax - hmin) * 8));
    panelH = plotH + (flagged ? 56 : 40);
    panels.forEach((p, k) => {
      const ox = (k % perRow) * panelW + 10;
      const oy = titleH + Math.floor(k / perRow) * panelH;
      const h = heights[k]!;
      const n = Math.max(1, h.length - 1);
      const w = panelW - 20;
      const sx = (i: number) => ox + (i / n) * w;
      const sy = (v: number) => oy + 8 + plotH - ((v - hmin) / (hmax - hmin)) * plotH;
      parts.push(
        `<line x1="${ox}" y1="${sy(0).toFixed(1)}" x2="${ox + w}" y2="${sy(0).toFixed(1)}" stroke="#aaa"/>`,
      );
      const pts = h.map((v, i) => `${sx(i).toFixed(1)},${sy(v).toFixed(1)}`);
      const fillPts = [
        `${sx(0).toFixed(1)},${sy(0).toFixed(1)}`,
        ...pts,
        `${sx(n).toFixed(1)},${sy(0).toFixed(1)}`,
      ];
      parts.push(`<polygon points="${fillPts.join(' ')}" fill="#cfe0f3" stroke="none"/>`);
      parts.push(
        `<polyline points="${pts.join(' ')}" fill="none" stroke="#1f4e79" stroke-width="1.5"/>`,
      );
      parts.push(
        `<text x="${ox + w / 2}" y="${oy + plotH + 28}" text-anchor="middle" ${FONT}>${escapeXml(p.label)}</text>`,
      );
      if (p.flag !== undefined) {
        parts.push(
          `<rect x="${ox - 4}" y="${oy}" width="${w + 8}" height="${plotH + 16}" fill="none" stroke="${FLAG_COLOUR}" stroke-width="2"/>`,
        );
        parts.push(
          `<text x="${ox + w / 2}" y="${oy + plotH + 44}" text-anchor="middle" ${FONT} fill="${FLAG_COLOUR}">${escapeXml(p.flag)}</text>`,
        );
      }
    });
  } else {
    const grids = panels.map((p) => configurationToGrid(geometry, p.x));
    const rows = grids[0]?.length ?? 1;
    const cols = grids[0]?.[0]?.length ?? 1;
    const cell = Math.max(2, Math.min(24, Math.floor(130 / Math.max(rows, cols))));
    panelH = rows * cell + (flagged ? 50 : 34);
    const width = cols * cell;
    panels.forEach((p, k) => {
      const ox = (k % perRow) * panelW + (panelW - width) / 2;
      const oy = titleH + Math.floor(k / perRow) * panelH + 4;
      const grid = grids[k]!;
      grid.forEach((row, iy) => {
        row.forEach((v, ix) => {
          const grey = greyOf(v, localDimension);
          parts.push(
            `<rect x="${(ox + ix * cell).toFixed(1)}" y="${oy + iy * cell}" width="${cell}" height="${cell}" fill="rgb(${grey},${grey},${grey})"/>`,
          );
        });
      });
      parts.push(
        p.flag === undefined
          ? `<rect x="${ox.toFixed(1)}" y="${oy}" width="${width}" height="${rows * cell}" fill="none" stroke="#666"/>`
          : `<rect x="${(ox - 2).toFixed(1)}" y="${oy - 2}" width="${width + 4}" height="${rows * cell + 4}" fill="none" stroke="${FLAG_COLOUR}" stroke-width="2"/>`,
      );
      parts.push(
        `<text x="${(ox + width / 2).toFixed(1)}" y="${oy + rows * cell + 16}" text-anchor="middle" ${FONT}>${escapeXml(p.label)}</text>`,
      );
      if (p.flag !== undefined) {
        parts.push(
          `<text x="${(ox + width / 2).toFixed(1)}" y="${oy + rows * cell + 32}" text-anchor="middle" ${FONT} fill="${FLAG_COLOUR}">${escapeXml(p.flag)}</text>`,
        );
      }
    });
  }
  const rowsOfPanels = Math.ceil(panels.length / perRow);
  const legendWidth = Math.max(0, ...legendLines.map((l) => 7 * l.length + 20));
  const width = Math.max(perRow * panelW + 10, Math.min(legendWidth, 1200));
  const height = titleH + rowsOfPanels * panelH + 6;
  if (options.title) {
    parts.unshift(
      `<text x="${width / 2}" y="18" text-anchor="middle" ${FONT} font-weight="bold">${escapeXml(options.title)}</text>`,
    );
  }
  return svgDocument(width, height, parts.join('\n'));
}

function walk(x: ArrayLike<number>): number[] {
  const h = [0];
  let v = 0;
  for (let i = 0; i < x.length; i++) {
    v += x[i]! === 1 ? 1 : -1;
    h.push(v);
  }
  return h;
}

/** Label helper for times (t = 0: the end of the denoising, not necessarily an allowed sample). */
export function timeLabel(t: number): string {
  return t === 0 ? 't = 0 (denoised)' : `t = ${fmt(Number(t.toPrecision(3)))}`;
}

/**
 * A model and its parameters as a caption people read: `Ising 8x8 cylinder, beta = 0.4407,
 * coupling = 1, field = 0` (lx and ly as a size, numbers to 4 significant digits).
 */
export function modelCaption(
  modelId: string,
  parameters: Readonly<Record<string, unknown>>,
): string {
  const name = modelId.charAt(0).toUpperCase() + modelId.slice(1);
  const { lx, ly, boundary, ...rest } = parameters;
  const size =
    typeof lx === 'number' && typeof ly === 'number'
      ? ` ${lx}x${ly}${typeof boundary === 'string' ? ` ${boundary}` : ''}`
      : typeof boundary === 'string'
        ? ` ${boundary}`
        : '';
  const others = Object.entries({
    ...(typeof lx === 'number' && typeof ly === 'number' ? {} : { lx, ly }),
    ...rest,
  })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`);
  return `${name}${size}${others.length > 0 ? `, ${others.join(', ')}` : ''}`;
}
