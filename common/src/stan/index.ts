/**
 * `@ticketing/common/stan`: the NATS Streaming transport, for code that constructs one itself (tests, tools).
 * A service gets its transport from `connectEventBus` (`/events`), which loads this module only when NATS
 * Streaming is configured. Needs node-nats-streaming.
 */

export { stanClientId } from '../events/transports/names';
export { StanTransport, type StanTransportOptions } from './transport';
