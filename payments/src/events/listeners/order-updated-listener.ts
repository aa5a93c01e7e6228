import { Subjects } from '@ticketing/common/events';
import { OrderEventListener } from './order-event-listener';

/** An order's new status (confirmed, cancelled, complete) reaches the replica; a cancellation refunds. */
export class OrderUpdatedListener extends OrderEventListener<typeof Subjects.OrderUpdated> {
  readonly subject = Subjects.OrderUpdated;
}
