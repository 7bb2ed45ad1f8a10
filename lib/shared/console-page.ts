import { NotFoundError } from './errors.js';
import type { HttpResponse } from './http.js';
import type { HttpRoute } from './middleware/types.js';

/** The console's built files. */
export interface ConsoleAssets {
  html: string;
  script: string;
  stylesheet: string;
}

/**
 * Only our own files, only our own routes: the page runs no inline script or
 * style, loads nothing from elsewhere, and cannot be framed.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function file(body: string, contentType: string): HttpResponse {
  return {
    statusCode: 200,
    headers: {
      'content-type': contentType,
      // Small files: always revalidated, so a deploy is seen at once.
      'cache-control': 'no-cache',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body,
  };
}

/** GET /console and GET /console/{asset}: the page, its script and its stylesheet; nothing else. */
export function createConsoleRoute(assets: ConsoleAssets): HttpRoute {
  return async (event) => {
    const asset = event.pathParameters?.asset;
    if (asset === undefined) return file(assets.html, 'text/html; charset=utf-8');
    if (asset === 'app.js') return file(assets.script, 'text/javascript; charset=utf-8');
    if (asset === 'app.css') return file(assets.stylesheet, 'text/css; charset=utf-8');
    throw new NotFoundError(`The console has no file ${asset}`);
  };
}
