import type { Logger } from '@ticketing/common';
import { expireDueOrders } from './orders';

/** Runs `expireDueOrders` every `intervalMs`, one pass at a time; `stop` waits for the pass in progress. */
export class ExpirySweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly intervalMs: number,
    private readonly onExpired: (count: number) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep().finally(() => {
        this.running = undefined;
      });
    }, this.intervalMs);
  }

  private async sweep(): Promise<void> {
    try {
      const count = await expireDueOrders();
      if (count > 0) {
        this.logger.info({ count }, 'orders expired');
        this.onExpired(count);
      }
    } catch (err) {
      this.logger.warn({ err }, 'expiry sweep failed; will retry');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
