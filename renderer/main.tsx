import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectLifeline } from './api/lifeline-client';
import { App } from './app';
import { createLifelineStore, setEngineConnection, startLifelineFeed } from './store/lifeline-store';
import './styles.css';

const store = createLifelineStore();
let feed: ReturnType<typeof startLifelineFeed> | null = null;
const api = connectLifeline((connected) => {
  setEngineConnection(store, connected);
  if (connected) feed?.refresh();
});
feed = startLifelineFeed(api, store);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App store={store} api={api} />
    </StrictMode>,
  );
}
