import { EXPIRING_STATUSES } from '@ticketing/common/events';
import type { Logger } from '@ticketing/common/http';
import { writeIsolation } from '@ticketing/common/mongo';
import { Order, orders } from '../models/order';
import { expireDueOrders, expireOrder } from './orders';

export interface ExpirySweeperOptions {
  /** How often due orders are cancelled. */
  intervalMs: number;
  /** With `process` isolation: how often the database is read in full as well (belt and braces). Default 60 s. */
  fullSweepIntervalMs?: number;
  logger: Logger;
}

/**
 * Cancels orders past their expiry, one pass at a time; `stop` waits for the pass in progress.
 *
 * On MongoDB every pass asks the database for the due orders (an index on status and expiry answers it), so
 * any replica expires any replica's orders. On FerretDB, which reads the whole collection for such a query,
 * this process is the only writer of orders (`process` isolation): it learns every active order's expiry from
 * the order store, reads the database in full only at start and every `fullSweepIntervalMs`, and each pass
 * expires the due orders it knows by id.
 */
export class ExpirySweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Active orders and when they expire (only with `process` isolation). */
  private readonly due = new Map<string, number>();
  private detach?: () => void;
  private lastFullSweep = 0;

  constructor(private readonly options: ExpirySweeperOptions) {}

  start(): void {
    const isOnlyWriter = writeIsolation() === 'process';
    if (isOnlyWriter) {
      this.detach = orders.onCommitted((order) => {
        if (EXPIRING_STATUSES.includes(order.status)) this.due.set(order.id, order.expiresAt.getTime());
        else this.due.delete(order.id);
      });
    }
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = (isOnlyWriter ? this.passFromMemory() : this.pass(() => expireDueOrders())).finally(() => {
        this.running = undefined;
      });
    }, this.options.intervalMs);
  }

  private async passFromMemory(): Promise<void> {
    const now = Date.now();
    if (now - this.lastFullSweep >= (this.options.fullSweepIntervalMs ?? 60_000)) {
      this.lastFullSweep = now;
      await this.pass(() => this.learnFromDatabase());
    }
    const dueIds = [...this.due].filter(([, expiresAt]) => expiresAt <= now).map(([id]) => id);
    await this.pass(async () => {
      let expired = 0;
      for (const id of dueIds) {
        const outcome = await expireOrder(id, new Date(now));
        if (outcome === 'expired') expired++;
        if (outcome === 'inactive') this.due.delete(id);
      }
      return expired;
    });
  }

  /** Reads every active order once: those that expired meanwhile are cancelled, the others remembered. */
  private async learnFromDatabase(): Promise<number> {
    const active = await Order.find({ status: { $in: EXPIRING_STATUSES } }, { expiresAt: 1 }).lean();
    for (const order of active) this.due.set(String(order._id), order.expiresAt.getTime());
    return 0;
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
    this.detach?.();
    await this.running;
  }
}
