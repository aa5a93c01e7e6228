import { encodeEvent } from './codec';
import type { EventData } from './schemas';
import type { Subject } from './subjects';
import type { EventTransport } from './transport';

/**
 * Publishes one kind of event. The payload is validated against the subject's schema before it leaves
 * the process, and `publish` resolves only once the server has stored it. The message id defaults to
 * `<aggregate id>:<version>`, so publishing the same state twice is deduplicated by JetStream.
 *
 *     class TicketCreatedPublisher extends Publisher<typeof Subjects.TicketCreated> {
 *       readonly subject = Subjects.TicketCreated;
 *     }
 */
export abstract class Publisher<S extends Subject> {
  abstract readonly subject: S;

  constructor(protected readonly transport: EventTransport) {}

  async publish(data: EventData<S>): Promise<void> {
    const payload = encodeEvent(this.subject, data);
    await this.transport.publish(this.subject, payload, { messageId: `${data.id}:${data.version}` });
  }
}
