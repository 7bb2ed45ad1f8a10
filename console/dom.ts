/** Tiny DOM helpers: elements from tags, attributes and children, and the console's shared bits. */

type Child = Node | string | number | false | null | undefined | Child[];
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** An element with attributes (`on*` are listeners) and children (falsy ones skipped). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A section named by its own heading: `aria-labelledby` points at the h2's `id`. */
export function section(id: string, heading: Child, ...children: Child[]): HTMLElement {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, heading), ...children);
}

/** Links to each object's own page. */
export const link = {
  payment: (id: string) => h('a', { href: `#/payments/${encodeURIComponent(id)}` }, id),
  order: (id: string) => h('a', { href: `#/orders/${encodeURIComponent(id)}` }, id),
  user: (id: string) => h('a', { href: `#/users/${encodeURIComponent(id)}` }, id),
  /** A request's timeline; `scope` (from, to, path) bounds the lookup in AWS. */
  trace: (id: string, label: string = id, scope?: Record<string, string>) =>
    h(
      'a',
      {
        href: `#/trace/${encodeURIComponent(id)}${scope ? `?${new URLSearchParams(scope)}` : ''}`,
      },
      label,
    ),
};

const TONE: Record<string, string> = {
  SUCCEEDED: 'good',
  DELIVERED: 'good',
  PAID: 'good',
  SENT: 'good',
  applied: 'good',
  success: 'good',
  PENDING: 'wait',
  retrying: 'wait',
  refused: 'wait',
  PROCESSING: 'wait',
  SENDING: 'wait',
  SHIPPED: 'good',
  FAILED: 'bad',
  DEAD: 'bad',
  DECLINED: 'bad',
  PAYMENT_FAILED: 'bad',
  rejected: 'bad',
  failed: 'bad',
};

/** A status as text and colour (the text alone says it all). */
export function badge(status: string | undefined): HTMLElement {
  const text = status ?? 'unknown';
  return h('span', { class: `badge tone-${TONE[text] ?? 'none'}` }, text);
}

/** A table with a caption and column headers; rows of cells. */
export function table(caption: string, headers: string[], rows: Child[][]): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, `${caption}: none.`);
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((name) => h('th', { scope: 'col' }, name)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((cells) =>
        h(
          'tr',
          {},
          cells.map((cell) => h('td', {}, cell)),
        ),
      ),
    ),
  );
}

/** A definition list of label → value (values that are undefined are left out). */
export function facts(pairs: [string, Child][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    pairs
      .filter(([, value]) => value !== undefined && value !== '')
      .map(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]),
  );
}

/** A time as the operator reads it (local, to the second), in a machine-readable element. */
export function time(iso: string | undefined): Child {
  if (!iso) return undefined;
  const date = new Date(iso);
  return h(
    'time',
    { datetime: iso, title: iso },
    date.toLocaleString(undefined, { hour12: false }),
  );
}

/** An amount with its currency. */
export function money(amount: number | undefined, currency: string | undefined): string {
  if (amount === undefined || !currency) return '';
  return `${amount.toLocaleString(undefined, { maximumFractionDigits: 3 })} ${currency}`;
}

/** A message in the view when something failed. */
export function errorBox(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  return h('p', { class: 'error', role: 'alert' }, message);
}

/** Says something to screen readers without moving focus. */
export function announce(message: string): void {
  const region = document.getElementById('announce');
  if (region) region.textContent = message;
}
