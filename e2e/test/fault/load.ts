import { type Client, type OrderBody, signedUpClient, type TicketBody } from '../client';

/** What the load generator was told by the system: every 2xx is a promise the database must keep. */
export interface Ledger {
  tickets: Map<string, { version: number; title: string; price: number }>;
  orders: Map<string, { ticketId: string; isCancelled: boolean }>;
  /** Orders a payment was answered 201 for. */
  payments: Set<string>;
}

export interface LoadFigures {
  requests: number;
  byStatus: Record<string, number>;
  networkErrors: number;
}

const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

/**
 * Many users listing, editing, buying, paying and cancelling tickets through the gateway, from `workers`
 * concurrent loops, until `stop()`. Bounded: it stops by itself after `maxRequests`.
 */
export class LoadGenerator {
  readonly ledger: Ledger = { tickets: new Map(), orders: new Map(), payments: new Set() };
  readonly figures: LoadFigures = { requests: 0, byStatus: {}, networkErrors: 0 };
  private isStopped = false;
  private users: Array<{ client: Client; tickets: string[]; orders: string[] }> = [];
  private loops: Promise<void>[] = [];

  constructor(
    private readonly gatewayUrl: string,
    private readonly options: { users: number; workers: number; maxRequests: number },
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.options.users; i++) {
      this.users.push({ client: await signedUpClient(this.gatewayUrl, `load${i}`), tickets: [], orders: [] });
    }
    this.loops = Array.from({ length: this.options.workers }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    await Promise.all(this.loops);
  }

  private count(status: number | 'network'): void {
    this.figures.requests++;
    if (status === 'network') this.figures.networkErrors++;
    else this.figures.byStatus[String(status)] = (this.figures.byStatus[String(status)] ?? 0) + 1;
  }

  private async loop(): Promise<void> {
    while (!this.isStopped && this.figures.requests < this.options.maxRequests) {
      const user = pick(this.users);
      if (!user) return;
      const roll = Math.random();
      try {
        if (roll < 0.05) await this.signup();
        else if (roll < 0.3) await this.createTicket(user);
        else if (roll < 0.5) await this.editTicket(user);
        else if (roll < 0.75) await this.order(user);
        else if (roll < 0.88) await this.pay(user);
        else await this.cancel(user);
      } catch {
        this.count('network');
      }
    }
  }

  private async signup(): Promise<void> {
    const res = await fetch(`${this.gatewayUrl}/api/users/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `u${Math.random().toString(36).slice(2)}@example.com`, password: 'correct horse battery' }),
    });
    await res.arrayBuffer();
    this.count(res.status);
  }

  private async createTicket(user: (typeof this.users)[number]): Promise<void> {
    const body = { title: `Show ${Math.random().toString(36).slice(2, 8)}`, price: Math.round(Math.random() * 10_000) / 100 + 1 };
    const res = await user.client.post<TicketBody>('/api/tickets', body);
    this.count(res.status);
    if (res.status === 201) {
      user.tickets.push(res.body.id);
      this.ledger.tickets.set(res.body.id, { version: res.body.version, title: res.body.title, price: res.body.price });
    }
  }

  private async editTicket(user: (typeof this.users)[number]): Promise<void> {
    const id = pick(user.tickets);
    if (!id) return this.createTicket(user);
    const res = await user.client.put<TicketBody>(`/api/tickets/${id}`, {
      title: `Edited ${Math.random().toString(36).slice(2, 8)}`,
      price: 5 + Math.floor(Math.random() * 100),
    });
    this.count(res.status);
    const known = this.ledger.tickets.get(id);
    if (res.status === 200 && (!known || res.body.version > known.version)) {
      this.ledger.tickets.set(id, { version: res.body.version, title: res.body.title, price: res.body.price });
    }
  }

  private async order(user: (typeof this.users)[number]): Promise<void> {
    const others = this.users.filter((u) => u !== user).flatMap((u) => u.tickets);
    const ticketId = pick(others);
    if (!ticketId) return;
    const res = await user.client.post<OrderBody>('/api/orders', { ticketId });
    this.count(res.status);
    if (res.status === 201) {
      user.orders.push(res.body.id);
      this.ledger.orders.set(res.body.id, { ticketId, isCancelled: false });
    }
  }

  /** Pays one of the user's orders with Stripe's test card token (400 while it is not confirmed, or once paid). */
  private async pay(user: (typeof this.users)[number]): Promise<void> {
    const id = pick(user.orders);
    if (!id) return this.order(user);
    const res = await user.client.post('/api/payments', { token: 'tok_visa', orderId: id });
    this.count(res.status);
    if (res.status === 201) this.ledger.payments.add(id);
  }

  private async cancel(user: (typeof this.users)[number]): Promise<void> {
    const id = pick(user.orders);
    if (!id) return this.order(user);
    const res = await user.client.delete(`/api/orders/${id}`);
    this.count(res.status);
    const known = this.ledger.orders.get(id);
    if (res.status === 204 && known) known.isCancelled = true;
  }
}
