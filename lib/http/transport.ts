import type * as Http from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { untracedCallTraceHeader } from '../shared/tracing.js';

// node:http and node:https by require, not by an ESM import: on Lambda's Node
// (22.x as now, 24.x) an ESM import builds the module's namespace, and its
// WebSocket, CloseEvent and MessageEvent getters load undici, ~35 ms of CPU
// at a cold start that this transport exists to avoid (test/unit/http-transport.test.ts).
const requireBuiltin = createRequire(import.meta.url);
const http = requireBuiltin('node:http') as typeof Http;
const https = requireBuiltin('node:https') as typeof Https;

/** What {@link httpRequest} takes: a small subset of fetch's init, plus a connect timeout. */
export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Ends the whole exchange (connect, send, wait, read): the total timeout. */
  signal?: AbortSignal;
  /** Time to establish the TCP connection (and its TLS handshake), in ms; a reused connection skips it. */
  connectTimeoutMs?: number;
  /** The connection pool; by default one shared keep-alive agent per protocol and connect timeout. */
  agent?: Http.Agent;
}

/** Opens the socket of a new connection: the agent's own (net or tls) unless a test substitutes one. */
export type SocketFactory = (
  options: Http.ClientRequestArgs,
  callback?: (err: Error | null, stream: Duplex) => void,
) => Duplex | null | undefined;

const DEFAULT_CONNECT_TIMEOUT_MS = 1000;

/** The error a connection that did not open in time is destroyed with (`code` CONNECT_TIMEOUT). */
function connectTimeoutError(ms: number): Error {
  return Object.assign(new Error(`connect timed out after ${ms} ms`), { code: 'CONNECT_TIMEOUT' });
}

/**
 * Destroys `socket` unless it becomes ready (`connect`, or `secureConnect`
 * once TLS is up) within `ms`: a connect timeout that does not depend on how
 * long the answer then takes.
 */
function armConnectTimeout(socket: Duplex, ms: number, ready: 'connect' | 'secureConnect'): void {
  const timer = setTimeout(() => socket.destroy(connectTimeoutError(ms)), ms);
  const clear = () => clearTimeout(timer);
  socket.once(ready, clear);
  socket.once('close', clear);
}

/**
 * A keep-alive agent whose new connections must open within
 * `connectTimeoutMs` (TCP and, over https, TLS).
 */
export function connectTimeoutAgent(
  protocol: 'http:' | 'https:',
  connectTimeoutMs: number,
  createSocket?: SocketFactory,
): Http.Agent {
  const secure = protocol === 'https:';
  const Base = secure ? https.Agent : http.Agent;
  const agent = new Base({ keepAlive: true });
  const open = createSocket ?? agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = open(options, callback);
    if (socket) armConnectTimeout(socket, connectTimeoutMs, secure ? 'secureConnect' : 'connect');
    return socket;
  };
  return agent;
}

// One keep-alive pool per protocol and connect timeout, shared by every client of the container.
const agents = new Map<string, Http.Agent>();
function agentFor(protocol: 'http:' | 'https:', connectTimeoutMs: number): Http.Agent {
  const key = `${protocol}${connectTimeoutMs}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = connectTimeoutAgent(protocol, connectTimeoutMs);
    agents.set(key, agent);
  }
  return agent;
}

/**
 * The part of fetch's `Response` that callers read. {@link httpRequest}
 * answers with its own, because the first `Response` or `Headers` a process
 * builds loads Node's fetch implementation (undici, inside Node): 27-58 ms
 * of CPU on the first outgoing call of every container here
 * (`test/unit/http-transport.test.ts` checks that it stays unloaded). A
 * real fetch `Response` fits it too (an injected fetch, in tests).
 */
export interface HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/** Header values as fetch's `Headers.get` gives them: repeated ones joined by ", ". */
class AnswerHeaders {
  readonly #headers: Http.IncomingHttpHeaders;
  constructor(headers: Http.IncomingHttpHeaders) {
    this.#headers = headers;
  }
  get(name: string): string | null {
    const value = this.#headers[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

/** An answer read in full: its status, headers and body (UTF-8). */
export class BufferedAnswer implements HttpAnswer {
  readonly status: number;
  readonly headers: AnswerHeaders;
  readonly #body: string;
  constructor(status: number, headers: Http.IncomingHttpHeaders, body: string) {
    this.status = status;
    this.headers = new AnswerHeaders(headers);
    this.#body = body;
  }
  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }
  async text(): Promise<string> {
    return this.#body;
  }
  async json(): Promise<unknown> {
    return JSON.parse(this.#body);
  }
}

/**
 * One HTTP request on node:http (no fetch, no undici: nothing more to load at
 * a cold start or at the first call), answered once its body is read. The
 * signal is the total timeout; `connectTimeoutMs` bounds the connection only.
 * A failure rejects with the socket's error (`code` CONNECT_TIMEOUT,
 * ECONNREFUSED...) or, once the signal fired, an AbortError.
 */
export function httpRequest(url: string, init: HttpRequestInit = {}): Promise<HttpAnswer> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return Promise.reject(new TypeError(`Unsupported protocol ${target.protocol}`));
  }
  const protocol = target.protocol;
  const agent =
    init.agent ?? agentFor(protocol, init.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  // In AWS, before the X-Ray SDK is loaded (no sampled invocation yet), the
  // trace header it would have set; once loaded, its own patch of
  // node:http(s) sets it (and records the call when sampled).
  const trace = untracedCallTraceHeader();
  const headers = trace ? { ...init.headers, 'X-Amzn-Trace-Id': trace } : init.headers;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const request = (protocol === 'https:' ? https : http).request(
      target,
      {
        method: init.method ?? 'GET',
        headers,
        agent,
        signal: init.signal,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('close', () => {
          if (!response.complete)
            reject(new Error('the connection closed before the answer ended'));
        });
        response.on('end', () => {
          // A throw in this listener would be an uncaught exception, which
          // ends the function's process: anything unexpected rejects instead.
          try {
            const body = Buffer.concat(chunks).toString('utf8');
            resolve(new BufferedAnswer(response.statusCode ?? 0, response.headers, body));
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });
}
