import { type ApplyResult, type EventData, Listener, type MessageContext, orderedBy, Subjects } from '@ticketing/common/events';
import { applyOrderEvent } from '../../services/tickets';
import { QUEUE_GROUP } from '../queue-group';

type OrderSubject = typeof Subjects.OrderCreated | typeof Subjects.OrderUpdated;

/** Both order events change the ticket they concern, by one rule (`applyOrderEvent`). */
export abstract class OrderEventListener<S extends OrderSubject> extends Listener<S> {
  readonly queueGroup = QUEUE_GROUP;

  /** Every order event changes its ticket: one ticket's order events run one at a time. */
  protected override readonly policies = { ordering: orderedBy<EventData<S>>((order) => order.ticket.id) };

  onMessage(order: EventData<S>, message?: MessageContext): Promise<ApplyResult> {
    return applyOrderEvent(order, message?.trace);
  }
}

/** A new order reserves its ticket. */
export class OrderCreatedListener extends OrderEventListener<typeof Subjects.OrderCreated> {
  readonly subject = Subjects.OrderCreated;
}

/** A cancelled order frees its ticket; other status changes keep it held. */
export class OrderUpdatedListener extends OrderEventListener<typeof Subjects.OrderUpdated> {
  readonly subject = Subjects.OrderUpdated;
}
