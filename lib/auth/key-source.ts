import type { ParameterReader } from '../http/ssm.js';
import type { ServiceName } from '../shared/logger.js';
import {
  KeyConfigurationError,
  loadSigningKey,
  parseTrustedKeys,
  type SigningKey,
  type TrustedKeys,
} from './keys.js';

/** Where a service finds its own signing key and the public keys it trusts. */
export interface KeySource {
  /** The private key `service` signs its outgoing tokens with. */
  signingKey(service: ServiceName): Promise<SigningKey>;
  /** The public keys of `issuers` (only those: a verifier trusts nobody else). */
  trustedKeys(issuers: readonly ServiceName[]): Promise<TrustedKeys>;
}

export type { ParameterReader } from '../http/ssm.js';

/**
 * Keys from configuration text (local and test stages): `signingKeys` maps a
 * service to its private JWK, `trustedKeys` is `{ issuer: [public JWK, ...] }`.
 */
export function staticKeySource(config: {
  signingKeys?: Partial<Record<ServiceName, string>>;
  trustedKeys?: string;
}): KeySource {
  const trusted = config.trustedKeys ? parseTrustedKeys(config.trustedKeys) : {};
  const signing = new Map<ServiceName, Promise<SigningKey>>();
  return {
    signingKey(service) {
      const jwk = config.signingKeys?.[service];
      if (!jwk) {
        return Promise.reject(
          new KeyConfigurationError(`No signing key configured for ${service}`),
        );
      }
      let key = signing.get(service);
      if (!key) {
        key = loadSigningKey(jwk);
        signing.set(service, key);
      }
      return key;
    },
    async trustedKeys(issuers) {
      return Object.fromEntries(issuers.flatMap((i) => (trusted[i] ? [[i, trusted[i]]] : [])));
    },
  };
}

/**
 * Keys from SSM Parameter Store under `prefix` (AWS stages):
 * `<prefix>/<service>/signing-key` is a SecureString holding the private JWK;
 * `<prefix>/<service>/public-keys` holds a JSON array of 1-2 public JWKs (the
 * active key and, during a rotation, the next or previous one). Every call
 * reads SSM: the token provider and verifier keep what they get for
 * KEY_CACHE_SECONDS, which bounds how long a rotated key takes to be seen.
 */
export function ssmKeySource(prefix: string, read: ParameterReader): KeySource {
  const base = prefix.replace(/\/+$/, '');
  const required = async (name: string, decrypt: boolean) => {
    const value = await read(name, { decrypt });
    if (value === undefined || value === '') {
      throw new KeyConfigurationError(`SSM parameter ${name} is missing or empty`);
    }
    return value;
  };
  return {
    async signingKey(service) {
      return loadSigningKey(await required(`${base}/${service}/signing-key`, true));
    },
    async trustedKeys(issuers) {
      const entries = await Promise.all(
        issuers.map(async (issuer) => [
          issuer,
          parseJsonParameter(await required(`${base}/${issuer}/public-keys`, false), issuer),
        ]),
      );
      return parseTrustedKeys(Object.fromEntries(entries));
    },
  };
}

function parseJsonParameter(text: string, issuer: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KeyConfigurationError(`The public keys of ${issuer} are not valid JSON`, {
      cause: error,
    });
  }
}
