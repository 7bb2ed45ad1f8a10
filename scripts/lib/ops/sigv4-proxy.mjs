// @ts-check
/**
 * A local HTTP proxy that signs every request with SigV4 (service
 * `execute-api`) and forwards it to the deployed API: the console's login
 * step in AWS stages, whose operator routes are IAM-authorized. The browser
 * talks to 127.0.0.1; the operator's AWS credentials never reach it.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

/** The SHA-256 that SignatureV4 asks for, from node:crypto (HMAC when given a secret). */
export class NodeSha256 {
  /** @param {import('@smithy/types').SourceData} [secret] what SignatureV4 passes (an ArrayBuffer too, which createHmac takes) */
  constructor(secret) {
    this.hash = secret
      ? createHmac('sha256', /** @type {import('node:crypto').BinaryLike} */ (secret))
      : createHash('sha256');
  }
  /** @param {string | Uint8Array} data */
  update(data) {
    this.hash.update(data);
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

/** Headers the proxy never forwards (hop-by-hop, or set again by the signer or fetch). */
const DROPPED = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'accept-encoding',
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'cookie',
  'origin',
  'referer',
]);

/**
 * Starts the proxy.
 * @param {{ target: string, region: string, port?: number,
 *           credentials: import('@smithy/types').AwsCredentialIdentityProvider | import('@smithy/types').AwsCredentialIdentity }} options
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function startSigningProxy(options) {
  const target = new URL(options.target);
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
  });
  const server = createServer(async (req, res) => {
    try {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', target);
      /** @type {Record<string, string>} */
      const headers = { host: url.host };
      for (const [name, value] of Object.entries(req.headers)) {
        if (!DROPPED.has(name) && typeof value === 'string') headers[name] = value;
      }
      const signed = await signer.sign({
        method: req.method ?? 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body: body.length > 0 ? body : undefined,
      });
      const { host: _host, ...sent } = signed.headers;
      const upstream = await fetch(url, {
        method: req.method,
        headers: sent,
        body: body.length > 0 ? body : undefined,
        signal: AbortSignal.timeout(30_000),
      });
      const out = Buffer.from(await upstream.arrayBuffer());
      /** @type {Record<string, string>} */
      const back = {};
      upstream.headers.forEach((value, name) => {
        if (
          !['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(name)
        )
          back[name] = value;
      });
      res.writeHead(upstream.status, back).end(out);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: {
            code: 'PROXY_FAILED',
            message: `The signing proxy could not reach the API: ${error}`,
            details: [],
          },
        }),
      );
    }
  });
  await new Promise((resolve) =>
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve(undefined)),
  );
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
