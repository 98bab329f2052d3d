import type { Logger } from '@aws-lambda-powertools/logger';

/**
 * One record's logging context. The records of a batch are processed in parallel, so keys
 * appended to the shared logger would leak between them; each record passes its own keys with
 * every line instead. (A Powertools child logger would do too, but each child reports its first
 * line as a cold start.)
 */
export class RecordLog {
  constructor(
    private readonly logger: Logger,
    private keys: Record<string, unknown>,
  ) {}

  append(keys: Record<string, unknown>): void {
    this.keys = { ...this.keys, ...keys };
  }

  info(message: string, extra: Record<string, unknown> = {}): void {
    this.logger.info(message, { ...this.keys, ...extra });
  }

  warn(message: string, extra: Record<string, unknown> = {}): void {
    this.logger.warn(message, { ...this.keys, ...extra });
  }

  error(message: string, extra: Record<string, unknown> = {}): void {
    this.logger.error(message, { ...this.keys, ...extra });
  }
}
