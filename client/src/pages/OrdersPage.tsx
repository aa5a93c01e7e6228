import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, type Order, type ShownErrors, shownErrors, unreachable } from '../api/client';
import { formatPrice, GeneralErrors } from '../components';

/** The buyer's orders and their status, followed (every 2 s) while any is not final yet. */
export function OrdersPage() {
  const [orders, setOrders] = useState<Order[] | undefined>(undefined);
  const [errors, setErrors] = useState<ShownErrors | undefined>(undefined);

  const load = useCallback(async () => {
    try {
      const { data, error } = await api.GET('/api/orders');
      if (error) setErrors(shownErrors(error));
      else setOrders(data);
    } catch {
      setErrors(unreachable());
    }
  }, []);
  const isSettled = orders?.every((o) => o.status === 'complete' || o.status === 'cancelled') ?? false;
  useEffect(() => {
    void load();
    if (isSettled) return;
    const timer = setInterval(() => void load(), 2_000);
    return () => clearInterval(timer);
  }, [load, isSettled]);

  return (
    <section>
      <h1>My orders</h1>
      {errors && <GeneralErrors errors={errors} />}
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
