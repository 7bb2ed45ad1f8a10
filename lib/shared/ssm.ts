/** Reads one SSM parameter (decrypted when `decrypt`); `undefined` when it does not exist. */
export type ParameterReader = (
  name: string,
  options: { decrypt: boolean },
) => Promise<string | undefined>;

/**
 * The SSM Parameter Store adapter: one `GetParameter` per call, no cache
 * (callers keep values in a `RefreshingValue`, whose clock tests control).
 * A parameter that does not exist is `undefined`; every other failure
 * (throttling, access denied) rejects. The SDK client is imported on first
 * use, so functions that never read SSM (local stages) never load it. The
 * endpoint follows the SDK's rules (`AWS_ENDPOINT_URL_SSM` for a stand-in).
 */
export function ssmParameterReader(): ParameterReader {
  let loaded: Promise<ParameterReader> | undefined;
  const load = async (): Promise<ParameterReader> => {
    const { GetParameterCommand, SSMClient } = await import('@aws-sdk/client-ssm');
    const client = new SSMClient({ maxAttempts: 3 });
    return async (name, { decrypt }) => {
      try {
        const out = await client.send(
          new GetParameterCommand({ Name: name, WithDecryption: decrypt }),
        );
        return out.Parameter?.Value;
      } catch (error) {
        if ((error as Error)?.name === 'ParameterNotFound') return undefined;
        throw error;
      }
    };
  };
  return async (name, options) => {
    loaded ??= load();
    loaded.catch(() => {
      loaded = undefined;
    });
    return (await loaded)(name, options);
  };
}
