import { post, seg } from '../api.js';
import { announce, h } from '../dom.js';

/**
 * The Re-drive button of one DEAD event: puts it back to PENDING through
 * POST /payments/{transactionId}/redrive (the relay delivers it on its next
 * run), then refreshes the view. Failures are said on screen.
 */
export function redriveButton(
  transactionId: string,
  event: { eventId: string; type: string },
  refresh: () => void,
): HTMLElement {
  const status = h('span', { class: 'action-status', role: 'status' });
  const button = h(
    'button',
    {
      type: 'button',
      id: `redrive-${event.eventId}`,
      'aria-label': `Re-drive ${event.type} event ${event.eventId}`,
      onclick: async () => {
        button.setAttribute('disabled', '');
        status.textContent = 'Re-driving…';
        try {
          const result = await post<{ redriven: string[] }>(
            `/payments/${seg(transactionId)}/redrive`,
            { eventId: event.eventId },
          );
          const message =
            result.redriven.length > 0
              ? `Event ${event.eventId} is PENDING again; the relay delivers it on its next run.`
              : `Event ${event.eventId} was no longer DEAD.`;
          status.textContent = message;
          announce(message);
          refresh();
        } catch (error) {
          status.textContent = error instanceof Error ? error.message : String(error);
          button.removeAttribute('disabled');
        }
      },
    },
    'Re-drive',
  );
  return h('span', {}, button, ' ', status);
}
