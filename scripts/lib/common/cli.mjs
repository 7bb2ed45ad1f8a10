// @ts-check
/**
 * Command-line options for the demo, bench and chaos scripts: each option
 * can come from a flag (`--n 5000`, `--n=5000`) or an environment variable
 * (`CHAOS_N=5000`), in that order of precedence, and is checked against its
 * declared type and range before anything starts.
 */
import { parseArgs } from 'node:util';

/**
 * @typedef {{
 *   type: 'integer' | 'number' | 'string' | 'boolean',
 *   default: number | string | boolean,
 *   env?: string,
 *   min?: number,
 *   max?: number,
 *   describe: string,
 * }} OptionSpec
 */

/** A bad command line: the message says what and how to fix it. */
export class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses `argv` against `spec`, falling back to `env`, then to each default.
 * Throws UsageError on an unknown flag, a malformed value or a value out of range.
 * @template {Record<string, OptionSpec>} S
 * @param {S} spec
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ [K in keyof S]: S[K]['default'] } & { help: boolean }}
 */
export function parseOptions(spec, argv, env = process.env) {
  /** @type {Record<string, { type: 'string' | 'boolean' }>} */
  const flags = { help: { type: 'boolean' } };
  for (const [name, option] of Object.entries(spec)) {
    flags[name] = { type: option.type === 'boolean' ? 'boolean' : 'string' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: flags, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  /** @type {Record<string, unknown>} */
  const out = { help: parsed.values.help === true };
  for (const [name, option] of Object.entries(spec)) {
    const fromFlag = parsed.values[name];
    const fromEnv = option.env ? env[option.env] : undefined;
    const raw = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    out[name] = raw === undefined ? option.default : coerce(name, option, raw);
  }
  return /** @type {any} */ (out);
}

/**
 * @param {string} name
 * @param {OptionSpec} option
 * @param {string | boolean} raw
 */
function coerce(name, option, raw) {
  if (option.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
    throw new UsageError(`--${name} must be true or false, got "${raw}"`);
  }
  if (option.type === 'string') return String(raw);
  const value = Number(raw);
  if (
    raw === '' ||
    !Number.isFinite(value) ||
    (option.type === 'integer' && !Number.isInteger(value))
  ) {
    throw new UsageError(
      `--${name} must be ${option.type === 'integer' ? 'an integer' : 'a number'}, got "${raw}"`,
    );
  }
  if (option.min !== undefined && value < option.min) {
    throw new UsageError(`--${name} must be at least ${option.min}, got ${value}`);
  }
  if (option.max !== undefined && value > option.max) {
    throw new UsageError(`--${name} must be at most ${option.max}, got ${value}`);
  }
  return value;
}

/**
 * The help text for `spec`: one line per option with its env variable and default.
 * @param {string} usage
 * @param {Record<string, OptionSpec>} spec
 */
export function helpText(usage, spec) {
  const lines = Object.entries(spec).map(([name, o]) => {
    const flag = `--${name}${o.type === 'boolean' ? '' : ' <value>'}`.padEnd(26);
    const env = (o.env ? `(${o.env})` : '').padEnd(24);
    return `  ${flag}${env}${o.describe} [default: ${o.default}]`;
  });
  return `${usage}\n\nOptions (flag, or environment variable):\n${lines.join('\n')}\n  --help`;
}

/**
 * Runs a command's `main(options)` the same way for every script: options
 * from flags or env, `--help`, exit 2 with the help on a usage error, 1 with
 * the stack on any other failure, else `main`'s own exit code.
 * @template {Record<string, OptionSpec>} S
 * @param {{ name: string, usage: string, spec: S,
 *           main: (options: { [K in keyof S]: any } & { help: boolean }) => Promise<number> }} command
 */
export function runCli({ name, usage, spec, main }) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const run = async () => {
    const options = parseOptions(spec, process.argv.slice(2));
    if (options.help) {
      process.stdout.write(`${helpText(usage, spec)}\n`);
      return 0;
    }
    return main(options);
  };
  run()
    .then((code) => process.exit(code))
    .catch((error) => {
      if (error instanceof UsageError) {
        console.error(`${error.message}\n\n${helpText(usage, spec)}`);
        process.exit(2);
      }
      console.error(`\nnpm run ${name} failed: ${error instanceof Error ? error.stack : error}`);
      process.exit(1);
    });
}
