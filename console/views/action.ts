import { announce, h } from '../dom.js';

/** One operator action: a real button, what it says while it runs, and what it did (announced). */
export interface ActionOptions {
  id: string;
  label: string;
  ariaLabel: string;
  busy: string;
  /** Does the work and says what happened. */
  run: () => Promise<string>;
  refresh: () => void;
}

/**
 * A button that runs one operator action, says on screen (and to a screen
 * reader) what it did, then refreshes the view. A failure is said on screen
 * and the button can be pressed again.
 */
export function actionButton(options: ActionOptions): HTMLElement {
  const status = h('span', { class: 'action-status', role: 'status' });
  const button = h(
    'button',
    {
      type: 'button',
      id: options.id,
      'aria-label': options.ariaLabel,
      onclick: async () => {
        button.setAttribute('disabled', '');
        status.textContent = options.busy;
        try {
          const message = await options.run();
          status.textContent = message;
          announce(message);
          options.refresh();
        } catch (error) {
          status.textContent = error instanceof Error ? error.message : String(error);
          button.removeAttribute('disabled');
        }
      },
    },
    options.label,
  );
  return h('span', {}, button, ' ', status);
}
