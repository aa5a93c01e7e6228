import { type ApplyResult, type EventData, type EventTransport, Listener, type Logger, Subjects } from '@ticketing/common';
import { applyOrderEvent } from '../../services/tickets';
import { QUEUE_GROUP } from '../queue-group';

/** A cancelled order frees its ticket; other status changes keep it held. */
export class OrderUpdatedListener extends Listener<typeof Subjects.OrderUpdated> {
  readonly subject = Subjects.OrderUpdated;
  readonly queueGroup = QUEUE_GROUP;

  constructor(
    transport: EventTransport,
    private readonly onTicketChanged: () => void,
    logger?: Logger,
  ) {
    super(transport, logger);
  }

  async onMessage(order: EventData<typeof Subjects.OrderUpdated>): Promise<ApplyResult> {
    const result = await applyOrderEvent(order);
    if (result === 'applied') this.onTicketChanged();
    return result;
  }
}
