import type { LifelineApi } from '../common/api';

declare global {
  interface Window {
    /** Present inside the Electron app (exposed, frozen, by the preload); absent in a plain browser. */
    readonly lifeline?: LifelineApi;
  }
}
