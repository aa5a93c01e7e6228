import { Subjects } from '@ticketing/common/events';
import { OrderEventListener } from './order-event-listener';

/** A new order enters the replica. */
export class OrderCreatedListener extends OrderEventListener<typeof Subjects.OrderCreated> {
  readonly subject = Subjects.OrderCreated;
}
