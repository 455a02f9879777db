import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The virtual phone takes every protocol constant from the same wire module as the host client
 * (docs/CONVENTIONS.md, "never two copies"): it imports them, it never spells its own.
 */
const root = path.resolve(import.meta.dirname, '../../..');

/** Wire modules not named `*-wire.ts`. */
const OTHER_WIRE_MODULES = [
  'main/afc/afc-packet.ts',
  'main/devicelink/device-link.ts',
  'main/devicelink/mobilebackup2-messages.ts',
  'main/irecv/dfu-suffix.ts',
  'main/lockdown/service-names.ts',
  'main/usb/apple-usb-ids.ts',
  'main/usb/usb-standard-requests.ts',
  'main/usbip/control-request-type.ts',
];

function typeScriptFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Names a wire module exports as constants. */
function exportedConstants(source: string): string[] {
  return [...source.matchAll(/^export const ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1] ?? '');
}

/** Everything in one sim source that is its own copy of a protocol constant. */
function ownCopies(source: string, wireNames: ReadonlySet<string>): string[] {
  const code = withoutComments(source);
  const found: string[] = [];
  for (const m of code.matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=/g)) {
    if (wireNames.has(m[1] ?? '')) found.push(`declares ${m[1]}`);
  }
  for (const m of code.matchAll(/(['"`])((?:com\.apple\.|DL[A-Z])[^'"`]*)\1/g)) found.push(`spells ${m[2]}`);
  for (const m of code.matchAll(/\b(?:b?[Rr]equest\s*===\s*|request:\s*)(\d+|0x[\da-f]+)\b/g)) found.push(`uses bRequest ${m[1]}`);
  return found;
}

const wireModules = [...typeScriptFiles('main').filter((f) => f.endsWith('-wire.ts') && !f.startsWith('main/sim/')), ...OTHER_WIRE_MODULES];
const wireNames = new Set(wireModules.flatMap((file) => exportedConstants(readFileSync(path.join(root, file), 'utf8'))));

describe('one wire module per protocol', () => {
  it('knows the wire modules of the protocols the phone and the host share', () => {
    for (const name of [
      'AfcOp',
      'DLMessage',
      'MobileBackup2Message',
      'MOBILEBACKUP2_SERVICE',
      'SyncNotification',
      'DfuState',
      'UsbRequest',
    ]) {
      expect(wireNames, name).toContain(name);
    }
  });

  it('catches a planted copy of each kind', () => {
    const planted = [
      'const DFU_PACKET_SIZE = 0x800;',
      'export const AfcOp = { Status: 1 } as const;',
      "const name = 'com.apple.afc';",
      'send(["DLMessagePing"]);',
      'if (setup.request === 6) return null;',
      "controlTransferOut({ requestType: 'class', recipient: 'interface', request: 1, value: 0, index: 0 });",
    ].join('\n');
    expect(ownCopies(planted, wireNames)).toEqual([
      'declares DFU_PACKET_SIZE',
      'declares AfcOp',
      'spells com.apple.afc',
      'spells DLMessagePing',
      'uses bRequest 6',
      'uses bRequest 1',
    ]);
    expect(
      ownCopies("// e.g. 'com.apple.afc'\n/** const DfuState = 2 */\nimport { DfuState } from '../irecv/irecv-wire';", wireNames),
    ).toEqual([]);
  });

  it('main/sim imports every protocol constant instead of defining its own', () => {
    const copies = typeScriptFiles('main/sim').flatMap((file) =>
      ownCopies(readFileSync(path.join(root, file), 'utf8'), wireNames).map((copy) => `${file}: ${copy}`),
    );
    expect(copies).toEqual([]);
  });
});
