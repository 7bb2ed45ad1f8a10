import { readFile } from 'node:fs/promises';
import { ServiceUnavailableError } from '../shared/errors.js';
// The same parsing and ordering as `npm run trace` (one definition of "a request's lines").
import { parseLogLines, timeline } from './log-lines.js';
import { type LogRecord, type LogSource, TIMELINE_LIMIT } from './timeline.js';

/** {@link LogSource} over the file `npm start` writes (`.logs/local.log`), read on each call. */
export class FileLogSource implements LogSource {
  constructor(private readonly path: string) {}

  async linesFor(correlationId: string): Promise<LogRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw new ServiceUnavailableError('LOGS_UNAVAILABLE', 'The local log file cannot be read', {
        cause: error,
      });
    }
    // Only lines that mention the id are parsed: the file holds every request of the session.
    const mentions = text
      .split('\n')
      .filter((line) => line.includes(correlationId))
      .join('\n');
    return (timeline(parseLogLines(mentions), correlationId) as LogRecord[]).slice(
      0,
      TIMELINE_LIMIT,
    );
  }
}
