import { Subjects } from '@ticketing/common/events';
import { OrderEventListener } from './order-event-listener';

/** A new order reserves its ticket. */
export class OrderCreatedListener extends OrderEventListener<typeof Subjects.OrderCreated> {
  readonly subject = Subjects.OrderCreated;
}
