import { vi } from 'vitest';

/**
 * Runs `run` with stdout and stderr captured, and returns its result with the
 * JSON log lines written meanwhile (Powertools writes one JSON object a line).
 */
export async function withLogLines<T>(
  run: () => Promise<T> | T,
): Promise<{ result: T; lines: Array<Record<string, unknown>> }> {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  let result: T;
  try {
    result = await run();
  } finally {
    vi.restoreAllMocks();
  }
  const lines = written
    .join('')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { result, lines };
}
