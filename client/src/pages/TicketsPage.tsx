import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { allGeneral, api, type ShownErrors, shownErrors, type Ticket, unreachable } from '../api/client';
import { formatPrice, GeneralErrors, usePageTitle } from '../components';

const PAGE = 20;

/** Tickets for sale, newest first, a page at a time ("More tickets" follows `X-Next-Cursor`). */
export function TicketsPage() {
  const [tickets, setTickets] = useState<Ticket[] | undefined>(undefined);
  const [next, setNext] = useState<string | null>(null);
  const [errors, setErrors] = useState<ShownErrors | undefined>(undefined);
  const [isLoading, setLoading] = useState(false);
  usePageTitle('Tickets for sale');

  const load = useCallback(async (cursor?: string) => {
    setLoading(true);
    try {
      const { data, error, response } = await api.GET('/api/tickets', {
        params: { query: { limit: PAGE, ...(cursor ? { cursor } : {}) } },
      });
      if (error) return setErrors(allGeneral(shownErrors(error)));
      setErrors(undefined);
      setTickets((shown) => (cursor ? [...(shown ?? []), ...data] : data));
      setNext(response.headers.get('X-Next-Cursor'));
    } catch {
      setErrors(unreachable());
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section>
      <h1>Tickets for sale</h1>
      {errors && <GeneralErrors errors={errors} />}
      {tickets === undefined && !errors && <p>Loading…</p>}
      {tickets?.length === 0 && (
        <p>
          Nothing for sale yet. <Link to="/tickets/new">Sell a ticket</Link>.
        </p>
      )}
      {tickets && tickets.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Price</th>
            </tr>
          </thead>
          <tbody>
            {tickets.map((ticket) => (
              <tr key={ticket.id}>
                <td>
                  <Link to={`/tickets/${ticket.id}`}>{ticket.title}</Link>
                </td>
                <td>{formatPrice(ticket.price)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" disabled={isLoading} onClick={() => void load(next)}>
          More tickets
        </button>
      )}
    </section>
  );
}
