import { APP_NAME, APP_VERSION } from '../version';
import { Engine } from './engine';

export type AppEngineOptions = { demo?: boolean };

/** The composition root every front end shares (Electron, web bridge, CLI). */
export async function createAppEngine(options: AppEngineOptions = {}): Promise<Engine> {
  return new Engine({ name: APP_NAME, version: APP_VERSION, demo: options.demo ?? false });
}
