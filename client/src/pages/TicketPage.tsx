import { useEffect, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { allGeneral, api, shownErrors, type Ticket, unreachable } from '../api/client';
import { formatPrice, GeneralErrors, usePageTitle } from '../components';
import { useRequest } from '../requests';
import { useSession } from '../session';

/** One ticket, with Purchase for a signed-in buyer. */
export function TicketPage() {
  const { id = '' } = useParams();
  const { user } = useSession();
  const navigate = useNavigate();
  const [ticket, setTicket] = useState<Ticket | undefined>(undefined);
  const { errors, setErrors, isBusy, run } = useRequest();
  usePageTitle(ticket?.title ?? 'Ticket');

  useEffect(() => {
    api
      .GET('/api/tickets/{id}', { params: { path: { id } } })
      .then(({ data, error }) => (error ? setErrors(shownErrors(error)) : setTicket(data)))
      .catch(() => setErrors(unreachable()));
  }, [id, setErrors]);

  const purchase = () =>
    run(
      () => api.POST('/api/orders', { body: { ticketId: id } }),
      (order) => navigate(`/orders/${order.id}`),
    );
  return (
    <section>
      <h1>{ticket?.title ?? 'Ticket'}</h1>
      <GeneralErrors errors={allGeneral(errors)} />
      {ticket && (
        <>
          <p>Price: {formatPrice(ticket.price)}</p>
          {ticket.orderId && <p>Reserved by an order.</p>}
          {user && user.id !== ticket.userId && !ticket.orderId && (
            <button type="button" disabled={isBusy} onClick={() => void purchase()}>
              Purchase
            </button>
          )}
          {user === null && <p>Sign in to buy it.</p>}
          {user && user.id === ticket.userId && <p>This is your ticket.</p>}
        </>
      )}
    </section>
  );
}
