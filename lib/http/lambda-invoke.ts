import { randomUUID } from 'node:crypto';
import { DIRECT_INVOKE_API_ID } from '../shared/internal-client.js';
import type { ServiceName } from '../shared/logger.js';
import type { InternalTransport, TransportCall } from './client.js';
import { type AwsCredentials, credentialsFromEnv, signRequest } from './sigv4.js';
import { BufferedAnswer, type HttpAnswer, type HttpRequestInit, httpRequest } from './transport.js';

/** One internal route and the function that serves it, e.g. `PUT /orders/{orderId}/status` → `lambda-payments-prod-orderUpdateStatus`. */
export interface InvokeRoute {
  /** The API Gateway route key: method, space, path template. */
  routeKey: string;
  /** The function's name (or ARN) as the Invoke API takes it. */
  functionName: string;
}

/** Options of {@link lambdaInvokeTransport}; region, credentials and endpoint from the Lambda environment by default. */
export interface LambdaInvokeOptions {
  routes: readonly InvokeRoute[];
  /**
   * Who calls: put in the event's authorizer context as `caller`, where the
   * JWT authorizer puts the verified `iss` on the HTTP path. On this path
   * IAM decides who may call (lambda:InvokeFunction), not the token.
   */
  caller: ServiceName;
  region?: string;
  credentials?: AwsCredentials;
  /**
   * The Invoke API's endpoint: serverless-offline's (`--lambdaPort`) locally;
   * `LAMBDA_ENDPOINT`, else `AWS_ENDPOINT_URL_LAMBDA` (the SDK's convention),
   * else AWS's own.
   */
  endpoint?: string;
  /** Instead of node:http (tests). */
  request?: (url: string, init: HttpRequestInit) => Promise<HttpAnswer>;
  now?: () => Date;
}

/** What the Invoke API answers for a function that ran: the handler's return value (payload 2.0). */
interface FunctionResult {
  statusCode?: unknown;
  headers?: unknown;
  body?: unknown;
  isBase64Encoded?: unknown;
}

interface CompiledRoute {
  routeKey: string;
  method: string;
  pattern: RegExp;
  names: string[];
  functionName: string;
}

function compile(route: InvokeRoute): CompiledRoute {
  const [method = '', template = ''] = route.routeKey.split(' ');
  const names: string[] = [];
  const source = template
    .split('/')
    .map((part) => {
      const param = /^\{(\w+)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1] ?? '');
      return '([^/]+)';
    })
    .join('/');
  return {
    routeKey: route.routeKey,
    method,
    pattern: new RegExp(`^${source}$`),
    names,
    functionName: route.functionName,
  };
}

/** An answer in our error format, for what the Invoke API (not the function) said. */
function errorAnswer(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): BufferedAnswer {
  return new BufferedAnswer(
    status,
    { 'content-type': 'application/json', ...headers },
    JSON.stringify({ error: { code, message } }),
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The API Gateway HTTP API event (payload 2.0) that the route's function
 * would get through API Gateway with the JWT authorizer: the same method,
 * paths, headers (correlation id, idempotency key, deadline, the token),
 * body and route key, and the authorizer's context naming the caller. The
 * same middy handler serves both paths.
 */
export function invokeEvent(
  call: Pick<TransportCall, 'method' | 'path' | 'headers' | 'body'>,
  route: { routeKey: string; pathParameters: Record<string, string> },
  caller: ServiceName,
  now: Date,
): Record<string, unknown> {
  const [rawPath = '', rawQueryString = ''] = call.path.split('?');
  const headers = Object.fromEntries(
    Object.entries(call.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath,
    rawQueryString,
    headers,
    ...(Object.keys(route.pathParameters).length > 0 && { pathParameters: route.pathParameters }),
    ...(call.body !== undefined && { body: call.body }),
    isBase64Encoded: false,
    requestContext: {
      accountId: DIRECT_INVOKE_API_ID,
      apiId: DIRECT_INVOKE_API_ID,
      domainName: DIRECT_INVOKE_API_ID,
      domainPrefix: DIRECT_INVOKE_API_ID,
      http: {
        method: call.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      // What the internalJwt authorizer returns on the HTTP path (lib/auth/authorizer.ts);
      // here IAM let the caller in, and the caller says who it is.
      authorizer: { lambda: { caller } },
    },
  };
}

/** Maps what the Invoke API answered to the answer the route would have given over HTTP. */
async function toAnswer(response: HttpAnswer, functionName: string): Promise<HttpAnswer> {
  const text = await response.text();
  const retryAfter = response.headers.get('retry-after');
  const passOn: Record<string, string> = retryAfter ? { 'retry-after': retryAfter } : {};
  if (response.status !== 200) {
    // The Invoke API refused or failed (throttled 429, 5xx, AccessDenied 403,
    // ResourceNotFound 404...): its status, as API Gateway's own answers are passed on.
    const payload = parseJson(text) as { message?: unknown; Message?: unknown } | undefined;
    const type =
      response.headers.get('x-amzn-errortype')?.split(':')[0] ?? `LAMBDA_${response.status}`;
    const message = String(
      payload?.message ?? payload?.Message ?? `Invoke answered ${response.status}`,
    );
    return errorAnswer(response.status, type, `${functionName}: ${message}`, passOn);
  }
  const result = parseJson(text) as FunctionResult | undefined;
  const functionError = response.headers.get('x-amz-function-error');
  if (functionError) {
    // The function failed without an answer (it threw, timed out, ran out of
    // memory): a 5xx, as API Gateway says for a failed integration. A timeout
    // is a 504, anything else a 502; both are transient and retried.
    const failure = (result ?? {}) as { errorType?: unknown; errorMessage?: unknown };
    const timedOut =
      failure.errorType === 'Sandbox.Timedout' ||
      /timed out|timeout/i.test(String(failure.errorMessage ?? ''));
    return errorAnswer(
      timedOut ? 504 : 502,
      timedOut ? 'FUNCTION_TIMEOUT' : 'FUNCTION_ERROR',
      `${functionName} failed (${functionError}): ${String(failure.errorType ?? 'unknown error')}`,
    );
  }
  if (!result || typeof result !== 'object' || typeof result.statusCode !== 'number') {
    return errorAnswer(502, 'INVALID_FUNCTION_RESPONSE', `${functionName} answered no HTTP result`);
  }
  const headers: Record<string, string> = {};
  if (result.headers && typeof result.headers === 'object') {
    for (const [name, value] of Object.entries(result.headers as Record<string, unknown>)) {
      if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
    }
  }
  const raw = typeof result.body === 'string' ? result.body : '';
  const body = result.isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  return new BufferedAnswer(result.statusCode, headers, body);
}

/**
 * The internal client's transport straight to the target's function: a
 * SigV4-signed `POST /2015-03-31/functions/{name}/invocations` (synchronous)
 * with the HTTP API event the route's function expects, on node:http like
 * the HTTP transport (the same connect timeout and abort signal). No API
 * Gateway request, no authorizer: IAM (`lambda:InvokeFunction` on exactly
 * these functions) is the trust boundary. The function's result comes back as
 * its HTTP answer; the Invoke API's own refusals keep their status (429, 5xx,
 * 403...) and a function error (`X-Amz-Function-Error`) is a 502, or a 504
 * when it timed out, so the client's retry rules apply unchanged.
 */
export function lambdaInvokeTransport(options: LambdaInvokeOptions): InternalTransport {
  const routes = options.routes.map(compile);
  const send = options.request ?? httpRequest;
  const now = options.now ?? (() => new Date());
  return async (call) => {
    const env = process.env;
    const [path = ''] = call.path.split('?');
    let matched: { route: CompiledRoute; values: RegExpExecArray } | undefined;
    for (const route of routes) {
      const values = route.method === call.method ? route.pattern.exec(path) : null;
      if (values) {
        matched = { route, values };
        break;
      }
    }
    if (!matched) throw new Error(`No function is configured for ${call.method} ${path}`);
    const { route, values } = matched;
    const pathParameters = Object.fromEntries(
      route.names.map((name, i) => [name, decodeURIComponent(values[i + 1] ?? '')]),
    );
    const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const credentials = options.credentials ?? credentialsFromEnv(env);
    if (!region || !credentials.accessKeyId || !credentials.secretAccessKey) {
      throw new Error(
        'The Lambda Invoke API needs AWS_REGION and AWS credentials in the environment',
      );
    }
    const endpoint =
      options.endpoint ||
      env.LAMBDA_ENDPOINT ||
      env.AWS_ENDPOINT_URL_LAMBDA ||
      `https://lambda.${region}.amazonaws.com`;
    const url = new URL(
      `/2015-03-31/functions/${encodeURIComponent(route.functionName)}/invocations`,
      endpoint,
    );
    const date = now();
    const body = JSON.stringify(
      invokeEvent(call, { routeKey: route.routeKey, pathParameters }, options.caller, date),
    );
    const headers = await signRequest({
      url,
      body,
      headers: {
        'content-type': 'application/json',
        'x-amz-invocation-type': 'RequestResponse',
      },
      service: 'lambda',
      region,
      credentials,
      date,
    });
    const response = await send(url.href, {
      method: 'POST',
      headers,
      body,
      signal: call.signal,
      connectTimeoutMs: call.connectTimeoutMs,
    });
    return toAnswer(response, route.functionName);
  };
}
