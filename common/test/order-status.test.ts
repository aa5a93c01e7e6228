import { canTransition, EXPIRING_STATUSES, ORDER_STATUSES, OrderStatus } from '@ticketing/common/events';
import { HOLDING_STATUSES } from '../src/ticketing/order-status';

describe('the order lifecycle', () => {
  const allowed = [
    ['created', 'awaiting:payment'],
    ['created', 'cancelled'],
    ['awaiting:payment', 'complete'],
    ['awaiting:payment', 'cancelled'],
  ];

  it('When every pair of statuses is tried, then exactly the four lifecycle transitions are allowed', () => {
    const found = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.filter((to) => canTransition(from, to)).map((to) => [from, to]));
    expect(found).toEqual(expect.arrayContaining(allowed));
    expect(found).toHaveLength(allowed.length);
  });

  it('When an order is complete or cancelled, then it can go nowhere', () => {
    for (const to of ORDER_STATUSES) {
      expect(canTransition(OrderStatus.Complete, to)).toBe(false);
      expect(canTransition(OrderStatus.Cancelled, to)).toBe(false);
    }
  });

  it('When an order is sold it still holds its ticket, and only unpaid active orders expire', () => {
    expect([...HOLDING_STATUSES].sort()).toEqual(['awaiting:payment', 'complete', 'created']);
    expect([...EXPIRING_STATUSES].sort()).toEqual(['awaiting:payment', 'created']);
  });
});
