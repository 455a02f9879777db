#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx lifeline` works right after `npm ci` with no build step.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
process.env.LIFELINE_CLI_MAIN = '1';
await import(fileURLToPath(new URL('../main/cli.ts', import.meta.url)));
