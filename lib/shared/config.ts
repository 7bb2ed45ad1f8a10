import { ValidationError } from './errors.js';

/** The deployment stages this system knows. */
export type Stage = 'local' | 'test' | 'dev' | 'prod' | (string & {});

/** Reads a required environment variable; throws at cold start when it is missing. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

/** Reads an optional integer environment variable, with a default. */
export function envInt(
  name: string,
  fallback: number,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new ValidationError(`${name} must be an integer, got ${raw}`);
  return value;
}

/** True when the stage may use test-only features such as fault injection. */
export function isTestStage(stage: Stage | undefined): boolean {
  return stage === 'local' || stage === 'test';
}
