import { afterEach, describe, expect, it } from 'vitest';
import { memoryImageSource } from '../../main/asr/asr-image-source';
import { tagForComponent } from '../../main/img4/component-tags';
import { personalise } from '../../main/img4/img4';
import { generateTicketSigningKey } from '../../main/img4/ticket-signature';
import { selectIdentity, type BuildIdentity } from '../../main/ipsw/build-manifest';
import { isPlistDict, type PlistDict } from '../../main/plist/plist-value';
import { coprocessorUpdaterFor } from '../../main/restore/coprocessor-updater';
import { signedTicketFor } from '../../main/sim/fake-tss-server';
import { syntheticOsImageFacts } from '../../main/sim/synthetic-ipsw';
import { buildApTicketRequest } from '../../main/tss/tss-request';
import {
  A12_SPEC,
  A7_SPEC,
  bootToRestoreMode,
  runScriptedHost,
  startRestoreBench,
  waitForMode,
  type AnswerHook,
  type RestoreBench,
} from './sim-restore-host';

const benches: RestoreBench[] = [];
afterEach(async () => {
  for (const bench of benches.splice(0)) await bench.close();
});

async function bench(spec = A7_SPEC, productType = 'iPhone6,1'): Promise<RestoreBench> {
  const b = await startRestoreBench(spec, { model: { productType }, mode: 'dfu', ecid: '0x000A1B2C3D4E5F61' });
  benches.push(b);
  return b;
}

async function image(b: RestoreBench, identity: BuildIdentity, fileOf: string, tag: string, ticket: Buffer): Promise<Buffer> {
  const path = identity.components.find((c) => c.name === fileOf)!.path!;
  return personalise(await b.archive.readSmall(path, 1024 * 1024), tag, ticket).img4;
}

/** One erase with a host that answers one request badly; returns what the host saw and what the phone recorded. */
async function restoreWith(
  b: RestoreBench,
  answer: AnswerHook,
  extra: { asrImage?: ReturnType<typeof memoryImageSource>; fdr?: boolean } = {},
) {
  const { deviceId, ticket, identity } = await bootToRestoreMode(b, 'Erase');
  const run = await runScriptedHost(b, { deviceId, ticket, identity, behavior: 'Erase', answer, ...extra });
  await waitForMode(b.phone, 'recovery');
  const record = b.phone.restores.at(-1)!;
  return { run, record, rejected: record.dataRequests.find((r) => r.rejected !== null) ?? null };
}

describe('the virtual phone checks the root ticket', () => {
  it('refuses a ticket for another ApNonce with status 14 and reboots into recovery', async () => {
    const b = await bench();
    const { run, record, rejected } = await restoreWith(b, (type, answer) => {
      if (type !== 'RootTicket') return answer;
      const identity = selectIdentity(b.manifest, 'n51ap', 'Erase')!;
      const request = buildApTicketRequest(identity, {
        ecid: b.phone.identity.ecid,
        apNonce: Buffer.alloc(20, 9),
        sepNonce: b.phone.hardware.sepNonce,
      });
      return { RootTicketData: signedTicketFor(request, b.tss.key) };
    });
    expect(run.status).toBe(14);
    expect(run.log).toContain('BNCH');
    expect(rejected?.dataType).toBe('RootTicket');
    expect(record.outcome).toBe('failed');
    expect(b.phone.hardware.mode).toBe('recovery');
  });

  it('refuses a ticket signed by a key the phone does not trust', async () => {
    const b = await bench();
    const { run } = await restoreWith(b, (type, answer) => {
      if (type !== 'RootTicket') return answer;
      const identity = selectIdentity(b.manifest, 'n51ap', 'Erase')!;
      const request = buildApTicketRequest(identity, {
        ecid: b.phone.identity.ecid,
        apNonce: b.phone.hardware.apNonce,
        sepNonce: b.phone.hardware.sepNonce,
      });
      return { RootTicketData: signedTicketFor(request, generateTicketSigningKey()) };
    });
    expect(run.status).toBe(14);
    expect(run.log).toContain('signature');
  });

  it('fails the SEP (status 50) when the ticket carries another SepNonce', async () => {
    const b = await bench();
    const { run } = await restoreWith(b, (type, answer) => {
      if (type !== 'RootTicket') return answer;
      const identity = selectIdentity(b.manifest, 'n51ap', 'Erase')!;
      const request = buildApTicketRequest(identity, {
        ecid: b.phone.identity.ecid,
        apNonce: b.phone.hardware.apNonce,
        sepNonce: Buffer.alloc(20, 3),
      });
      return { RootTicketData: signedTicketFor(request, b.tss.key) };
    });
    expect(run.status).toBe(50);
    expect(run.log).toContain('snon');
  });

  it('fails clearly when the host has no ticket to send', async () => {
    const b = await bench();
    const { run } = await restoreWith(b, (type, answer) => (type === 'RootTicket' ? {} : answer));
    expect(run.status).toBe(14);
    expect(run.log).toContain('RootTicketData');
  });
});

describe('the virtual phone checks personalised images', () => {
  it('refuses a kernel cache sent without personalisation', async () => {
    const b = await bench();
    const identity = selectIdentity(b.manifest, 'n51ap', 'Erase')!;
    const raw = await b.archive.readSmall(identity.components.find((c) => c.name === 'KernelCache')!.path!, 1024 * 1024);
    const { run, rejected } = await restoreWith(b, (type, answer) => (type === 'KernelCache' ? { KernelCacheFile: raw } : answer));
    expect(run.status).toBe(14);
    expect(rejected?.rejected).toContain('not a valid IMG4');
  });

  it('refuses a kernel cache with the restore tag (rkrn) instead of krnl', async () => {
    const b = await bench();
    const { run, rejected } = await restoreWith(b, async (type, answer) => {
      if (type !== 'KernelCache') return answer;
      return { KernelCacheFile: await image(b, selectIdentity(b.manifest, 'n51ap', 'Erase')!, 'KernelCache', 'rkrn', await ticketOf(b)) };
    });
    expect(run.status).toBe(14);
    expect(rejected?.rejected).toContain('image type rkrn');
  });

  it('refuses another component’s bytes under the right tag (digest mismatch)', async () => {
    const b = await bench();
    const { run, rejected } = await restoreWith(b, async (type, answer) => {
      if (type !== 'KernelCache') return answer;
      return {
        KernelCacheFile: await image(
          b,
          selectIdentity(b.manifest, 'n51ap', 'Erase')!,
          'DeviceTree',
          tagForComponent('KernelCache')!,
          await ticketOf(b),
        ),
      };
    });
    expect(run.status).toBe(14);
    expect(rejected?.rejected).toMatch(/digest/);
  });

  it('refuses NORData whose first image is not iBoot', async () => {
    const b = await bench();
    const { run, rejected } = await restoreWith(b, (type, answer) =>
      type === 'NORData' ? { ...answer, NorImageData: [answer.LlbImageData!] } : answer,
    );
    expect(run.status).toBe(14);
    expect(rejected?.rejected).toContain('iBoot');
  });

  it('fails the SEP (status 50) when SEPImageData holds the restore SEP', async () => {
    const b = await bench();
    const { run, rejected } = await restoreWith(b, (type, answer) =>
      type === 'NORData' ? { ...answer, SEPImageData: answer.RestoreSEPImageData! } : answer,
    );
    expect(run.status).toBe(50);
    expect(rejected?.dataType).toBe('NORData');
  });
});

describe('the virtual phone checks the OS image and the modem firmware', () => {
  it('ends with the verification error (-1) when the streamed image is not the OS of this IPSW', async () => {
    const b = await bench();
    const size = syntheticOsImageFacts(A7_SPEC).size;
    const { run, record } = await restoreWith(b, (_type, answer) => answer, { asrImage: memoryImageSource(Buffer.alloc(size, 0x42)) });
    expect(run.status).toBe(-1);
    expect(record.asr?.digestMatches).toBe(false);
    expect(record.bytesStreamed).toBe(size);
  });

  it('ends with 1015 when BasebandData is not a firmware archive', async () => {
    const b = await bench();
    const { run, rejected } = await restoreWith(b, (type, answer) =>
      type === 'BasebandData' ? { BasebandData: Buffer.from('not a zip') } : answer,
    );
    expect(run.status).toBe(1015);
    expect(rejected?.dataType).toBe('BasebandData');
  });

  it('uses the baseband check the modem module plugs in, with the nonce it asked with', async () => {
    const b = await bench();
    const seen: (string | null)[] = [];
    b.phone.basebandCheck = (request) => {
      seen.push(request.nonce ? Buffer.from(request.nonce).toString('hex') : null);
      return request.nonce ? { ok: false, status: 1015, reason: 'the BBTicket is for another nonce' } : { ok: true, digests: {} };
    };
    const { run } = await restoreWith(b, (_type, answer) => answer);
    expect(run.status).toBe(1015);
    expect(seen[0]).toBeNull();
    expect(seen[1]).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('the A12 phone checks the modern answers', () => {
  it('refuses the Update identity as BuildIdentityDict during an erase', async () => {
    const b = await bench(A12_SPEC, 'iPhone11,2');
    const update = selectIdentity(b.manifest, 'd321ap', 'Update')!;
    const { run, rejected } = await restoreWith(b, (type, answer) =>
      type === 'BuildIdentityDict' ? { ...answer, BuildIdentityDict: update.raw } : answer,
    );
    expect(run.status).toBe(14);
    expect(rejected?.rejected).toContain('another build');
  });

  it('refuses a streamed boot object that is not the personalised component', async () => {
    const b = await bench(A12_SPEC, 'iPhone11,2');
    const { run, rejected } = await restoreWith(b, async (type, answer) =>
      type === 'PersonalizedBootObjectV3' ? { FileBytes: Buffer.alloc(20_000, 1) } : answer,
    );
    expect(run.status).toBe(14);
    expect(rejected?.dataType).toBe('PersonalizedBootObjectV3');
  });
});

describe('the A12 phone checks its coprocessors’ firmware and needs its factory data', () => {
  const updaterOf = (request: PlistDict): unknown => (isPlistDict(request.Arguments) ? request.Arguments.MessageArgUpdaterName : undefined);

  it('refuses an SE ticket made for another secure element nonce', async () => {
    const b = await bench(A12_SPEC, 'iPhone11,2');
    const { run, rejected } = await restoreWith(b, async (type, answer, request) => {
      if (type !== 'FirmwareUpdaterData' || updaterOf(request) !== 'SE') return answer;
      const args = request.Arguments as PlistDict;
      const info = { ...(args.MessageArgInfo as PlistDict), 'SE,Nonce': Buffer.alloc(32, 7) };
      const updater = coprocessorUpdaterFor({
        archive: b.archive,
        identity: selectIdentity(b.manifest, 'd321ap', 'Erase')!,
        tss: { url: b.tss.url, attempts: 1 },
      });
      return { FirmwareResponseData: await updater.responseData({ ...args, MessageArgInfo: info }, new AbortController().signal) };
    });
    expect(run.status).toBe(14);
    expect(rejected?.dataType).toBe('FirmwareUpdaterData');
    expect(rejected?.rejected).toContain('nonce');
  });

  it('refuses Face ID firmware sent without its 16-byte header', async () => {
    const b = await bench(A12_SPEC, 'iPhone11,2');
    const { run, rejected } = await restoreWith(b, (type, answer, request) => {
      if (type !== 'FirmwareUpdaterData' || updaterOf(request) !== 'Savage') return answer;
      const response = answer.FirmwareResponseData as PlistDict;
      return { FirmwareResponseData: { ...response, FirmwareData: (response.FirmwareData as Buffer).subarray(16) } };
    });
    expect(run.status).toBe(14);
    expect(rejected?.rejected).toContain('header');
  });

  it('fails with 53 when the host never serves the FDR channel', async () => {
    const b = await bench(A12_SPEC, 'iPhone11,2');
    const { run, record } = await restoreWith(b, (_type, answer) => answer, { fdr: false });
    expect(run.status).toBe(53);
    expect(record.fdr).toEqual({ beganControl: false, pinged: false });
  });
});

/** The ticket the phone's ramdisk booted with, as the host holds it. */
async function ticketOf(b: RestoreBench): Promise<Buffer> {
  return Buffer.from(b.phone.hardware.restoreBootTicket!);
}
