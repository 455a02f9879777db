import type { LifelineApi } from '../common/api';
import { ConnectScreen } from './screens/connect-screen';
import type { LifelineStore } from './store/lifeline-store';
import { LifelineApiContext, LifelineStoreContext } from './store/use-lifeline';

export function App({ store, api }: { store: LifelineStore; api: LifelineApi }) {
  return (
    <LifelineApiContext.Provider value={api}>
      <LifelineStoreContext.Provider value={store}>
        <ConnectScreen />
      </LifelineStoreContext.Provider>
    </LifelineApiContext.Provider>
  );
}
