import { type ApplyResult, type EventData, Listener, Subjects } from '@ticketing/common/events';
import { applyTicketEvent } from '../../services/ticket-replica';
import { QUEUE_GROUP } from '../queue-group';

type TicketSubject = typeof Subjects.TicketCreated | typeof Subjects.TicketUpdated;

/** Both ticket events bring the replica to the ticket's version they carry (`applyTicketEvent`). */
abstract class TicketEventListener<S extends TicketSubject> extends Listener<S> {
  readonly queueGroup = QUEUE_GROUP;

  onMessage(ticket: EventData<S>): Promise<ApplyResult> {
    return applyTicketEvent(ticket);
  }
}

/** Adds a new ticket to the replica. */
export class TicketCreatedListener extends TicketEventListener<typeof Subjects.TicketCreated> {
  readonly subject = Subjects.TicketCreated;
}

/** Brings the replica to the ticket's next version. */
export class TicketUpdatedListener extends TicketEventListener<typeof Subjects.TicketUpdated> {
  readonly subject = Subjects.TicketUpdated;
}
