import { ssmParameterGetter } from './ssm-parameters.js';

/** Reads one SSM parameter (decrypted when `decrypt`); `undefined` when it does not exist. */
export type ParameterReader = (
  name: string,
  options: { decrypt: boolean },
) => Promise<string | undefined>;

/**
 * The SSM Parameter Store adapter: one signed `GetParameter` per call, no
 * cache (callers keep values in a `RefreshingValue`, whose clock tests
 * control). A parameter that does not exist is `undefined`; every other
 * failure (throttling, access denied) rejects. It is one HTTPS call
 * (lib/http/ssm-parameters.ts), not the AWS SDK's SSM client, whose
 * operation schemas were 180 KB of every bundle that reads a key. The
 * endpoint follows the SDK's rules (`AWS_ENDPOINT_URL_SSM` for a stand-in);
 * credentials and region come from the Lambda environment.
 */
export function ssmParameterReader(): ParameterReader {
  const get = ssmParameterGetter({ maxAgeSeconds: 0 });
  return (name, options) => get(name, options);
}
