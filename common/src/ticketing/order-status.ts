/**
 * The order lifecycle, defined once for every service:
 *
 *     created ──► awaiting:payment ──► complete
 *        │               │
 *        └──────► cancelled ◄──────┘     (by the buyer, by expiry, or a rejected reservation)
 *
 * `created` → `awaiting:payment` when tickets accepts the reservation (`reservation:decided`).
 */
export const OrderStatus = {
  /** Placed; waiting for tickets to accept the reservation (or reject it). Expires at `expiresAt`. */
  Created: 'created',
  /** Cancelled (see `CancelReason`); the ticket is not (or no longer) held by it. */
  Cancelled: 'cancelled',
  /** tickets reserved the ticket for it; waiting for payment until `expiresAt`. */
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

/** Why tickets rejects a reservation: the order is cancelled with this as its reason. */
export const RejectionReason = {
  /** The ticket changed (an edit) since the version the order was placed against. */
  TicketChanged: 'ticket changed',
  /** Another order holds the ticket. */
  TicketReserved: 'ticket reserved',
  /** The buyer is the ticket's seller. */
  OwnTicket: 'own ticket',
} as const;

export type RejectionReason = (typeof RejectionReason)[keyof typeof RejectionReason];

export const REJECTION_REASONS = Object.values(RejectionReason) as [RejectionReason, ...RejectionReason[]];

/** Why an order is cancelled: by its buyer, by expiry, or because tickets rejected the reservation. */
export const CancelReason = {
  ByBuyer: 'cancelled by buyer',
  Expired: 'expired',
  ...RejectionReason,
} as const;

export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

export const CANCEL_REASONS = Object.values(CancelReason) as [CancelReason, ...CancelReason[]];
