import type { LifelineApi } from '../common/api';
import { DiagnosticsDialog } from './components/diagnostics-dialog';
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
        <footer className="app-footer">
          <DiagnosticsDialog />
        </footer>
      </LifelineStoreContext.Provider>
    </LifelineApiContext.Provider>
  );
}
