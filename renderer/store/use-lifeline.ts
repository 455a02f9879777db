import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { LifelineApi } from '../../common/api';
import type { LifelineState, LifelineStore } from './lifeline-store';

export const LifelineStoreContext = createContext<LifelineStore | null>(null);
export const LifelineApiContext = createContext<LifelineApi | null>(null);

export function useLifeline<T>(select: (state: LifelineState) => T): T {
  const store = useContext(LifelineStoreContext);
  if (!store) throw new Error('useLifeline needs a LifelineStoreContext provider');
  return useStore(store, select);
}

/** The contract, for components that send commands. */
export function useLifelineApi(): LifelineApi {
  const api = useContext(LifelineApiContext);
  if (!api) throw new Error('useLifelineApi needs a LifelineApiContext provider');
  return api;
}

/** The store itself, for components that change it (navigation). */
export function useLifelineStore(): LifelineStore {
  const store = useContext(LifelineStoreContext);
  if (!store) throw new Error('useLifelineStore needs a LifelineStoreContext provider');
  return store;
}
