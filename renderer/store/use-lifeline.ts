import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { LifelineState, LifelineStore } from './lifeline-store';

export const LifelineStoreContext = createContext<LifelineStore | null>(null);

export function useLifeline<T>(select: (state: LifelineState) => T): T {
  const store = useContext(LifelineStoreContext);
  if (!store) throw new Error('useLifeline needs a LifelineStoreContext provider');
  return useStore(store, select);
}
