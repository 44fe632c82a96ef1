import { createContext, useContext } from 'react';
import { useLoad } from '../hooks';
import { useApi } from '../session';

/** The home the settings screens act on: undefined for the signed-in member's own, a user id for an admin. */
export const HomeScope = createContext<string | undefined>(undefined);
export const useHomeScope = () => useContext(HomeScope);

/** The home (GET /home), loaded once per screen. */
export function useHome() {
  const api = useApi();
  const uid = useHomeScope();
  return useLoad(() => api.home(uid), [uid]);
}
