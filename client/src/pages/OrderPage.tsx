import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, NO_ERRORS, type Order } from '../api/client';
import { formatPrice, GeneralErrors, usePageTitle } from '../components';
import { usePolled } from '../requests';
import { PayForm } from './PayForm';

const isFinal = (order: Order) => order.status === 'complete' || order.status === 'cancelled';

const STATUS_TEXT: Record<Order['status'], string> = {
  created: 'Reserving the ticket…',
  'awaiting:payment': 'Reserved for you: pay before the time is up.',
  complete: 'Paid. The ticket is yours.',
  cancelled: 'Cancelled.',
};

/** Seconds until `at`, counted down every second. */
function useSecondsLeft(at: string | undefined): number | undefined {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return at === undefined ? undefined : Math.max(0, Math.round((Date.parse(at) - now) / 1_000));
}

/** One order: its status followed until it is final, the time left, and Pay while it awaits payment. */
export function OrderPage() {
  const { id = '' } = useParams();
  const request = useCallback(() => api.GET('/api/orders/{id}', { params: { path: { id } } }), [id]);
  const { data: order, errors, reload } = usePolled(request, 1_000, isFinal);
  const secondsLeft = useSecondsLeft(order?.expiresAt);
  usePageTitle('Order');

  return (
    <section>
      <h1>Order</h1>
      <GeneralErrors errors={errors ?? NO_ERRORS} />
      {order && (
        <>
          <p>
            {order.ticket ? (
              <>
                <Link to={`/tickets/${order.ticket.id}`}>{order.ticket.title}</Link>, {formatPrice(order.ticket.price)}
              </>
            ) : (
              'Ticket'
            )}
          </p>
          <p role="status">
            Status: <strong data-testid="order-status">{order.status}</strong> — {STATUS_TEXT[order.status]}
            {order.reason ? ` (${order.reason})` : ''}
          </p>
          {!isFinal(order) && secondsLeft !== undefined && (
            <p>
              Time left:{' '}
              <span data-testid="time-left">
                {Math.floor(secondsLeft / 60)}:{String(secondsLeft % 60).padStart(2, '0')}
              </span>
            </p>
          )}
          {order.status === 'awaiting:payment' && <PayForm orderId={order.id} onPaid={() => void reload()} />}
        </>
      )}
    </section>
  );
}
