import { credentialsFromEnv, signRequest } from './sigv4.js';
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
    const credentials = options.credentials ?? credentialsFromEnv(env);
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
