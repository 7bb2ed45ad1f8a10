import type { ParameterReader } from './key-source.js';

/** How long a key read from SSM is reused before it is read again (bounds rotation lag). */
export const KEY_CACHE_SECONDS = 300;

/**
 * The SSM reader for {@link ssmKeySource}: Powertools parameters with its
 * in-memory cache. Imported lazily so that local stages never load the SSM
 * client.
 */
export async function powertoolsParameterReader(): Promise<ParameterReader> {
  const { getParameter } = await import('@aws-lambda-powertools/parameters/ssm');
  return async (name, { decrypt }) =>
    (await getParameter(name, { decrypt, maxAge: KEY_CACHE_SECONDS })) ?? undefined;
}
