import { type EventData, Listener, Subjects } from '@ticketing/common/events';
import { failureDelayMs, gapDelayMs } from '../src/events/consumer/retry';

/** A listener with the defaults every service's listeners have. */
class DefaultListener extends Listener<typeof Subjects.OrderUpdated> {
  readonly subject = Subjects.OrderUpdated;
  readonly queueGroup = 'budget-test';
  readonly deliveries = this.effectivePolicies.retry.maxDeliveries;

  async onMessage(_data: EventData<typeof Subjects.OrderUpdated>) {
    return 'gap' as const;
  }
}

/** How long a message is offered again before its last delivery, with `delay` after each delivery. */
function waitBeforeLastDelivery(maxDeliver: number, delay: (deliveryCount: number) => number): number {
  let total = 0;
  for (let delivery = 1; delivery < maxDeliver; delivery++) total += delay(delivery);
  return total;
}

describe('how long a listener keeps a message before dead-lettering it', () => {
  const { deliveries } = new DefaultListener({} as never);

  it('When a version gap waits for a predecessor coming through another consumer, then it outlasts a NATS server failover (a minute) and is still bounded', () => {
    const gapWaitMs = waitBeforeLastDelivery(deliveries, gapDelayMs);
    expect(gapWaitMs).toBeGreaterThanOrEqual(60_000);
    expect(gapWaitMs).toBeLessThanOrEqual(5 * 60_000);
  });

  it('When a handler keeps failing (the database away), then it is retried for minutes, not forever', () => {
    const failureWaitMs = waitBeforeLastDelivery(deliveries, failureDelayMs);
    expect(failureWaitMs).toBeGreaterThanOrEqual(2 * 60_000);
    expect(failureWaitMs).toBeLessThanOrEqual(15 * 60_000);
  });
});
