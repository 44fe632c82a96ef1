import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { createClient, type Client, type User } from './api';

const KEY = 'homeguard.session';

interface Stored {
  token: string;
  user: User;
  expires_at: string;
}

function load(): Stored | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Stored;
    if (s.expires_at && Date.parse(s.expires_at) < Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

interface SessionValue {
  user: User | null;
  token: string | null;
  api: Client;
  /** Why the last session ended, shown on the login screen. */
  endedReason: string | null;
  signIn: (token: string, user: User, expires_at: string) => void;
  signOut: (reason?: string) => Promise<void>;
}

const Ctx = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Stored | null>(load);
  const [endedReason, setEndedReason] = useState<string | null>(null);
  const tokenRef = useRef<string | null>(session?.token ?? null);
  tokenRef.current = session?.token ?? null;

  const end = useCallback((reason: string | null) => {
    sessionStorage.removeItem(KEY);
    tokenRef.current = null;
    setSession(null);
    setEndedReason(reason);
  }, []);

  const api = useMemo(
    () =>
      createClient({
        getToken: () => tokenRef.current,
        onUnauthorized: (e) => end(e.code === 'TOKEN_EXPIRED' ? 'Your session expired. Please log in again.' : 'Your session ended. Please log in again.'),
      }),
    [end],
  );

  const signIn = useCallback((token: string, user: User, expires_at: string) => {
    const s = { token, user, expires_at };
    sessionStorage.setItem(KEY, JSON.stringify(s));
    tokenRef.current = token;
    setEndedReason(null);
    setSession(s);
  }, []);

  const signOut = useCallback(
    async (reason?: string) => {
      if (!reason) {
        try {
          await api.logout();
        } catch {
          /* the session ends here either way */
        }
      }
      end(reason ?? null);
    },
    [api, end],
  );

  const value = useMemo<SessionValue>(
    () => ({ user: session?.user ?? null, token: session?.token ?? null, api, endedReason, signIn, signOut }),
    [session, api, endedReason, signIn, signOut],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

export function useApi(): Client {
  return useSession().api;
}
