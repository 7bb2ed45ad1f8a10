import { get, seg } from '../api.js';
import { badge, h, section, table } from '../dom.js';
import { IN_FLIGHT_POLL_MS, type View } from '../view.js';

type Line = Record<string, any> & { timestamp: string };

/** The services that always get a lane, in the order a payment reaches them. */
const LANES = ['payment', 'order', 'notification'];
const IDS = ['transactionId', 'orderId', 'userId', 'eventId'];

/** A call whose answer parked an outbox event DEAD (lib/ops/timeline.ts flagParkingCalls). */
const parked = (l: Line) => typeof l.parkedEventId === 'string';
const isFailure = (l: Line) =>
  parked(l) ||
  l.outcome === 'failed' ||
  l.outcome === 'rejected' ||
  String(l.level).toUpperCase() === 'ERROR';
/** The outcome in words: a parking call says what its answer cost. */
const outcomeText = (l: Line) => {
  const outcome = String(l.outcome ?? l.level ?? '');
  if (!parked(l)) return outcome;
  return `${[outcome, l.status].filter(Boolean).join(' ')}: parked event ${l.parkedEventId} DEAD`;
};
const what = (l: Line) => String(l.action ?? l.message ?? '');
const seconds = (ms: number) => `+${(ms / 1000).toFixed(3)} s`;

/**
 * #/trace/<correlationId>: every log line of one request, one lane per service
 * on a shared time axis (a bar when a line reports its duration, a mark
 * otherwise; failures in red and said in words), then the lines themselves.
 */
export const timelineView: View = async ({ segments, query }) => {
  const correlationId = segments[0] ?? '';
  // The window and path the linking page knew (a payment's own times) bound the lookup.
  const scope = new URLSearchParams();
  for (const key of ['from', 'to', 'path']) {
    const value = query.get(key);
    if (value) scope.set(key, value);
  }
  const { lines } = await get<{ lines: Line[] }>(
    `/logs/${seg(correlationId)}${scope.size > 0 ? `?${scope}` : ''}`,
  );
  const title = `Request ${correlationId}`;
  if (lines.length === 0) {
    return {
      title,
      node: h('p', { class: 'empty' }, 'No log line carries this correlation id yet.'),
      pollMs: IN_FLIGHT_POLL_MS,
    };
  }
  const at = (l: Line) => Date.parse(l.timestamp);
  const starts = lines.map((l) => at(l) - (Number(l.durationMs) || 0));
  const t0 = Math.min(...starts);
  const span = Math.max(1, Math.max(...lines.map(at)) - t0);
  const pct = (ms: number) => `${((ms / span) * 100).toFixed(3)}%`;
  const services = [...new Set([...LANES, ...lines.map((l) => String(l.service ?? 'unknown'))])];

  const lanes = services.map((service) => {
    const mine = lines.filter((l) => String(l.service ?? 'unknown') === service);
    const id = `lane-${service}`;
    return h(
      'div',
      { class: 'lane', 'data-service': service },
      h('h3', { class: 'lane-name', id }, service),
      h(
        'ol',
        { class: 'lane-track', 'aria-labelledby': id },
        mine.map((l) => {
          const duration = Number(l.durationMs) || 0;
          const start = at(l) - duration - t0;
          const label = `${seconds(start)} ${what(l)} ${outcomeText(l)}${duration ? ` (${duration} ms)` : ''}`;
          const mark = h(
            'li',
            {
              class: `mark${duration ? ' bar' : ''}${isFailure(l) ? ' fail' : ''}`,
              title: label,
            },
            h('span', { class: 'sr-only' }, `${label}${isFailure(l) ? ', failed' : ''}`),
          );
          // CSSOM, not a style attribute: allowed by the page's CSP.
          mark.style.left = pct(start);
          if (duration) mark.style.width = pct(duration);
          return mark;
        }),
      ),
    );
  });
  const axis = h(
    'div',
    { class: 'axis', 'aria-hidden': 'true' },
    h('span', {}, '0 s'),
    h('span', {}, seconds(span / 2)),
    h('span', {}, seconds(span)),
  );
  const rows = lines.map((l) => [
    seconds(at(l) - t0),
    String(l.service ?? ''),
    String(l.function_name ?? ''),
    what(l),
    isFailure(l) ? h('span', { class: 'badge tone-bad' }, outcomeText(l)) : badge(outcomeText(l)),
    IDS.filter((k) => l[k] !== undefined)
      .map((k) => `${k}=${l[k]}`)
      .join(' '),
    [
      l.durationMs !== undefined ? `${l.durationMs} ms` : '',
      l.status !== undefined ? `status ${l.status}` : '',
      l.error ? `${l.error.name ?? 'error'}: ${l.error.message ?? l.error}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  ]);
  // Lines keep arriving while the relay still works on the request's events.
  const recent = Date.now() - (t0 + span) < 60_000;
  return {
    title,
    node: h(
      'div',
      { class: 'sections' },
      section('waterfall-heading', 'Waterfall', h('div', { class: 'waterfall' }, lanes, axis)),
      section(
        'lines-heading',
        'Log lines',
        table(
          `${lines.length} log lines, in time order`,
          ['Offset', 'Service', 'Function', 'Action', 'Outcome', 'Ids', 'Details'],
          rows,
        ),
      ),
    ),
    pollMs: recent ? IN_FLIGHT_POLL_MS * 2 : undefined,
  };
};
