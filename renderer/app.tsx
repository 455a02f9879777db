import type { LifelineApi } from '../common/api';
import { EngineNotice } from './components/engine-notice';
import { ScreenRouter } from './screens/screen-router';
import type { LifelineStore } from './store/lifeline-store';
import { LifelineApiContext, LifelineStoreContext } from './store/use-lifeline';

export function App({ store, api }: { store: LifelineStore; api: LifelineApi }) {
  return (
    <LifelineApiContext.Provider value={api}>
      <LifelineStoreContext.Provider value={store}>
        <EngineNotice />
        <ScreenRouter />
      </LifelineStoreContext.Provider>
    </LifelineApiContext.Provider>
  );
}
