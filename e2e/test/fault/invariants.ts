import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { JetStreamTransport } from '@ticketing/common/jetstream';
import { waitFor } from '@ticketing/stack/wait-for';
import type { Connection } from 'mongoose';
import type { TestSystem } from '../system';
import type { Ledger } from './load';

interface TicketDoc {
  _id: { toHexString(): string };
  version: number;
  title: string;
  price: number;
  orderId?: string;
  pendingEvents: unknown[];
}
interface OrderDoc {
  _id: { toHexString(): string };
  version: number;
  status: string;
  reason?: string;
  expiresAt: Date;
  ticket: { toHexString(): string };
  ticketPrice: number;
  pendingEvents: unknown[];
}

/** Statuses of an order tickets accepted: it holds its ticket. A `created` order is still waiting for the decision. */
const HOLDING = new Set(['awaiting:payment', 'complete']);

interface PaymentDoc {
  _id: { toHexString(): string };
  stripeId: string;
  refundId?: string;
  pendingEvents: unknown[];
}
interface OrderReplicaDoc {
  _id: { toHexString(): string };
  version: number;
  status: string;
}

/**
 * Every way the system could disagree with itself, as a list of violations (empty = converged):
 * replicas equal their sources, reservations match accepted orders both ways and every accepted order's
 * price is its ticket's price, every order has its reservation decided (none left `created`), every
 * cancelled order has its reason, no outbox backlog, and every 2xx the load generator saw is in the database.
 */
export async function violations(
  db: { tickets: Connection; orders: Connection; payments?: Connection },
  ledger: Ledger,
  expirySlackMs: number,
): Promise<string[]> {
  const [sources, replicas, orders, payments, orderReplicas] = await Promise.all([
    db.tickets.collection<TicketDoc>('tickets').find().toArray(),
    db.orders.collection<TicketDoc>('tickets').find().toArray(),
    db.orders.collection<OrderDoc>('orders').find().toArray(),
    db.payments?.collection<PaymentDoc>('payments').find().toArray(),
    db.payments?.collection<OrderReplicaDoc>('orders').find().toArray(),
  ]);
  const out: string[] = [];
  if (payments && orderReplicas) out.push(...paymentViolations(orders, payments, orderReplicas, ledger));
  const replicaById = new Map(replicas.map((r) => [r._id.toHexString(), r]));
  const sourceById = new Map(sources.map((s) => [s._id.toHexString(), s]));
  const orderById = new Map(orders.map((o) => [o._id.toHexString(), o]));

  for (const source of sources) {
    const id = source._id.toHexString();
    const replica = replicaById.get(id);
    if (!replica) out.push(`ticket ${id}: no replica`);
    else if (replica.version !== source.version || replica.title !== source.title || replica.price !== source.price) {
      out.push(
        `ticket ${id}: replica v${replica.version} "${replica.title}" ${replica.price} != source v${source.version} "${source.title}" ${source.price}`,
      );
    }
    if (source.pendingEvents.length > 0) out.push(`ticket ${id}: ${source.pendingEvents.length} events not yet published`);
    if (source.orderId) {
      const order = orderById.get(source.orderId);
      if (!order || !HOLDING.has(order.status) || order.ticket.toHexString() !== id) {
        out.push(`ticket ${id}: reserved by ${source.orderId}, which is ${order ? order.status : 'missing'}`);
      }
    }
  }
  for (const replica of replicas) {
    if (!sourceById.has(replica._id.toHexString())) out.push(`replica ${replica._id.toHexString()}: no source ticket`);
  }
  const holdersByTicket = new Map<string, string[]>();
  for (const order of orders) {
    const id = order._id.toHexString();
    const ticketId = order.ticket.toHexString();
    if (order.pendingEvents.length > 0) out.push(`order ${id}: ${order.pendingEvents.length} events not yet published`);
    if (HOLDING.has(order.status)) {
      holdersByTicket.set(ticketId, [...(holdersByTicket.get(ticketId) ?? []), id]);
      const source = sourceById.get(ticketId);
      if (source?.orderId !== id) out.push(`order ${id} (${order.status}): its ticket ${ticketId} is not reserved by it`);
      else if (source.price !== order.ticketPrice) out.push(`order ${id}: price ${order.ticketPrice}, its ticket's is ${source.price}`);
    }
    if (order.status === 'created') {
      out.push(
        order.expiresAt.getTime() < Date.now() - expirySlackMs
          ? `order ${id}: past its expiry but not cancelled`
          : `order ${id}: reservation not decided yet`,
      );
    }
    if (order.status === 'cancelled' && !order.reason) out.push(`order ${id}: cancelled without a reason`);
  }
  for (const [ticketId, holders] of holdersByTicket) {
    if (holders.length > 1) out.push(`ticket ${ticketId}: sold twice (${holders.join(', ')})`);
  }

  for (const [id, acked] of ledger.tickets) {
    const source = sourceById.get(id);
    if (!source) out.push(`ticket ${id}: got a 2xx but is not in the database`);
    else if (source.version < acked.version) out.push(`ticket ${id}: got v${acked.version} acknowledged, database has v${source.version}`);
    else if (source.version === acked.version && (source.title !== acked.title || source.price !== acked.price)) {
      out.push(`ticket ${id}: acknowledged edit is not what the database holds`);
    }
  }
  for (const [id, acked] of ledger.orders) {
    const order = orderById.get(id);
    if (!order) out.push(`order ${id}: got a 201 but is not in the database`);
    else if (acked.isCancelled && order.status !== 'cancelled') out.push(`order ${id}: got a 204 cancel, status is ${order.status}`);
  }
  return out;
}

/**
 * Payments agree with orders: its replica of each order equals the order; a complete order has exactly its
 * payment, not refunded; a cancelled order's payment (it lost the race against expiry or the buyer) is
 * refunded; no payment is left for an order that is still awaiting it; every 201 is a recorded payment.
 */
function paymentViolations(orders: OrderDoc[], payments: PaymentDoc[], replicas: OrderReplicaDoc[], ledger: Ledger): string[] {
  const out: string[] = [];
  const paymentById = new Map(payments.map((p) => [p._id.toHexString(), p]));
  const replicaById = new Map(replicas.map((r) => [r._id.toHexString(), r]));
  for (const order of orders) {
    const id = order._id.toHexString();
    const replica = replicaById.get(id);
    if (!replica) out.push(`order ${id}: no replica in payments`);
    else if (replica.version !== order.version || replica.status !== order.status) {
      out.push(`order ${id}: payments' replica v${replica.version} ${replica.status} != v${order.version} ${order.status}`);
    }
    const payment = paymentById.get(id);
    if (order.status === 'complete' && (!payment || payment.refundId)) out.push(`order ${id}: complete without a kept payment`);
    if (order.status === 'cancelled' && payment && !payment.refundId) out.push(`order ${id}: cancelled, its payment not refunded`);
    if (order.status === 'awaiting:payment' && payment) out.push(`order ${id}: paid but not complete`);
  }
  for (const payment of payments) {
    if (payment.pendingEvents.length > 0) out.push(`payment ${payment._id.toHexString()}: events not yet published`);
  }
  for (const id of ledger.payments) {
    if (!paymentById.has(id)) out.push(`payment for order ${id}: got a 201 but is not in the database`);
  }
  return out;
}

/**
 * Per aggregate, the versions stored in the stream: each once, and 0..n without a gap (strictly +1). An
 * aggregate is a kind (the event name's first part: ticket, order, reservation) and an id; a reservation
 * has one event, its decision.
 */
export async function streamVersionViolations(bus: JetStreamTransport): Promise<{ messages: number; problems: string[] }> {
  const info = await bus.manager.streams.info(bus.streamName);
  const seen = new Map<string, number[]>();
  for (let seq = info.state.first_seq; seq > 0 && seq <= info.state.last_seq; seq++) {
    const message = await bus.manager.streams.getMessage(bus.streamName, { seq }).catch(() => null);
    if (!message) continue;
    const { id, version } = message.json<{ id: string; version: number }>();
    const name = message.subject.slice(message.subject.lastIndexOf('.') + 1);
    const aggregate = `${name.split(':')[0]} ${id}`;
    seen.set(aggregate, [...(seen.get(aggregate) ?? []), version]);
  }
  const problems: string[] = [];
  for (const [id, versions] of seen) {
    const sorted = [...versions].sort((a, b) => a - b);
    if (sorted.some((v, i) => v !== i)) problems.push(`${id}: versions ${sorted.join(',')} are not 0..${sorted.length - 1} each once`);
  }
  return { messages: info.state.messages, problems };
}

/** Deliveries beyond the first, summed over the stream's consumers. */
export async function redeliveries(bus: JetStreamTransport): Promise<number> {
  let total = 0;
  const info = await bus.manager.streams.info(bus.streamName, { subjects_filter: '>' });
  for await (const consumer of bus.manager.consumers.list(bus.streamName)) {
    const subject = consumer.config.filter_subject ?? '';
    const unique = info.state.subjects?.[subject] ?? 0;
    total += Math.max(0, consumer.delivered.consumer_seq - unique);
  }
  return total;
}

/**
 * Waits (up to 2 minutes) until `violations` finds nothing and returns how long that took. When it does not
 * converge, the error holds enough to diagnose it from CI output alone: what disagrees, which processes still
 * run, and their last log lines.
 */
export async function awaitConvergence(system: TestSystem, ledger: Ledger): Promise<number> {
  const startedAt = Date.now();
  let last: string[] = [];
  await waitFor(
    async () => {
      last = await violations(system.db, ledger, 3_000);
      return last.length === 0;
    },
    { description: 'convergence', timeoutMs: 120_000, intervalMs: 500 },
  ).catch((err: Error) => {
    const processes = Object.entries(system.services).map(([name, p]) => `${name}: ${p.isRunning ? 'running' : 'NOT running'}`);
    const logs = Object.keys(system.services).map((name) => [name, path.join(system.logDir, `${name}.log`)] as const);
    const tails = logs.map(([name, file]) => `--- ${name} log ---\n${logTail(file)}`);
    // The first few ids that disagree, and every log line that names them (what happened to that event).
    const ids = [...new Set(last.join(' ').match(/\b[0-9a-f]{24}\b/g) ?? [])].slice(0, 3);
    const about = ids.map((id) => `--- lines naming ${id} ---\n${logs.map(([name, file]) => linesNaming(name, file, id)).join('\n')}`);
    throw new Error([err.message, ...last.slice(0, 20), ...processes, ...about, ...tails].join('\n'));
  });
  return Date.now() - startedAt;
}

/** The last lines of a service's log that name `id`. */
function linesNaming(service: string, file: string, id: string): string {
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes(id));
    return lines.length === 0
      ? `${service}: (none)`
      : lines
          .slice(-8)
          .map((line) => `${service}: ${line.slice(0, 600)}`)
          .join('\n');
  } catch {
    return `${service}: (no log)`;
  }
}

/** A service's last warnings and errors other than request lines (dead letters, failed deliveries), then its last lines. */
function logTail(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const warnings = lines.filter((line) => /"level":[456]\d/.test(line) && !line.includes('"msg":"request completed"'));
    return ['(warnings and errors)', ...warnings.slice(-10), '(last lines)', ...lines.slice(-5)].join('\n');
  } catch {
    return '(no log)';
  }
}
