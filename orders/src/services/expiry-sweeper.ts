import type { Logger } from '@ticketing/common/http';
import type { ActiveOrders } from './active-orders';
import { expireDueOrders, expireOrder } from './orders';

export interface ExpirySweeperOptions {
  /** How often due orders are cancelled. */
  intervalMs: number;
  /** When it tracks the orders (`process` isolation): how often the database is read in full as well (belt and braces). Default 60 s. */
  fullSweepIntervalMs?: number;
  /** The active orders, with their expiries when this process tracks them. */
  activeOrders: ActiveOrders;
  logger: Logger;
}

/**
 * Cancels orders past their expiry, one pass at a time; `stop` waits for the pass in progress.
 *
 * On MongoDB every pass asks the database for the due orders (an index on status and expiry answers it), so
 * any replica expires any replica's orders. On FerretDB, which reads the whole collection for such a query,
 * this process is the only writer of orders and `ActiveOrders` tracks every active order's expiry: each pass
 * expires the due ones it knows by id, and the database is read in full only every `fullSweepIntervalMs`.
 */
export class ExpirySweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastFullSweep = Date.now();

  constructor(private readonly options: ExpirySweeperOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = (this.options.activeOrders.isTracking ? this.passFromMemory() : this.pass(() => expireDueOrders())).finally(() => {
        this.running = undefined;
      });
    }, this.options.intervalMs);
  }

  private async passFromMemory(): Promise<void> {
    const { activeOrders } = this.options;
    const now = Date.now();
    if (now - this.lastFullSweep >= (this.options.fullSweepIntervalMs ?? 60_000)) {
      this.lastFullSweep = now;
      await this.pass(async () => {
        await activeOrders.learn();
        return 0;
      });
    }
    const dueIds = activeOrders.dueBy(now);
    await this.pass(async () => {
      let expired = 0;
      for (const id of dueIds) {
        const outcome = await expireOrder(id, new Date(now));
        if (outcome === 'expired') expired++;
        if (outcome === 'inactive') activeOrders.forget(id);
      }
      return expired;
    });
  }

  private async pass(run: () => Promise<number>): Promise<void> {
    try {
      const count = await run();
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
