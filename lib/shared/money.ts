/**
 * Currencies the services accept, with their ISO 4217 minor-unit exponent.
 * Amounts travel as major-unit JSON numbers and are stored as integer minor units.
 */
export const CURRENCY_EXPONENTS = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  SGD: 2,
  AUD: 2,
  CAD: 2,
  CHF: 2,
  IDR: 2,
  JPY: 0,
  KRW: 0,
} as const satisfies Record<string, number>;

/** A supported ISO 4217 currency code. */
export type Currency = keyof typeof CURRENCY_EXPONENTS;

/** The supported currency codes. */
export const SUPPORTED_CURRENCIES = Object.keys(CURRENCY_EXPONENTS) as Currency[];

/** Largest accepted amount in minor units; keeps every amount an exact integer. */
export const MAX_MINOR_UNITS = 100_000_000_000; // e.g. 1,000,000,000.00 USD

/** True when `code` is a supported currency. */
export function isCurrency(code: string): code is Currency {
  return Object.hasOwn(CURRENCY_EXPONENTS, code);
}

/**
 * Converts a major-unit amount (125.5 USD) to integer minor units (12550), or
 * returns an explanation when it has more decimals than the currency allows.
 * Works on the number's shortest decimal representation, never on float maths.
 */
export function toMinorUnits(amount: number, currency: Currency): number | { error: string } {
  const exponent = CURRENCY_EXPONENTS[currency];
  if (!Number.isFinite(amount)) return { error: 'must be a finite number' };
  if (amount <= 0) return { error: 'must be greater than zero' };
  const text = amount.toString();
  if (/e/i.test(text)) {
    return {
      error: amount < 1 ? `has more than ${exponent} decimals for ${currency}` : 'is too large',
    };
  }
  const [whole = '0', fraction = ''] = text.split('.');
  if (fraction.length > exponent) {
    return { error: `has more than ${exponent} decimals for ${currency}` };
  }
  const minor = Number(whole + fraction.padEnd(exponent, '0'));
  if (minor > MAX_MINOR_UNITS) return { error: 'is too large' };
  return minor;
}

/** Converts integer minor units back to a major-unit number for the wire. */
export function fromMinorUnits(minor: number, currency: Currency): number {
  const exponent = CURRENCY_EXPONENTS[currency];
  return exponent === 0 ? minor : Number((minor / 10 ** exponent).toFixed(exponent));
}
