import { type ApplyResult, type EventData, type EventTransport, Listener, type Logger, Subjects } from '@ticketing/common';
import { applyOrderEvent } from '../../services/tickets';
import { QUEUE_GROUP } from '../queue-group';

/** A new order reserves its ticket. */
export class OrderCreatedListener extends Listener<typeof Subjects.OrderCreated> {
  readonly subject = Subjects.OrderCreated;
  readonly queueGroup = QUEUE_GROUP;

  constructor(
    transport: EventTransport,
    private readonly onTicketChanged: () => void,
    logger?: Logger,
  ) {
    super(transport, logger);
  }

  async onMessage(order: EventData<typeof Subjects.OrderCreated>): Promise<ApplyResult> {
    const result = await applyOrderEvent(order);
    if (result === 'applied') this.onTicketChanged();
    return result;
  }
}
