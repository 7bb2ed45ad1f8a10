/** What every view module gives the router. */
export interface Rendered {
  /** The page's heading text (also the document title). */
  title: string;
  node: Node;
  /** Render again after this many ms (something is in flight); absent: the view is at rest. */
  pollMs?: number;
}

/** What a view may ask of the router. */
export interface ViewContext {
  /** Renders the current route again now (after an action). */
  refresh(): void;
}

/** A view: its route's parameters (path segments and query) in, a rendered page out. */
export type View = (
  params: { segments: string[]; query: URLSearchParams },
  context: ViewContext,
) => Promise<Rendered>;

/** How often a view with something in flight refreshes itself. */
export const IN_FLIGHT_POLL_MS = 1500;
/** How often an overview (list, outbox) refreshes itself. */
export const OVERVIEW_POLL_MS = 3000;
