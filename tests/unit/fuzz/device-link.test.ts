import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  DLMessage,
  DeviceLinkError,
  FileBlockCode,
  parseDeviceLinkMessage,
  parseStatusResponse,
  parseVersionsOk,
  processMessageDict,
  readFileBatch,
  readFileBlock,
  type FileBatchSink,
} from '../../../main/devicelink/device-link';
import type { DeviceLinkFolderHost, DeviceLinkReply } from '../../../main/backup/device-link-host';
import { MobileBackup2Client, MobileBackup2Error } from '../../../main/backup/mobilebackup2-client';
import { encodePlistFrame } from '../../../main/plist/framing';
import { decodePlist, PlistError } from '../../../main/plist/plist-codec';
import { PlistReal, type PlistValue } from '../../../main/plist/plist-value';
import { StreamClosedError } from '../../../main/wire/byte-reader';
import { FUZZ_TEST_TIMEOUT_MS, fuzzParser, fuzzRandomBytes, hostileU32, readerOf, type ParserUnderFuzz } from './fuzz-harness';
import { hostileBinaryPlists, plistValues, sharedReferenceBombs } from './hostile-plists';

/** Counts what arrives without keeping it, as the upload writer streams it to disk. */
function countingSink(): FileBatchSink & { bytes: number; files: number } {
  const sink = {
    bytes: 0,
    files: 0,
    beginFile: () => {
      sink.files++;
    },
    data: (bytes: Buffer) => {
      sink.bytes += bytes.length;
    },
    endFile: () => undefined,
  };
  return sink;
}

const typed = [DeviceLinkError, StreamClosedError];

const fileBlock: ParserUnderFuzz = { name: 'readFileBlock', parse: (input) => readFileBlock(readerOf(input, 53)), typedErrors: typed };
const fileBatch: ParserUnderFuzz = {
  name: 'readFileBatch',
  parse: async (input) => {
    const sink = countingSink();
    await readFileBatch(readerOf(input, 53), sink, { namesPerFile: 2 });
    return sink;
  },
  typedErrors: typed,
};
const message: ParserUnderFuzz = {
  name: 'DeviceLink message',
  parse: (input) => {
    const parsed = parseDeviceLinkMessage(decodePlist(input));
    const readers = [parseStatusResponse, parseVersionsOk, processMessageDict];
    return readers.map((read) => {
      try {
        return read(parsed);
      } catch (error) {
        if (error instanceof DeviceLinkError) return error.message;
        throw error;
      }
    });
  },
  typedErrors: [PlistError, DeviceLinkError],
};

const OK: DeviceLinkReply = { code: 0, description: undefined, extra: {} };

/** A host that answers every request without touching a disk (the folder host has its own tests). */
function answeringHost(): DeviceLinkFolderHost {
  const sink = countingSink();
  const host = {
    refusal: undefined,
    localError: undefined,
    uploadSink: () => ({ ...sink, outcome: () => Promise.resolve(OK) }),
    download: () => Promise.resolve(OK),
    freeDiskSpace: () => Promise.resolve(OK),
    contentsOfDirectory: () => Promise.resolve(OK),
    createDirectory: () => Promise.resolve(OK),
    move: () => Promise.resolve(OK),
    remove: () => Promise.resolve(OK),
    copy: () => Promise.resolve(OK),
  };
  return host as unknown as DeviceLinkFolderHost;
}

function phoneSending(bytes: Uint8Array): Duplex {
  const stream = new Duplex({ read: () => undefined, write: (_chunk, _encoding, done) => done() });
  stream.push(Buffer.from(bytes));
  stream.push(null);
  return stream;
}

const mobilebackup2: ParserUnderFuzz = {
  name: 'MobileBackup2Client',
  parse: async (input) => {
    const client = new MobileBackup2Client(phoneSending(input), { handshakeTimeoutMs: 5_000 });
    try {
      await client.handshake();
      return await client.run(answeringHost(), { firstMessageTimeoutMs: 5_000, idleTimeoutMs: 5_000 });
    } finally {
      client.close();
    }
  },
  typedErrors: [MobileBackup2Error],
};

const u32 = (value: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
};

/** Pieces of the raw file framing, honest or lying: names, blocks with any code, and batch ends. */
const batchPiece = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((name) => Buffer.concat([u32(name.length), name])),
  fc.tuple(hostileU32, fc.uint8Array({ maxLength: 40 })).map(([claimed, name]) => Buffer.concat([u32(claimed), name])),
  fc
    .tuple(
      fc.constantFrom(FileBlockCode.FileData, FileBlockCode.Success, FileBlockCode.LocalError, FileBlockCode.RemoteError, 0x42),
      fc.uint8Array({ maxLength: 300 }),
    )
    .map(([code, payload]) => Buffer.concat([u32(payload.length + 1), Buffer.from([code]), payload])),
  fc
    .tuple(hostileU32, fc.nat(255), fc.uint8Array({ maxLength: 64 }))
    .map(([claimed, code, payload]) => Buffer.concat([u32(claimed), Buffer.from([code]), payload])),
  fc.constant(u32(0)),
);
const batches = fc.array(batchPiece, { maxLength: 30 }).map((pieces) => Buffer.concat(pieces));

const frame = (value: PlistValue): Buffer => encodePlistFrame(value, 'binary');
const handshake = Buffer.concat([
  frame([DLMessage.VersionExchange, 300, 0]),
  frame([DLMessage.DeviceReady]),
  frame([DLMessage.ProcessMessage, { ErrorCode: 0, ProtocolVersion: new PlistReal(2.1) }]),
]);
const dlName = fc.constantFrom(...Object.values(DLMessage), 'DLMessageSomethingNew', 'DL', 'NotDeviceLink');
/** Device → host messages with every DL name and arguments of any shape; uploads followed by hostile file framing. */
const deviceMessage = fc.oneof(
  fc.tuple(dlName, fc.array(plistValues, { maxLength: 4 })).map(([name, args]) => frame([name, ...args])),
  fc
    .tuple(fc.array(plistValues, { maxLength: 3 }), batches)
    .map(([args, batch]) => Buffer.concat([frame([DLMessage.UploadFiles, ...args]), batch])),
  fc.oneof(hostileBinaryPlists, sharedReferenceBombs).map((body) => Buffer.concat([u32(body.length), body])),
);
const sessions = fc
  .tuple(fc.boolean(), fc.array(deviceMessage, { maxLength: 8 }), fc.option(plistValues, { nil: undefined }))
  .map(([honestStart, messages, last]) =>
    Buffer.concat([
      honestStart ? handshake : Buffer.alloc(0),
      ...messages,
      last === undefined ? Buffer.alloc(0) : frame([DLMessage.ProcessMessage, last]),
    ]),
  );

describe('DeviceLink and MobileBackup2 under hostile input', { timeout: FUZZ_TEST_TIMEOUT_MS }, () => {
  it('random bytes', async () => {
    await fuzzRandomBytes(fileBlock, { numRuns: 150 });
    await fuzzRandomBytes(fileBatch, { numRuns: 200 });
    await fuzzRandomBytes(mobilebackup2, { numRuns: 150 });
  });

  it('file batches with lying name and block lengths, unknown codes and early ends', async () => {
    await fuzzParser(fileBatch, batches, { numRuns: 200 });
    await fuzzParser(fileBlock, batches, { numRuns: 100 });
  });

  it('DeviceLink messages of every shape', async () => {
    const values = fc.oneof(
      fc.tuple(dlName, fc.array(plistValues, { maxLength: 4 })).map(([name, args]) => frame([name, ...args]).subarray(4)),
      plistValues.map((value) => frame(value).subarray(4)),
      hostileBinaryPlists,
    );
    await fuzzParser(message, values, { numRuns: 200 });
  });

  it('whole backup sessions: handshake, then device messages and uploads that lie', async () => {
    await fuzzParser(mobilebackup2, sessions, { numRuns: 150 });
  });
});
