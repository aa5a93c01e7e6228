import { useCallback } from 'react';
import { Link } from 'react-router';
import { api, type Order } from '../api/client';
import { formatPrice, GeneralErrors, usePageTitle } from '../components';
import { usePolled } from '../requests';

const isFinal = (order: Order) => order.status === 'complete' || order.status === 'cancelled';

/** The buyer's orders and their status, followed (every 2 s) while any is not final yet. */
export function OrdersPage() {
  const request = useCallback(() => api.GET('/api/orders'), []);
  const { data: orders, errors, isRefused } = usePolled(request, 2_000, (all: Order[]) => all.every(isFinal));
  usePageTitle('My orders');

  return (
    <section>
      <h1>My orders</h1>
      {errors && <GeneralErrors errors={errors} />}
      {isRefused && (
        <p>
          <Link to="/auth/signin">Sign in</Link> to see your orders.
        </p>
      )}
      {orders?.length === 0 && <p>No orders yet.</p>}
      {orders && orders.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">Price</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => (
              <tr key={order.id}>
                <td>
                  <Link to={`/orders/${order.id}`}>{order.ticket?.title ?? order.id}</Link>
                </td>
                <td>{order.ticket ? formatPrice(order.ticket.price) : ''}</td>
                <td data-testid="order-status">
                  {order.status}
                  {order.reason ? ` (${order.reason})` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
