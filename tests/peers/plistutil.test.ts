import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodePlist, encodeBinaryPlist, encodeXmlPlist } from '../../main/plist/plist-codec';
import { PlistReal } from '../../main/plist/plist-value';
import { needTool, peerSkipReason, peerSuiteOptions, whichTool } from './peer-tool';

const run = promisify(execFile);
const plistutil = whichTool('plistutil');
const skip = peerSkipReason([needTool('plistutil', 'libplist-utils')]);

const value = {
  Request: 'StartSession',
  HostID: 'E7A1C0DE-1234-4CDE-9ABC-0123456789AB',
  Port: 62078,
  Negative: -13,
  Big: 2n ** 62n,
  Version: new PlistReal(2.1),
  Enabled: true,
  When: new Date('2026-11-27T10:20:30Z'),
  Data: Buffer.from('certificate bytes'),
  List: ['Grüße', 1, []],
};

describe.skipIf(skip !== null)("libplist's plistutil reads and writes what we do", peerSuiteOptions(skip), () => {
  it.each(['xml', 'binary'] as const)('converts our %s plist and we read its conversion back unchanged', async (format) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'plistutil-'));
    const input = path.join(dir, 'in.plist');
    const output = path.join(dir, 'out.plist');
    await writeFile(input, format === 'xml' ? encodeXmlPlist(value) : encodeBinaryPlist(value));
    await run(plistutil!, ['-i', input, '-o', output, '-f', format === 'xml' ? 'bin' : 'xml']);
    const back = decodePlist(await readFile(output)) as Record<string, unknown>;
    expect(back).toMatchObject({
      Request: 'StartSession',
      Port: 62078,
      Negative: -13,
      Big: 2n ** 62n,
      Version: 2.1,
      Enabled: true,
      List: ['Grüße', 1, []],
    });
    expect((back.When as Date).toISOString()).toBe('2026-11-27T10:20:30.000Z');
    expect(Buffer.from(back.Data as Uint8Array).toString()).toBe('certificate bytes');
  });
});
