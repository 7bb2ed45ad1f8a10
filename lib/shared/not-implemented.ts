import { errorResponse } from './http.js';
import type { HttpRoute } from './middleware/types.js';

/** A route whose issue has not landed yet: 501 in the contract's error format. */
export const notImplemented: HttpRoute = async (event) =>
  errorResponse(501, 'NOT_IMPLEMENTED', `${event.routeKey} is not implemented yet`);
