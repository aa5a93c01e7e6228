import { type ApplyResult, type EventData, Listener, type MessageContext, Subjects } from '@ticketing/common/events';
import { applyOrderEvent } from '../../services/tickets';
import { QUEUE_GROUP } from '../queue-group';

/** A new order reserves its ticket. */
export class OrderCreatedListener extends Listener<typeof Subjects.OrderCreated> {
  readonly subject = Subjects.OrderCreated;
  readonly queueGroup = QUEUE_GROUP;

  /** Every order event changes its ticket: one ticket's order events run one at a time. */
  protected override orderingKey(order: EventData<typeof Subjects.OrderCreated>): string {
    return order.ticket.id;
  }

  onMessage(order: EventData<typeof Subjects.OrderCreated>, message?: MessageContext): Promise<ApplyResult> {
    return applyOrderEvent(order, message?.trace);
  }
}
