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
