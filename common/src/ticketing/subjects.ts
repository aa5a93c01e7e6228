/** Event names: the public contract between services. Transports derive their wire subjects from these. */
export const Subjects = {
  TicketCreated: 'ticket:created',
  TicketUpdated: 'ticket:updated',
  OrderCreated: 'order:created',
  OrderUpdated: 'order:updated',
  /** tickets' answer to an order's `order:created`: the reservation is accepted, or rejected with a reason. */
  ReservationDecided: 'reservation:decided',
  /** A payment for an order was charged and recorded. */
  PaymentCreated: 'payment:created',
} as const;

export type Subject = (typeof Subjects)[keyof typeof Subjects];

export const ALL_SUBJECTS: readonly Subject[] = Object.values(Subjects);

export function isSubject(value: string): value is Subject {
  return (ALL_SUBJECTS as readonly string[]).includes(value);
}
