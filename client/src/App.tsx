import { Link, Route, Routes, useNavigate } from 'react-router';
import { allGeneral, api } from './api/client';
import { GeneralErrors } from './components';
import { AuthPage } from './pages/AuthPage';
import { OrderPage } from './pages/OrderPage';
import { OrdersPage } from './pages/OrdersPage';
import { SellPage } from './pages/SellPage';
import { TicketPage } from './pages/TicketPage';
import { TicketsPage } from './pages/TicketsPage';
import { useRequest } from './requests';
import { useSession } from './session';

function Header() {
  const { user, refresh } = useSession();
  const navigate = useNavigate();
  const { errors, run } = useRequest();
  const signOut = () =>
    run(
      () => api.POST('/api/users/signout'),
      async () => {
        await refresh();
        navigate('/');
      },
    );
  return (
    <header>
      <nav aria-label="Main">
        <Link to="/" className="brand">
          Ticketing
        </Link>
        {user && (
          <>
            <Link to="/tickets/new">Sell a ticket</Link>
            <Link to="/orders">My orders</Link>
            <span className="who">{user.email}</span>
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          </>
        )}
        {user === null && (
          <>
            <Link to="/auth/signup">Sign up</Link>
            <Link to="/auth/signin">Sign in</Link>
          </>
        )}
      </nav>
      <GeneralErrors errors={allGeneral(errors)} />
    </header>
  );
}

export function App() {
  return (
    <>
      <Header />
      <main>
        <Routes>
          <Route path="/" element={<TicketsPage />} />
          <Route path="/auth/signup" element={<AuthPage mode="signup" key="signup" />} />
          <Route path="/auth/signin" element={<AuthPage mode="signin" key="signin" />} />
          <Route path="/tickets/new" element={<SellPage />} />
          <Route path="/tickets/:id" element={<TicketPage />} />
          <Route path="/orders" element={<OrdersPage />} />
          <Route path="/orders/:id" element={<OrderPage />} />
          <Route path="*" element={<h1>Page not found</h1>} />
        </Routes>
      </main>
    </>
  );
}
