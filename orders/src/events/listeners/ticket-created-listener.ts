import { type ApplyResult, type EventData, Listener, Subjects } from '@ticketing/common/events';
import { applyTicketEvent } from '../../services/ticket-replica';
import { QUEUE_GROUP } from '../queue-group';

/** Adds a new ticket to the replica. */
export class TicketCreatedListener extends Listener<typeof Subjects.TicketCreated> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroup = QUEUE_GROUP;

  onMessage(ticket: EventData<typeof Subjects.TicketCreated>): Promise<ApplyResult> {
    return applyTicketEvent(ticket);
  }
}
