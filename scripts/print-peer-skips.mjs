#!/usr/bin/env node
// Last step of `npm test`: repeat which peer suites the vitest run skipped, and why (written by
// tests/peers/peer-skip-reporter.ts), so the line is not lost above the e2e output.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const file = path.resolve(import.meta.dirname, '../node_modules/.cache/lifeline/peer-skips.txt');
console.log(existsSync(file) ? readFileSync(file, 'utf8').trim() : 'peers skipped: unknown (the peer tests did not run in this npm test)');
