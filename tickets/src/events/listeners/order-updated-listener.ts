import { Subjects } from '@ticketing/common/events';
import { OrderEventListener } from './order-event-listener';

/** A cancelled order frees its ticket; other status changes keep it held. */
export class OrderUpdatedListener extends OrderEventListener<typeof Subjects.OrderUpdated> {
  readonly subject = Subjects.OrderUpdated;
}
