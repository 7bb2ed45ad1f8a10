import { post, seg } from '../api.js';
import { actionButton } from './action.js';

/**
 * The Void button of a payment stuck PENDING: voids its key at the gateway
 * (it can never charge afterwards) and fails it, which frees its order,
 * through POST /payments/{transactionId}/void. A payment that charged is
 * refused (its result ends the hold), said on screen.
 */
export function voidButton(transactionId: string, refresh: () => void): HTMLElement {
  return actionButton({
    id: `void-${transactionId}`,
    label: 'Void and release the order',
    ariaLabel: `Void payment ${transactionId} and release its order`,
    busy: 'Voiding at the gateway…',
    refresh,
    run: async () => {
      const result = await post<{ voided: boolean; status: string }>(
        `/payments/${seg(transactionId)}/void`,
        {},
      );
      return result.voided
        ? `Payment ${transactionId} is voided: it can never charge, and its order is being released.`
        : `Payment ${transactionId} already had a result (${result.status}); nothing was voided.`;
    },
  });
}
