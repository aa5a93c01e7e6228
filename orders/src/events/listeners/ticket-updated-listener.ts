import { type ApplyResult, type EventData, Listener, Subjects } from '@ticketing/common/events';
import { applyTicketEvent } from '../../services/ticket-replica';
import { QUEUE_GROUP } from '../queue-group';

/** Brings the replica to the ticket's next version. */
export class TicketUpdatedListener extends Listener<typeof Subjects.TicketUpdated> {
  readonly subject = Subjects.TicketUpdated;
  readonly queueGroup = QUEUE_GROUP;

  onMessage(ticket: EventData<typeof Subjects.TicketUpdated>): Promise<ApplyResult> {
    return applyTicketEvent(ticket);
  }
}
