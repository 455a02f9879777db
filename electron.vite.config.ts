import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.renderer.config';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // Two entries: the app's main process, and the engine process it starts (out/main/engine-host.js).
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'main/app/main.ts'),
          'engine-host': resolve(import.meta.dirname, 'main/transport/engine-host-entry.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // The sandbox only runs CommonJS preloads.
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
