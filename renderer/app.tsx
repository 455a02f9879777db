import type { LifelineApi } from '../common/api';
import { DiagnosticsDialog } from './components/diagnostics-dialog';
import { EngineNotice } from './components/engine-notice';
import { useJourneyAutostart } from './journey/use-journey-autostart';
import { ScreenRouter } from './screens/screen-router';
import type { LifelineStore } from './store/lifeline-store';
import { LifelineApiContext, LifelineStoreContext } from './store/use-lifeline';

/** Every recognised phone gets its journey, whichever screen is open. */
function JourneyAutostart() {
  useJourneyAutostart();
  return null;
}

export function App({ store, api }: { store: LifelineStore; api: LifelineApi }) {
  return (
    <LifelineApiContext.Provider value={api}>
      <LifelineStoreContext.Provider value={store}>
        <JourneyAutostart />
        <EngineNotice />
        <div className="app-screen">
          <ScreenRouter />
        </div>
        <footer className="app-footer">
          <DiagnosticsDialog />
        </footer>
      </LifelineStoreContext.Provider>
    </LifelineApiContext.Provider>
  );
}
