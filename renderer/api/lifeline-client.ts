import type { LifelineApi } from '../../common/api';
import { createWebBridgeClient } from './web-bridge-client';

/** Inside Electron the preload provides the contract; in a browser the loopback bridge does. */
export function connectLifeline(onConnectionChange?: (connected: boolean) => void): LifelineApi {
  if (window.lifeline) {
    onConnectionChange?.(true);
    return window.lifeline;
  }
  return createWebBridgeClient(window.location, onConnectionChange);
}
