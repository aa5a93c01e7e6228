import type { Logger } from '@ticketing/common/http';
import { expireDueOrders } from './orders';

export interface ExpirySweeperOptions {
  /** How often due orders are cancelled. */
  intervalMs: number;
  logger: Logger;
}

/**
 * Cancels orders past their expiry, one pass at a time; `stop` waits for the pass in progress. Every pass
 * asks the database for the due orders (the `{status, expiresAt}` index answers it), so any replica expires
 * any replica's orders, also those that expired while the service was down.
 */
export class ExpirySweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly options: ExpirySweeperOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
    }, this.options.intervalMs);
  }

  private async pass(): Promise<void> {
    try {
      const count = await expireDueOrders();
      if (count > 0) this.options.logger.info({ count }, 'orders expired');
    } catch (err) {
      this.options.logger.warn({ err }, 'expiry sweep failed; will retry');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
