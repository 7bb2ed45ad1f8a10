/**
 * Small hand-written SVG charts for the pulse: stacked bars and lines over
 * time buckets, with axes and text labels. Each chart is an image with a
 * name and a description for screen readers, and the numbers behind it are
 * a table (under "The numbers"); colour is never the only way to tell a
 * series: the legend names each one, lines differ by dash, bars by order.
 */
import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 720;
const HEIGHT = 190;
const PAD = { left: 48, right: 86, top: 12, bottom: 26 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;

/** An SVG element with attributes and children. */
function s(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children)
    el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  return el;
}

/** One series of a chart: its name (legend, labels, table) and its tone (colour class). */
export interface Series {
  label: string;
  tone: 'good' | 'bad' | 'wait' | 'none' | 'accent';
  /** Lines only: drawn dashed. */
  dashed?: boolean;
}

/** One bucket: its start (ISO) and one value per series (null: none, e.g. no payment to time). */
export interface Point {
  start: string;
  values: (number | null)[];
  /** Not counted: the read stopped at its cap before reading this bucket whole. */
  missing?: boolean;
}

/** What a chart shows. */
export interface ChartSpec {
  id: string;
  /** The chart's name, e.g. "Payments per minute by outcome". */
  title: string;
  /** What it says in one sentence: the description screen readers read. */
  summary: string;
  series: Series[];
  points: Point[];
  /** Unit after a value, e.g. " ms". */
  unit?: string;
}

/** A time as HH:MM, local. */
export function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}

/** A round upper bound for the y axis (1, 2, 5 × 10^n). */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((m) => m * power >= value) ?? 10) * power;
}

/** The frame of a chart: its image element, y axis with gridlines, x axis with times. */
function frame(spec: ChartSpec, max: number): SVGElement {
  const svg = s('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-labelledby': `${spec.id}-title ${spec.id}-desc`,
    class: 'chart',
  });
  svg.append(s('title', { id: `${spec.id}-title` }, spec.title));
  svg.append(s('desc', { id: `${spec.id}-desc` }, spec.summary));
  for (const fraction of [0, 0.5, 1]) {
    const y = PAD.top + PLOT_H * (1 - fraction);
    svg.append(
      s('line', { x1: PAD.left, x2: PAD.left + PLOT_W, y1: y, y2: y, class: 'grid' }),
      s(
        'text',
        { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' },
        formatValue(max * fraction, spec.unit),
      ),
    );
  }
  const n = spec.points.length;
  for (const i of [0, Math.floor(n / 2), n - 1]) {
    const point = spec.points[i];
    if (!point) continue;
    svg.append(
      s(
        'text',
        {
          x: PAD.left + (PLOT_W * (i + 0.5)) / n,
          y: HEIGHT - 8,
          'text-anchor': 'middle',
          class: 'tick',
        },
        clock(point.start),
      ),
    );
  }
  return svg;
}

function formatValue(value: number, unit = ''): string {
  const rounded = value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${rounded.toLocaleString()}${unit}`;
}

/** Buckets the read could not count whole: a grey band with its reason as a tooltip. */
function gaps(svg: SVGElement, points: Point[]): void {
  const width = PLOT_W / points.length;
  points.forEach((point, i) => {
    if (!point.missing) return;
    svg.append(
      s(
        'rect',
        { x: PAD.left + i * width, y: PAD.top, width, height: PLOT_H, class: 'gap' },
        s('title', {}, `${clock(point.start)}: not counted (the read stopped at its cap)`),
      ),
    );
  });
}

/** What a bucket holds, in words (its tooltip). */
function describe(spec: ChartSpec, point: Point): string {
  const parts = spec.series.map(
    (series, i) => `${formatValue(point.values[i] ?? 0, spec.unit)} ${series.label}`,
  );
  return `${clock(point.start)}: ${parts.join(', ')}`;
}

/** Stacked bars, one per bucket, the series stacked in order from the axis up. */
export function barChart(spec: ChartSpec): SVGElement {
  const totals = spec.points.map((p) => p.values.reduce<number>((sum, v) => sum + (v ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const svg = frame(spec, max);
  gaps(svg, spec.points);
  const width = PLOT_W / spec.points.length;
  spec.points.forEach((point, i) => {
    if ((totals[i] ?? 0) === 0) return;
    const group = s('g', {}, s('title', {}, describe(spec, point)));
    let base = 0;
    spec.series.forEach((series, k) => {
      const value = point.values[k] ?? 0;
      if (value === 0) return;
      const height = (PLOT_H * value) / max;
      group.append(
        s('rect', {
          x: PAD.left + i * width + width * 0.12,
          y: PAD.top + PLOT_H - base - height,
          width: Math.max(1, width * 0.76),
          height,
          class: `fill-${series.tone}`,
        }),
      );
      base += height;
    });
    svg.append(group);
  });
  return svg;
}

/** One line per series over the buckets (a null value breaks the line), each labelled at its last point. */
export function lineChart(spec: ChartSpec): SVGElement {
  const values = spec.points.flatMap((p) => p.values.filter((v): v is number => v !== null));
  const max = niceMax(Math.max(0, ...values));
  const svg = frame(spec, max);
  gaps(svg, spec.points);
  const width = PLOT_W / spec.points.length;
  const x = (i: number) => PAD.left + width * (i + 0.5);
  const y = (v: number) => PAD.top + PLOT_H * (1 - v / max);
  spec.series.forEach((series, k) => {
    let run: string[] = [];
    let last: { i: number; v: number } | undefined;
    const flush = () => {
      if (run.length > 0)
        svg.append(
          s('polyline', {
            points: run.join(' '),
            class: `line stroke-${series.tone}${series.dashed ? ' dashed' : ''}`,
          }),
        );
      run = [];
    };
    spec.points.forEach((point, i) => {
      const v = point.values[k];
      if (v === null || v === undefined) {
        flush();
        return;
      }
      run.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      svg.append(
        s(
          'circle',
          { cx: x(i), cy: y(v), r: 2.5, class: `fill-${series.tone}` },
          s('title', {}, `${clock(point.start)}: ${series.label} ${formatValue(v, spec.unit)}`),
        ),
      );
      last = { i, v };
    });
    flush();
    if (last)
      svg.append(
        s(
          'text',
          { x: x(last.i) + 6, y: y(last.v) + 4 + k * 12, class: `tick label-${series.tone}` },
          `${series.label} ${formatValue(last.v, spec.unit)}`,
        ),
      );
  });
  return svg;
}

/** The legend: each series by name, with its swatch and (optionally) a figure. */
export function legend(series: Series[], figures?: (string | number)[]): HTMLElement {
  return h(
    'ul',
    { class: 'legend' },
    series.map((item, i) =>
      h(
        'li',
        {},
        h('span', {
          class: `swatch fill-bg-${item.tone}${item.dashed ? ' dashed' : ''}`,
          'aria-hidden': 'true',
        }),
        item.label,
        figures ? [': ', h('strong', {}, String(figures[i]))] : null,
      ),
    ),
  );
}
