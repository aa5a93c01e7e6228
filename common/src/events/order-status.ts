/**
 * The order lifecycle, defined once for every service:
 *
 *     created ──► awaiting:payment ──► complete
 *        │               │
 *        └──────► cancelled ◄──────┘     (by the buyer, by expiry, or a rejected reservation)
 */
export const OrderStatus = {
  /** Created, ticket reserved, waiting for payment until `expiresAt`. */
  Created: 'created',
  /** Cancelled by the buyer or by expiry; the ticket is free again. */
  Cancelled: 'cancelled',
  AwaitingPayment: 'awaiting:payment',
  /** Paid: final, cannot be cancelled. */
  Complete: 'complete',
} as const;

export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const ORDER_STATUSES = Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]];

/** Statuses in which an order holds its ticket (a complete order keeps it: the ticket is sold). */
export const HOLDING_STATUSES: readonly OrderStatus[] = [OrderStatus.Created, OrderStatus.AwaitingPayment, OrderStatus.Complete];

/** Statuses that lapse at `expiresAt`. */
export const EXPIRING_STATUSES: readonly OrderStatus[] = [OrderStatus.Created, OrderStatus.AwaitingPayment];

const NEXT: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  [OrderStatus.Created]: [OrderStatus.AwaitingPayment, OrderStatus.Cancelled],
  [OrderStatus.AwaitingPayment]: [OrderStatus.Complete, OrderStatus.Cancelled],
  [OrderStatus.Complete]: [],
  [OrderStatus.Cancelled]: [],
};

/** True when the lifecycle allows an order in `from` to move to `to`. */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from].includes(to);
}

export function isHolding(status: OrderStatus): boolean {
  return HOLDING_STATUSES.includes(status);
}
