export { type AuthorizerResult, authorizeInternalCall } from './authorizer.js';
export { AUTH_ENV, keySourceFromEnv } from './config.js';
export {
  type KeySource,
  type ParameterReader,
  ssmKeySource,
  staticKeySource,
} from './key-source.js';
export {
  ALLOWED_ALGORITHMS,
  KeyConfigurationError,
  loadSigningKey,
  parseTrustedKeys,
  type SigningKey,
  type TrustedKeys,
} from './keys.js';
export { INTERNAL_ROUTES, type RoutePolicy, trustedIssuers } from './route-policy.js';
export { serviceTokenProvider } from './service-tokens.js';
export {
  createTokenProvider,
  MAX_TOKEN_LIFETIME_SECONDS,
  type TokenProviderOptions,
} from './token-provider.js';
export {
  createTokenVerifier,
  isTokenRejectedError,
  type RejectionReason,
  TokenRejectedError,
  type TokenVerifier,
  type VerifiedCaller,
} from './token-verifier.js';
