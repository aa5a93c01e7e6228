import { type EventData, Listener, type MessageContext, Publisher, Subjects } from '@ticketing/common/events';
import type { TraceContext } from '@ticketing/common/http';
import type { JetStreamTransport } from '@ticketing/common/jetstream';
import { waitFor } from '@ticketing/stack/wait-for';
import { closeIsolated, connectIsolated } from '@ticketing/testkit/nats';
import { continueTrace } from '../src/support/trace';

/** The trace of a request, carried by the events it causes (JetStream headers) into the listeners. */

type TicketCreated = typeof Subjects.TicketCreated;

class TicketCreatedPublisher extends Publisher<TicketCreated> {
  readonly subject = Subjects.TicketCreated;
}

/** Records, for each event, the trace its handler was given. */
class TraceRecorder extends Listener<TicketCreated> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroup = 'trace-recorder';
  readonly seen: Array<{ id: string; trace?: TraceContext }> = [];

  async onMessage(data: EventData<TicketCreated>, message: MessageContext) {
    this.seen.push({ id: data.id, trace: message.trace });
    return 'applied' as const;
  }
}

const ticket = (id: string): EventData<TicketCreated> => ({ id, version: 0, title: 'Concert', price: 10, userId: 'u1' });
const parts = (traceparent: string | undefined) => traceparent?.split('-') ?? [];

describe('continueTrace', () => {
  it('When the incoming traceparent is valid, then our span is in its trace, with its flags and a new span id', () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    const [version, traceId, spanId, flags] = parts(continueTrace(incoming));
    expect({ version, traceId, flags }).toEqual({ version: '00', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', flags: '00' });
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe('00f067aa0ba902b7');
  });

  it('When the incoming traceparent is missing or malformed, then a new trace starts', () => {
    for (const incoming of [undefined, '', 'garbage', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, '00-ABC-00f067aa0ba902b7-01']) {
      const made = continueTrace(incoming);
      expect(made).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(parts(made)[1]).not.toBe('0'.repeat(32));
    }
  });

  it('When many traces start, across refills of the random pool, then every trace id and span id is new', () => {
    const made = Array.from({ length: 1_000 }, () => parts(continueTrace()));
    const ids = made.flatMap(([, traceId, spanId]) => [traceId, spanId]);
    expect(new Set(ids).size).toBe(2_000);
  });
});

describe('a trace across the bus (JetStream)', () => {
  let transports: JetStreamTransport[] = [];
  afterEach(async () => {
    await closeIsolated(transports);
    transports = [];
  });

  it('When an event is published while a request is handled, then the handler gets the same request id and trace id, in a span of its own', async () => {
    transports = await connectIsolated(2);
    const [publisherBus, listenerBus] = transports;
    const recorder = new TraceRecorder(listenerBus);
    await recorder.listen();
    const request: TraceContext = { requestId: 'req-42', traceparent: continueTrace() };

    await new TicketCreatedPublisher(publisherBus).publish(ticket('traced'), request);
    await new TicketCreatedPublisher(publisherBus).publish(ticket('untraced'));

    await waitFor(() => recorder.seen.length === 2, { description: 'both events' });
    const traced = recorder.seen.find((s) => s.id === 'traced')?.trace;
    expect(traced?.requestId).toBe('req-42');
    expect(parts(traced?.traceparent)[1]).toBe(parts(request.traceparent)[1]);
    expect(parts(traced?.traceparent)[2]).not.toBe(parts(request.traceparent)[2]);
    expect(recorder.seen.find((s) => s.id === 'untraced')?.trace).toBeUndefined();
  });
});
