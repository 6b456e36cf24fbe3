import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { api, must, onUnauthenticated, setCsrfToken, type Schemas } from './api/client';

/** Who is signed in, with their workspaces and roles. */
export type Session = Schemas['Session'];

const SessionContext = createContext<Session | undefined>(undefined);

/** The signed-in session of a page under RequireSession. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside RequireSession');
  return session;
}

/** The query reading GET /admin/api/session; null when nobody is signed in. */
export function useSessionQuery() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      const result = await api.GET('/admin/api/session');
      if (result.response.status === 401) return null;
      const session = must(result);
      setCsrfToken(session.csrfToken);
      return session;
    },
    staleTime: Infinity,
  });
}

/** The sign-in page's address that comes back to `path` once signed in. */
export function signInPath(path: string, expired = false): string {
  return `/sign-in?next=${encodeURIComponent(path)}${expired ? '&expired=1' : ''}`;
}

/** Renders its children for a signed-in admin; sends anyone else (and an expired session) to sign-in, then back. */
export function RequireSession({ children }: { children: ReactNode }) {
  const session = useSessionQuery();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  useEffect(() => {
    onUnauthenticated(() => {
      setCsrfToken(null);
      queryClient.clear();
      void navigate(signInPath(window.location.pathname + window.location.search, true), { replace: true });
    });
    return () => onUnauthenticated(undefined);
  }, [navigate, queryClient]);
  if (session.isPending) return null;
  if (session.isError) throw session.error;
  if (!session.data) return <Navigate to={signInPath(location.pathname + location.search)} replace />;
  return <SessionContext.Provider value={session.data}>{children}</SessionContext.Provider>;
}
