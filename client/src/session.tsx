import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { api, type User } from './api/client';

interface Session {
  /** undefined while the first answer is awaited; null when nobody is signed in. */
  user: User | null | undefined;
  refresh(): Promise<void>;
}

const SessionContext = createContext<Session>({ user: undefined, refresh: async () => {} });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const refresh = useCallback(async () => {
    const { data } = await api.GET('/api/users/currentuser').catch(() => ({ data: undefined }));
    setUser(data?.currentUser ?? null);
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return <SessionContext.Provider value={{ user, refresh }}>{children}</SessionContext.Provider>;
}

export const useSession = () => useContext(SessionContext);
