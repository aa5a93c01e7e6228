import { createLogger } from '@ticketing/common/http';
import { testSessionKeys } from '@ticketing/testkit/session';
import { Types } from 'mongoose';
import { buildApp } from '../src/app';
import { Ticket } from '../src/models/ticket';
import { ActiveOrders } from '../src/services/active-orders';

export const EXPIRATION_SECONDS = 900;
export const MAX_ACTIVE = 3;
export const app = buildApp({
  sessions: { publicKeys: testSessionKeys.publicKeys },
  logger: createLogger('orders-test', 'silent'),
  orderExpirationSeconds: EXPIRATION_SECONDS,
  orderLimits: { maxActivePerBuyer: MAX_ACTIVE, activeOrders: new ActiveOrders() },
  health: { mongo: () => true, nats: () => true },
});

/** A ticket in orders' replica, as if its ticket:created had been applied. */
export function replicaTicket(title = 'Concert', price = 20, userId = new Types.ObjectId().toHexString()) {
  return Ticket.create({ _id: new Types.ObjectId(), title, price, userId, version: 0 });
}
