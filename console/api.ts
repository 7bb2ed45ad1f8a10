/** The console's one client of our routes: JSON in and out, the error format turned into a message. */

/** A failed call, with the contract's error code and a message fit for the screen. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', `Could not reach the API (${method} ${path})`);
  }
  const text = await response.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = parsed?.error;
    const message =
      typeof error?.message === 'string'
        ? `${error.message}${error.code ? ` (${error.code})` : ''}`
        : `${method} ${path} answered ${response.status}`;
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, message);
  }
  return parsed as T;
}

/** GET a JSON resource. */
export const get = <T = any>(path: string) => call<T>('GET', path);
/** POST a JSON body. */
export const post = <T = any>(path: string, body: unknown) => call<T>('POST', path, body);
/** GET, or undefined when the resource does not exist (404). */
export async function find<T = any>(path: string): Promise<T | undefined> {
  try {
    return await get<T>(path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** A path segment from an id. */
export const seg = (id: string) => encodeURIComponent(id);
