import { type ApplyResult, type EventData, Listener, type MessageContext, orderedBy, Subjects } from '@ticketing/common/events';
import { applyPayment } from '../../services/orders';
import { QUEUE_GROUP } from '../queue-group';

/** A recorded payment completes its order. */
export class PaymentCreatedListener extends Listener<typeof Subjects.PaymentCreated> {
  readonly subject = Subjects.PaymentCreated;
  readonly queueGroup = QUEUE_GROUP;

  /** The payment changes its order: keyed by the order, like the order's other events here. */
  protected override readonly policies = { ordering: orderedBy<EventData<typeof Subjects.PaymentCreated>>((payment) => payment.orderId) };

  onMessage(payment: EventData<typeof Subjects.PaymentCreated>, message?: MessageContext): Promise<ApplyResult> {
    return applyPayment(payment, message?.trace);
  }
}
