import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { LogFields, Logger } from '../core/ports.ts';

/**
 * The Logger port on AWS Lambda Powertools: one JSON line per call, with the Lambda request id once
 * {@link PowertoolsLoggerAdapter.addContext} has seen the context. `POWERTOOLS_LOG_LEVEL` sets the level;
 * `POWERTOOLS_DEV=true` pretty-prints (handy for the local runner).
 */
export class PowertoolsLoggerAdapter implements Logger {
  readonly #logger: PowertoolsLogger;

  constructor(serviceName = 'manifest-assembler', logLevel?: string) {
    this.#logger = new PowertoolsLogger({ serviceName, ...(logLevel ? { logLevel: logLevel.toUpperCase() as 'INFO' } : {}) });
  }

  addContext(context: Context): void {
    if (typeof context?.awsRequestId === 'string') this.#logger.addContext(context);
  }

  debug(message: string, fields: LogFields = {}): void {
    this.#logger.debug(message, fields);
  }
  info(message: string, fields: LogFields = {}): void {
    this.#logger.info(message, fields);
  }
  warn(message: string, fields: LogFields = {}): void {
    this.#logger.warn(message, fields);
  }
  error(message: string, fields: LogFields = {}): void {
    this.#logger.error(message, fields);
  }
}
