import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs, one logger per process, tagged with the service name. Written synchronously:
 * pino's default asynchronous stdout can reorder or lose the last lines when the process exits (shutdown).
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } }, pino.destination({ dest: 1, sync: true }));
}
