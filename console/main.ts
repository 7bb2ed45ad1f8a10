/** The console's router: the hash is the only global state; each route is one view module. */
import { find, seg } from './api.js';
import { errorBox, h } from './dom.js';
import type { View } from './view.js';
import { orderView } from './views/order.js';
import { outboxView } from './views/outbox.js';
import { paymentView } from './views/payment.js';
import { paymentsView } from './views/payments.js';
import { pulseView } from './views/pulse.js';
import { timelineView } from './views/timeline.js';
import { userView } from './views/user.js';

const ROUTES: Record<string, View> = {
  pulse: pulseView,
  payments: paymentsView,
  orders: orderView,
  users: userView,
  trace: timelineView,
  outbox: outboxView,
};

const main = document.getElementById('view') as HTMLElement;
let timer: ReturnType<typeof setTimeout> | undefined;
let generation = 0;

function parseHash(): { name: string; segments: string[]; query: URLSearchParams } {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = raw.split('?');
  const [name = 'pulse', ...segments] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name, segments, query: new URLSearchParams(search) };
}

/** Renders the current route; `fresh` when the route changed (focus moves to the new page). */
async function render(fresh: boolean): Promise<void> {
  clearTimeout(timer);
  const mine = ++generation;
  const { name, segments, query } = parseHash();
  // #/payments/<id> is one payment; #/payments the list.
  const view = name === 'payments' && segments.length > 0 ? paymentView : ROUTES[name];
  main.setAttribute('aria-busy', 'true');
  let content: Node;
  let title = 'Payments console';
  let pollMs: number | undefined;
  try {
    if (!view) throw new Error(`No such page: #/${name}`);
    const rendered = await view({ segments, query }, { refresh: () => void render(false) });
    content = rendered.node;
    title = rendered.title;
    pollMs = rendered.pollMs;
  } catch (error) {
    content = errorBox(error);
    pollMs = 5000;
  }
  if (mine !== generation) return; // a newer render won
  // Keep the operator's place: focus returns to the control with the same id.
  const focusedId = main.contains(document.activeElement) ? document.activeElement?.id : undefined;
  main.replaceChildren(h('h1', {}, title), content);
  main.setAttribute('aria-busy', 'false');
  document.title = `${title} · Payments console`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a')) {
    if (a.getAttribute('href') === `#/${name}` && segments.length === 0)
      a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (fresh) main.focus({ preventScroll: false });
  else if (focusedId) document.getElementById(focusedId)?.focus();
  if (pollMs) timer = setTimeout(() => void render(false), pollMs);
}

/** The search box: a transaction id, else an order id, else a user id. */
async function search(id: string): Promise<string> {
  if (await find(`/payments/${seg(id)}`)) return `#/payments/${encodeURIComponent(id)}`;
  if (await find(`/orders/${seg(id)}`)) return `#/orders/${encodeURIComponent(id)}`;
  return `#/users/${encodeURIComponent(id)}`;
}

document.getElementById('search')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('search-id') as HTMLInputElement;
  const id = input.value.trim();
  if (!id) return;
  search(id)
    .then((hash) => {
      location.hash = hash;
    })
    .catch((error) => main.replaceChildren(errorBox(error)));
});

window.addEventListener('hashchange', () => void render(true));
// The pulse first: the on-call engineer's first question is whether anything is wrong now.
if (!location.hash) history.replaceState(null, '', '#/pulse');
void render(false);
