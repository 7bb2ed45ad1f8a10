import { ssmParameterGetter } from '../shared/ssm-parameters.js';
import type { ParameterReader } from './key-source.js';

/** How long a key read from SSM is reused before it is read again (bounds rotation lag). */
export const KEY_CACHE_SECONDS = 300;

let getter: ReturnType<typeof ssmParameterGetter> | undefined;

/**
 * The SSM reader for {@link ssmKeySource}: one signed GetParameter call
 * (lib/shared/ssm-parameters.ts, no AWS SDK SSM client in the bundle) with an
 * in-memory cache. Built on first use, so local stages never build it.
 */
export async function ssmParameterReader(): Promise<ParameterReader> {
  getter ??= ssmParameterGetter({ maxAgeSeconds: KEY_CACHE_SECONDS });
  return getter;
}
