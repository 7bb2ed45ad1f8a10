// The wire format of GET /pulse, as the route builds it (types only: nothing of lib/ is bundled).
import type { Pulse } from '../../lib/payment/operator/pulse.js';
import { get } from '../api.js';
import { barChart, clock, legend, lineChart, type Point, type Series } from '../chart.js';
import { facts, h, link, section, table, time } from '../dom.js';
import type { View } from '../view.js';

/** The pulse reads every shard of two indexes: refreshed less often than the lists. */
export const PULSE_POLL_MS = 10_000;

const WINDOWS: [string, string][] = [
  ['15m', '15 min'],
  ['1h', '1 hour'],
  ['6h', '6 hours'],
];

const OUTCOMES: Series[] = [
  { label: 'succeeded', tone: 'good' },
  { label: 'declined', tone: 'bad' },
  { label: 'voided', tone: 'none' },
];
const DURATIONS: Series[] = [
  { label: 'p50', tone: 'accent' },
  { label: 'p99', tone: 'wait', dashed: true },
];
const BACKLOG: Series[] = [
  { label: 'PENDING', tone: 'wait' },
  { label: 'DEAD', tone: 'bad' },
];

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

const ms = (value: number | null) => (value === null ? '—' : `${value.toLocaleString()} ms`);
const atLeast = (value: number, capped: boolean) =>
  `${capped ? '≥ ' : ''}${value.toLocaleString()}`;

/** A "The numbers" disclosure that stays open across the view's refreshes. */
function numbers(id: string, content: Node): HTMLElement {
  const open = document.querySelector<HTMLDetailsElement>(`#${id}`)?.open ?? false;
  return h('details', { id, open }, h('summary', {}, 'The numbers'), content);
}

/** The bucket's start, as the fallback tables show it. */
const when = (iso: string) => h('time', { datetime: iso, title: iso }, clock(iso));

/** #/pulse?window=15m|1h|6h: what an on-call engineer opens first. */
export const pulseView: View = async ({ query }) => {
  const asked = query.get('window') ?? '1h';
  const pulse = await get<Pulse>(`/pulse?window=${encodeURIComponent(asked)}`);
  const { payments, outbox } = pulse;
  const per = pulse.bucketSeconds === 60 ? 'minute' : `${pulse.bucketSeconds / 60} minutes`;
  const span = WINDOWS.find(([name]) => name === pulse.window)?.[1] ?? pulse.window;
  const { totals } = payments;

  const windows = h(
    'nav',
    { class: 'windows', 'aria-label': 'Window' },
    WINDOWS.map(([name, label]) =>
      h(
        'a',
        {
          href: `#/pulse?window=${name}`,
          'aria-current': name === pulse.window ? 'page' : undefined,
        },
        `Last ${label}`,
      ),
    ),
  );

  const capNote = payments.capped
    ? h(
        'p',
        { class: 'warn', role: 'note' },
        `More than ${payments.cap.toLocaleString()} payments in this window: the read stopped at its cap. `,
        `Before ${clock(payments.completeFrom)} nothing is counted (grey, and left out of every total); `,
        'pick a shorter window, or read the CloudWatch pulse dashboard.',
      )
    : null;

  const paymentPoints: Point[] = payments.buckets.map((b) => ({
    start: b.start,
    values: [b.succeeded, b.declined, b.voided],
    missing: !b.complete,
  }));
  const durationPoints: Point[] = payments.buckets.map((b) => ({
    start: b.start,
    values: [b.p50Ms, b.p99Ms],
    missing: !b.complete,
  }));
  const backlogPoints: Point[] = outbox.buckets.map((b) => ({
    start: b.start,
    values: [b.pending, b.dead],
  }));
  const counted = payments.buckets.filter(
    (b) => b.complete && (b.succeeded ?? 0) + (b.declined ?? 0) + (b.voided ?? 0) > 0,
  );
  const backlogRows = outbox.buckets.filter((b) => b.pending + b.dead > 0);

  return {
    title: 'Pulse',
    node: h(
      'div',
      { class: 'sections' },
      h(
        'div',
        { class: 'pulse-head' },
        windows,
        h('p', { class: 'muted' }, 'As of ', time(pulse.at), `, per ${per}, refreshed every 10 s.`),
      ),
      section(
        'pulse-payments',
        `Payments per ${per} by outcome`,
        capNote,
        facts([
          ['Succeeded', String(totals.succeeded)],
          ['Declined', String(totals.declined)],
          ['Voided', String(totals.voided)],
        ]),
        barChart({
          id: 'chart-outcomes',
          title: `Payments per ${per} by outcome, last ${span}`,
          summary: `In the last ${span}: ${totals.succeeded} succeeded, ${totals.declined} declined, ${totals.voided} voided.`,
          series: OUTCOMES,
          points: paymentPoints,
        }),
        legend(OUTCOMES, [totals.succeeded, totals.declined, totals.voided]),
        h(
          'p',
          { class: 'muted' },
          'By the minute the charge started. A request the order refused, or one that failed before it was charged, writes no payment and is not here.',
        ),
      ),
      section(
        'pulse-duration',
        'Payment duration, p50 and p99',
        facts([
          ['p50', ms(payments.durationMs.p50)],
          ['p99', ms(payments.durationMs.p99)],
          ['Payments timed', String(payments.durationMs.timed)],
        ]),
        lineChart({
          id: 'chart-duration',
          title: `Payment duration per ${per}, p50 and p99, last ${span}`,
          summary: `Over the last ${span}: p50 ${ms(payments.durationMs.p50)}, p99 ${ms(payments.durationMs.p99)}, of ${payments.durationMs.timed} payments.`,
          series: DURATIONS,
          points: durationPoints,
          unit: ' ms',
        }),
        legend(DURATIONS),
        h(
          'p',
          { class: 'muted' },
          'From the charge written (createdAt) to the final status stored with its events (finalizedAt): the payment service’s own work, without the order’s check before it or the deliveries after.',
        ),
        numbers(
          'numbers-payments',
          table(
            `Payments per ${per}, newest first (those with none left out)`,
            ['From', 'Succeeded', 'Declined', 'Voided', 'p50', 'p99'],
            [...counted]
              .reverse()
              .map((b) => [
                when(b.start),
                String(b.succeeded),
                String(b.declined),
                String(b.voided),
                ms(b.p50Ms),
                ms(b.p99Ms),
              ]),
          ),
        ),
      ),
      section(
        'pulse-outbox',
        'Outbox: events PENDING and DEAD now',
        h(
          'ul',
          { class: 'tiles' },
          h(
            'li',
            { class: outbox.pending > 0 ? 'tile tone-wait' : 'tile' },
            h('strong', {}, atLeast(outbox.pending, outbox.capped)),
            ' PENDING',
          ),
          h(
            'li',
            { class: outbox.dead > 0 ? 'tile tone-bad' : 'tile' },
            h('strong', {}, atLeast(outbox.dead, outbox.capped)),
            ' DEAD',
          ),
          h(
            'li',
            { class: 'tile' },
            h('strong', {}, outbox.oldestPending ? age(outbox.oldestPending.ageSeconds) : 'none'),
            ' oldest PENDING',
          ),
        ),
        facts([
          [
            'Oldest PENDING',
            outbox.oldestPending
              ? [
                  link.payment(outbox.oldestPending.transactionId),
                  ', created ',
                  time(outbox.oldestPending.createdAt),
                ]
              : undefined,
          ],
          [
            'Created before the window',
            outbox.beforeWindow.pending + outbox.beforeWindow.dead > 0
              ? `${outbox.beforeWindow.pending} PENDING, ${outbox.beforeWindow.dead} DEAD`
              : undefined,
          ],
          [
            'Counts capped',
            outbox.capped
              ? `yes: more than ${outbox.cap.toLocaleString()} events, the backlog is larger than shown`
              : undefined,
          ],
        ]),
        barChart({
          id: 'chart-backlog',
          title: `Events PENDING and DEAD now, by the ${per} they were created, last ${span}`,
          summary: `Now: ${atLeast(outbox.pending, outbox.capped)} PENDING, ${atLeast(outbox.dead, outbox.capped)} DEAD${outbox.oldestPending ? `, the oldest PENDING ${age(outbox.oldestPending.ageSeconds)} old` : ''}.`,
          series: BACKLOG,
          points: backlogPoints,
        }),
        legend(BACKLOG, [outbox.pending, outbox.dead]),
        numbers(
          'numbers-backlog',
          table(
            `Events PENDING and DEAD now, by the ${per} they were created, newest first`,
            ['From', 'PENDING', 'DEAD'],
            [...backlogRows]
              .reverse()
              .map((b) => [when(b.start), String(b.pending), String(b.dead)]),
          ),
        ),
        h('p', {}, h('a', { href: '#/outbox' }, 'The DEAD events, to re-drive them')),
      ),
    ),
    pollMs: PULSE_POLL_MS,
  };
};
