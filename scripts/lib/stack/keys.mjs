// @ts-check
/**
 * Development key pairs for service-to-service JWTs: one ES256 pair per
 * service, generated on first use into a git-ignored folder (`.keys/` for
 * `npm start`, a temp dir for the tests) and reused afterwards. Never used in
 * AWS, where keys live in SSM Parameter Store (see docs/security.md).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';

/** The services that sign or verify service tokens. */
export const SERVICES = /** @type {const} */ (['payment', 'order', 'notification']);

/**
 * Makes a fresh ES256 key pair as JWKs carrying `kid`, `alg` and `use`.
 * @param {string} service
 * @returns {Promise<{ privateJwk: Record<string, unknown>, publicJwk: Record<string, unknown> }>}
 */
export async function generateServiceKeyPair(service) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `${service}-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  const meta = { kid, alg: 'ES256', use: 'sig' };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}

/**
 * Ensures `dir` holds a key pair per service (creating only what is missing)
 * and returns the environment that hands them to the functions:
 * AUTH_SIGNING_KEY_<SERVICE> (private JWK, for the signer of that service)
 * and AUTH_TRUSTED_KEYS (every service's public keys, for verifiers).
 * @param {string} dir
 * @returns {Promise<Record<string, string>>}
 */
export async function ensureDevKeys(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  /** @type {Record<string, string>} */
  const env = {};
  /** @type {Record<string, unknown[]>} */
  const trusted = {};
  for (const service of SERVICES) {
    const privatePath = path.join(dir, `${service}.private.jwk.json`);
    const publicPath = path.join(dir, `${service}.public.jwk.json`);
    if (!existsSync(privatePath) || !existsSync(publicPath)) {
      const pair = await generateServiceKeyPair(service);
      writeFileSync(privatePath, `${JSON.stringify(pair.privateJwk)}\n`, { mode: 0o600 });
      writeFileSync(publicPath, `${JSON.stringify(pair.publicJwk)}\n`, { mode: 0o644 });
    }
    env[`AUTH_SIGNING_KEY_${service.toUpperCase()}`] = readFileSync(privatePath, 'utf8').trim();
    trusted[service] = [JSON.parse(readFileSync(publicPath, 'utf8'))];
  }
  env.AUTH_TRUSTED_KEYS = JSON.stringify(trusted);
  return env;
}
