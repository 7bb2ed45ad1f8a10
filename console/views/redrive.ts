import { post, seg } from '../api.js';
import { actionButton } from './action.js';

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
  return actionButton({
    id: `redrive-${event.eventId}`,
    label: 'Re-drive',
    ariaLabel: `Re-drive ${event.type} event ${event.eventId}`,
    busy: 'Re-driving…',
    refresh,
    run: async () => {
      const result = await post<{ redriven: string[] }>(`/payments/${seg(transactionId)}/redrive`, {
        eventId: event.eventId,
      });
      return result.redriven.length > 0
        ? `Event ${event.eventId} is PENDING again; the relay delivers it on its next run.`
        : `Event ${event.eventId} was no longer DEAD.`;
    },
  });
}
