import { type ApplyResult, type EventData, Listener, type MessageContext, Subjects } from '@ticketing/common/events';
import { applyOrderEvent } from '../../services/tickets';
import { QUEUE_GROUP } from '../queue-group';

/** A cancelled order frees its ticket; other status changes keep it held. */
export class OrderUpdatedListener extends Listener<typeof Subjects.OrderUpdated> {
  readonly subject = Subjects.OrderUpdated;
  readonly queueGroup = QUEUE_GROUP;

  /** Every order event changes its ticket: one ticket's order events run one at a time. */
  protected override orderingKey(order: EventData<typeof Subjects.OrderUpdated>): string {
    return order.ticket.id;
  }

  onMessage(order: EventData<typeof Subjects.OrderUpdated>, message?: MessageContext): Promise<ApplyResult> {
    return applyOrderEvent(order, message?.trace);
  }
}
