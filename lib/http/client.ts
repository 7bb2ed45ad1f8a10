import {
  DownstreamError,
  type InternalClient,
  type InternalRequest,
  type InternalResponse,
  internalHeaders,
  type TokenProvider,
} from '../shared/internal-client.js';
import type { ServiceName } from '../shared/logger.js';

/** Options of {@link createInternalClient}. */
export interface InternalClientOptions {
  /** Base URL of each service (locally all are the offline URL). */
  baseUrls: Record<ServiceName, string>;
  /** Total timeout of one attempt, in ms. */
  timeoutMs?: number;
  tokenProvider?: TokenProvider;
  fetch?: typeof fetch;
}

/**
 * MINIMAL client (one attempt, total timeout) until the resilient client
 * (timeouts, retries, breaker, fault injection) lands with its issue. Keep
 * the signature: every caller builds its client through this function.
 */
export function createInternalClient(options: InternalClientOptions): InternalClient {
  const doFetch = options.fetch ?? fetch;
  return {
    async send(request: InternalRequest): Promise<InternalResponse> {
      const token = await options.tokenProvider?.(request.service);
      let response: Response;
      try {
        response = await doFetch(`${options.baseUrls[request.service]}${request.path}`, {
          method: request.method,
          headers: internalHeaders(request, token),
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
        });
      } catch (error) {
        throw new DownstreamError(
          request.service,
          `${request.service} unreachable: ${String(error)}`,
          {
            transient: true,
            cause: error,
          },
        );
      }
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // keep text
      }
      if (response.status >= 500 || response.status === 429) {
        throw new DownstreamError(
          request.service,
          `${request.service} answered ${response.status}`,
          {
            transient: true,
            status: response.status,
          },
        );
      }
      return { status: response.status, body, attempts: 1 };
    },
  };
}
