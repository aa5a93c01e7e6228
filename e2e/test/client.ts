/** A small HTTP client for the end-to-end tests: talks to the gateway like a browser would. */
export interface Reply<T = unknown> {
  status: number;
  body: T;
}

export class Client {
  constructor(
    readonly baseUrl: string,
    private cookie?: string,
  ) {}

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body ?? {}, headers);
  }
  put<T = Record<string, unknown>>(path: string, body: unknown) {
    return this.request<T>('PUT', path, body);
  }
  delete(path: string) {
    return this.request('DELETE', path);
  }
}

/** Signs a new user up through the gateway and returns a client that carries their session. */
export async function signedUpClient(baseUrl: string, name: string): Promise<Client> {
  const client = new Client(baseUrl);
  const email = `${name}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const res = await client.post('/api/users/signup', { email, password: 'correct horse battery' });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return client;
}

export interface TicketBody {
  id: string;
  title: string;
  price: number;
  version: number;
  userId: string;
  orderId?: string;
}

export interface OrderBody {
  id: string;
  status: string;
  version: number;
  expiresAt: string;
  ticket: { id: string; title: string; price: number; version: number };
}
