import { type ApplyResult, type EventData, Listener, type MessageContext, OrderStatus, Subjects } from '@ticketing/common/events';
import type { Logger } from '@ticketing/common/http';
import { applyOrderEvent } from '../../services/order-replica';
import { refundIfPaid } from '../../services/payments';
import type { PaymentProvider } from '../../services/stripe';
import { QUEUE_GROUP } from '../queue-group';

type OrderSubject = typeof Subjects.OrderCreated | typeof Subjects.OrderUpdated;

/**
 * Both order events bring the replica to the order's next version. A cancelled order's payment, if one was
 * recorded, is refunded — also when the event is a redelivery (the refund may not have happened the first
 * time), and the refund is idempotent.
 */
export abstract class OrderEventListener<S extends OrderSubject> extends Listener<S> {
  readonly queueGroup = QUEUE_GROUP;

  constructor(
    transport: ConstructorParameters<typeof Listener>[0],
    private readonly provider: PaymentProvider,
    protected override readonly logger: Logger,
  ) {
    super(transport, logger);
  }

  async onMessage(order: EventData<S>, _message?: MessageContext): Promise<ApplyResult> {
    const result = await applyOrderEvent(order);
    if (result !== 'gap' && order.status === OrderStatus.Cancelled) await refundIfPaid(order.id, this.provider, this.logger);
    return result;
  }
}

/** A new order enters the replica. */
export class OrderCreatedListener extends OrderEventListener<typeof Subjects.OrderCreated> {
  readonly subject = Subjects.OrderCreated;
}

/** An order's new status (confirmed, cancelled, complete) reaches the replica; a cancellation refunds. */
export class OrderUpdatedListener extends OrderEventListener<typeof Subjects.OrderUpdated> {
  readonly subject = Subjects.OrderUpdated;
}
