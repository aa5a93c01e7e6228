import { type ApplyResult, type EventData, Listener, type MessageContext, Subjects } from '@ticketing/common/events';
import { applyReservationDecision } from '../../services/orders';
import { QUEUE_GROUP } from '../queue-group';

/** tickets' answer to an order: confirms it (`awaiting:payment`) or cancels it with the reason. */
export class ReservationDecidedListener extends Listener<typeof Subjects.ReservationDecided> {
  readonly subject = Subjects.ReservationDecided;
  readonly queueGroup = QUEUE_GROUP;

  onMessage(decision: EventData<typeof Subjects.ReservationDecided>, message?: MessageContext): Promise<ApplyResult> {
    return applyReservationDecision(decision, message?.trace);
  }
}
