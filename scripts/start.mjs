#!/usr/bin/env node
// `npm start [-- --demo]`: fetch Electron's binary on first use (npm ci never does: allowScripts),
// build with electron-vite, launch the app.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const electronDir = path.join(root, 'node_modules', 'electron');
const appArgs = process.argv.slice(2);

function electronBinary() {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

if (!electronBinary()) {
  console.log('First start: downloading Electron (once)…');
  const install = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { stdio: 'inherit', cwd: root });
  if (install.status !== 0 || !electronBinary()) {
    console.error(
      '\nCould not download Electron on this machine, so the desktop window cannot open here.\n' +
        'You can still use the real interface and engine in your browser:\n\n' +
        `  npm run dev:web${appArgs.includes('--demo') ? ' -- --demo' : ''}\n`,
    );
    process.exit(1);
  }
}

const build = spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
  stdio: 'inherit',
  cwd: root,
});
if (build.status !== 0) process.exit(build.status ?? 1);

const child = spawn(electronBinary(), [path.join(root, 'out', 'main', 'index.js'), ...appArgs], { stdio: 'inherit', cwd: root });
child.on('exit', (code) => process.exit(code ?? 0));
