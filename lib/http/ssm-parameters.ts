import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { httpRequest } from './transport.js';

/** Reads one SSM parameter: its value, or undefined when it does not exist. */
export type SsmParameterGetter = (
  name: string,
  options: { decrypt: boolean },
) => Promise<string | undefined>;

/** What {@link ssmParameterGetter} needs; all of it from the Lambda environment by default. */
export interface SsmParameterOptions {
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The SSM endpoint (AWS_ENDPOINT_URL_SSM, as the AWS SDK reads it); AWS's own otherwise. */
  endpoint?: string;
  /** How long a value is reused before it is read again, in seconds. */
  maxAgeSeconds?: number;
  /** Total time of one GetParameter call, in ms. */
  timeoutMs?: number;
  now?: () => Date;
}

/** node:crypto as the AWS SDK signer's hash (its Checksum interface): no second SHA-256 in the bundle. */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

/**
 * Signs `request` with AWS Signature Version 4 (header form), with the AWS
 * SDK's own signer (`@smithy/signature-v4`, already in every bundle through
 * the DynamoDB client), and returns its headers with `authorization` added.
 */
export async function signRequest(request: {
  url: URL;
  body: string;
  headers: Record<string, string>;
  service: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  date: Date;
}): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: request.credentials,
    region: request.region,
    service: request.service,
    sha256: NodeSha256,
    // As the SDK's SSM client signs: no x-amz-content-sha256 header.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port && { port: Number(request.url.port) }),
      path: request.url.pathname || '/',
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    },
    { signingDate: request.date },
  );
  return signed.headers;
}

/**
 * SSM GetParameter as one signed HTTPS call, with an in-memory cache of
 * `maxAgeSeconds` (one read per name at a time). It replaces the AWS SDK's SSM
 * client, which put 180 KB (its every operation's schema) into each bundle
 * that signs or verifies service tokens, for the one call they make.
 * Credentials and region come from the Lambda environment.
 */
export function ssmParameterGetter(options: SsmParameterOptions = {}): SsmParameterGetter {
  const cache = new Map<string, { expires: number; value: Promise<string | undefined> }>();
  const maxAgeMs = (options.maxAgeSeconds ?? 300) * 1000;
  const now = options.now ?? (() => new Date());

  async function fetchParameter(name: string, decrypt: boolean): Promise<string | undefined> {
    const env = process.env;
    const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    const credentials = options.credentials ?? {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
      sessionToken: env.AWS_SESSION_TOKEN,
    };
    if (!region || !credentials.accessKeyId || !credentials.secretAccessKey) {
      throw new Error('SSM needs AWS_REGION and AWS credentials in the environment');
    }
    const url = new URL(
      options.endpoint ?? env.AWS_ENDPOINT_URL_SSM ?? `https://ssm.${region}.amazonaws.com/`,
    );
    const body = JSON.stringify({ Name: name, WithDecryption: decrypt });
    const headers = await signRequest({
      url,
      body,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonSSM.GetParameter',
      },
      service: 'ssm',
      region,
      credentials,
      date: now(),
    });
    const response = await httpRequest(url.href, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
    const answer = (await response.json().catch(() => ({}))) as {
      Parameter?: { Value?: string };
      __type?: string;
      message?: string;
      Message?: string;
    };
    if (response.ok) return answer.Parameter?.Value;
    const type = String(answer.__type ?? '')
      .split('#')
      .pop();
    if (type === 'ParameterNotFound') return undefined;
    throw new Error(
      `SSM GetParameter ${name} failed: ${response.status} ${type} ${answer.message ?? answer.Message ?? ''}`.trim(),
    );
  }

  return (name, { decrypt }) => {
    const key = `${decrypt ? 'decrypted' : 'plain'}:${name}`;
    const cached = cache.get(key);
    const at = now().getTime();
    if (cached && cached.expires > at) return cached.value;
    const value = fetchParameter(name, decrypt);
    cache.set(key, { expires: at + maxAgeMs, value });
    // A failure is not cached: the next call asks again.
    value.catch(() => cache.delete(key));
    return value;
  };
}
