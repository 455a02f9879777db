import { describe, expect, it } from 'vitest';
import type { Duplex } from 'node:stream';
import { PlistChannel } from '../../../main/plist/framing';
import { isPlistDict } from '../../../main/plist/plist-value';
import type { PlistDict } from '../../../main/plist/plist-value';
import { LOCKDOWN_ERROR_INFO, LockdownError as LockdownErrorString } from '../../../main/lockdown/lockdown-wire';
import { LockdownClient, LockdownError } from '../../../main/lockdown/lockdown-client';
import type { PairRecord } from '../../../main/lockdown/pair-record';
import { createDuplexPair } from '../../../main/sim/duplex-pair';

/** A scripted lockdownd: answers each request with `answer(request)`. */
function scriptedPeer(answer: (request: PlistDict) => PlistDict): LockdownClient {
  const [host, device] = createDuplexPair() as [Duplex, Duplex];
  const channel = new PlistChannel(device);
  void (async () => {
    for (;;) {
      const request = await channel.receive();
      if (!isPlistDict(request)) return;
      await channel.send(answer(request));
    }
  })().catch(() => undefined);
  return new LockdownClient(host, { timeoutMs: 1000 });
}

const fakeRecord = { HostID: 'HOST', SystemBUID: 'BUID' } as PairRecord;

describe('LockdownError from device error strings', () => {
  it('maps every lockdown error string to a LockdownError with that code', async () => {
    for (const name of Object.values(LockdownErrorString)) {
      const client = scriptedPeer((request) => ({ Request: request.Request as string, Error: name }));
      const error = await client.getValue({ key: 'X' }).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(LockdownError);
      expect((error as LockdownError).code).toBe(name);
      expect((error as LockdownError).libimobiledeviceCode).toBe(LOCKDOWN_ERROR_INFO[name]?.code);
      client.close();
    }
  });

  it('keeps unknown error strings (bounded) as UnknownError', async () => {
    const client = scriptedPeer((request) => ({ Request: request.Request as string, Error: 'Z'.repeat(5000) }));
    const error = (await client.queryType().catch((e: unknown) => e)) as LockdownError;
    expect(error.code).toBe('UnknownError');
    expect(error.details.deviceError).toHaveLength(256);
    client.close();
  });

  it('treats the iOS < 5 Result: Failure as an error', async () => {
    const client = scriptedPeer((request) => ({ Request: request.Request as string, Result: 'Failure' }));
    await expect(client.queryType()).rejects.toMatchObject({ code: 'UnknownError' });
    client.close();
  });

  it('StartSession refused with PasswordProtected is a typed error and no session', async () => {
    const client = scriptedPeer((request) => ({ Request: request.Request as string, Error: 'PasswordProtected' }));
    await expect(client.startSession(fakeRecord)).rejects.toMatchObject({ code: 'PasswordProtected', request: 'StartSession' });
    expect(client.activeSession).toBeNull();
    client.close();
  });

  it('sends Label and Request and the query keys, and a session without SSL stays plaintext', async () => {
    const seen: PlistDict[] = [];
    const client = scriptedPeer((request): PlistDict => {
      seen.push(request);
      if (request.Request === 'StartSession') return { Request: 'StartSession', SessionID: 'S1', EnableSessionSSL: false };
      return { Request: request.Request as string, Value: 'v' };
    });
    expect(await client.getValue({ domain: 'com.apple.mobile.backup', key: 'WillEncrypt' })).toBe('v');
    expect(await client.startSession(fakeRecord)).toEqual({ sessionId: 'S1', ssl: false });
    expect(await client.getValue({ key: 'SerialNumber' })).toBe('v');
    await client.stopSession();
    expect(seen.map((r) => r.Request)).toEqual(['GetValue', 'StartSession', 'GetValue', 'StopSession']);
    expect(seen[0]).toEqual({ Label: 'lifeline', Request: 'GetValue', Domain: 'com.apple.mobile.backup', Key: 'WillEncrypt' });
    expect(seen[1]).toMatchObject({ HostID: 'HOST', SystemBUID: 'BUID' });
    expect(seen[3]).toMatchObject({ SessionID: 'S1' });
    client.close();
  });

  it('never sends the escrow bag in a session without TLS: nothing proves which phone is listening', async () => {
    const seen: PlistDict[] = [];
    const client = scriptedPeer((request): PlistDict => {
      seen.push(request);
      if (request.Request === 'StartSession') return { Request: 'StartSession', SessionID: 'S1', EnableSessionSSL: false };
      return { Request: request.Request as string, Port: 1234 };
    });
    await client.startSession(fakeRecord);
    await expect(client.startService('com.apple.mobilebackup2', { escrowBag: Buffer.from('secret') })).rejects.toMatchObject({
      code: 'PhoneIdentityMismatch',
      request: 'StartService',
    });
    expect(await client.startService('com.apple.afc')).toMatchObject({ port: 1234 });
    expect(seen.map((r) => [r.Request, r.Service, 'EscrowBag' in r])).toEqual([
      ['StartSession', undefined, false],
      ['StartService', 'com.apple.afc', false],
    ]);
    client.close();
  });

  it('runs concurrent requests one after another so replies never cross', async () => {
    const client = scriptedPeer((request) => ({ Request: request.Request as string, Value: (request.Key as string | undefined) ?? '' }));
    const keys = ['A', 'B', 'C', 'D', 'E'];
    const values = await Promise.all(keys.map((key) => client.getValue({ key })));
    expect(values).toEqual(keys);
    client.close();
  });
});
