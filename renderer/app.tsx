import { ConnectScreen } from './screens/connect-screen';
import { LifelineStoreContext } from './store/use-lifeline';
import type { LifelineStore } from './store/lifeline-store';

export function App({ store }: { store: LifelineStore }) {
  return (
    <LifelineStoreContext.Provider value={store}>
      <ConnectScreen />
    </LifelineStoreContext.Provider>
  );
}
