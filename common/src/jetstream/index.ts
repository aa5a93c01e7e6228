/**
 * `@ticketing/common/jetstream`: the NATS JetStream transport, for code that constructs one itself (tests,
 * tools, the dead-letter reader). A service gets its transport from `connectEventBus` (`/events`), which
 * loads this module only when JetStream is configured. Needs @nats-io/jetstream and @nats-io/transport-node.
 */

export { durableName } from '../events/transports/names';
export {
  DEAD_LETTER_DELIVERIES_HEADER,
  DEAD_LETTER_REASON_HEADER,
  JetStreamTransport,
  type JetStreamTransportOptions,
} from './transport';
