import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The renderer alone, for the browser bridge and e2e tests (electron.vite.config.ts builds the same thing for the app). */
export const rendererConfig = {
  root: resolve(import.meta.dirname, 'renderer'),
  base: './',
  plugins: [react()],
  build: {
    outDir: resolve(import.meta.dirname, 'out/renderer'),
    emptyOutDir: true,
    rollupOptions: { input: resolve(import.meta.dirname, 'renderer/index.html') },
    // Keeps the bundle free of inline scripts, which the CSP forbids.
    modulePreload: { polyfill: false },
  },
};

export default defineConfig(rendererConfig);
