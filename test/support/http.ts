import { inject } from 'vitest';

/** A parsed HTTP answer from the local stack. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Calls the serverless-offline stack that the e2e global setup started. */
export async function api<T = any>(
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${inject('baseUrl')}${path}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** A unique id for one test, so tests share tables without sharing rows. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Asserts the contract's error format and returns the error. */
export function expectErrorFormat(body: unknown): {
  code: string;
  message: string;
  details: unknown[];
} {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } })
    ?.error;
  if (
    !error ||
    typeof error.code !== 'string' ||
    typeof error.message !== 'string' ||
    !Array.isArray(error.details)
  ) {
    throw new Error(`Not the contract's error format: ${JSON.stringify(body)}`);
  }
  return error as { code: string; message: string; details: unknown[] };
}
