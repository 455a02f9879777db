import { describe, expect, it } from 'vitest';
import { RestoredProgressTracker } from '../../../main/restored/restored-progress';
import {
  A12_PLUS_DATA_TYPES,
  A7_TO_A11_DATA_TYPES,
  CheckpointMsgSchema,
  DEFAULT_SYSTEM_PARTITION_PADDING,
  DataRequestMsgSchema,
  FileDataChunkSchema,
  NorDataReplySchema,
  PROGRESS_OPERATIONS,
  ProgressMsgSchema,
  RestoreOptionsSchema,
  RestoredDataType,
  SUPPORTED_DATA_TYPES,
  StatusMsgSchema,
  adaptProgressOperation,
  buildEraseRestoreOptions,
  buildUpdateRestoreOptions,
  describeRestoredStatus,
  progressPercent,
} from '../../../main/restored/restored-wire';

describe('restored wire vocabulary', () => {
  it('names every DataType of both generations and declares each one in SupportedDataTypes or the table', () => {
    const known = new Set(Object.values(RestoredDataType));
    for (const type of [...A7_TO_A11_DATA_TYPES, ...A12_PLUS_DATA_TYPES]) expect(known.has(type)).toBe(true);
    for (const type of Object.keys(SUPPORTED_DATA_TYPES)) expect(known.has(type as never)).toBe(true);
    expect(A12_PLUS_DATA_TYPES).toEqual(expect.arrayContaining([...A7_TO_A11_DATA_TYPES]));
  });

  it('shifts operations above 35 by one below protocol 14 only', () => {
    expect(adaptProgressOperation(35, 12)).toBe(35);
    expect(adaptProgressOperation(36, 12)).toBe(37);
    expect(adaptProgressOperation(36, 14)).toBe(36);
    expect(adaptProgressOperation(13, 12)).toBe(13);
    expect(PROGRESS_OPERATIONS[13]).toEqual({ name: 'restoring image', stage: 'restoring-system' });
  });

  it('treats out-of-range progress as indeterminate', () => {
    expect(progressPercent(0)).toBeNull();
    expect(progressPercent(101)).toBeNull();
    expect(progressPercent(-1)).toBeNull();
    expect(progressPercent(42)).toBe(42);
  });

  it('gives each StatusMsg code its meaning, and unknown codes a generic one with the number', () => {
    expect(describeRestoredStatus(53)).toEqual({ meaning: 'failed to recover FDR data', kind: 'fdr' });
    expect(describeRestoredStatus(-1).kind).toBe('verification');
    expect(describeRestoredStatus(1015).kind).toBe('baseband');
    expect(describeRestoredStatus(4013)).toEqual({ meaning: 'unknown status 4013', kind: 'unknown' });
  });

  it('accepts real-shaped phone messages', () => {
    expect(DataRequestMsgSchema.parse({ MsgType: 'DataRequestMsg', DataType: 'SystemImageData', DataPort: 12345 }).DataPort).toBe(12345);
    expect(ProgressMsgSchema.parse({ MsgType: 'ProgressMsg', Operation: 13, Progress: 40 }).Progress).toBe(40);
    expect(StatusMsgSchema.parse({ MsgType: 'StatusMsg', Status: -1, AMRError: 4013, Log: 'x' }).Status).toBe(-1);
    expect(
      CheckpointMsgSchema.parse({ MsgType: 'CheckpointMsg', CHECKPOINT_ID: 0x60b, CHECKPOINT_NAME: 'update_ticket', CHECKPOINT_RESULT: 0 })
        .CHECKPOINT_ID,
    ).toBe(0x60b);
  });

  it('refuses malformed or oversized phone messages', () => {
    expect(DataRequestMsgSchema.safeParse({ MsgType: 'DataRequestMsg', DataType: 'x'.repeat(257) }).success).toBe(false);
    expect(DataRequestMsgSchema.safeParse({ MsgType: 'DataRequestMsg', DataType: 'RootTicket', DataPort: 70000 }).success).toBe(false);
    expect(DataRequestMsgSchema.safeParse({ MsgType: 'ProgressMsg', DataType: 'RootTicket' }).success).toBe(false);
    expect(ProgressMsgSchema.safeParse({ MsgType: 'ProgressMsg', Operation: '13', Progress: 1 }).success).toBe(false);
    expect(StatusMsgSchema.safeParse({ MsgType: 'StatusMsg', Status: 0, Log: 'x'.repeat(3 * 1024 * 1024) }).success).toBe(false);
  });

  it('checks host replies the phone receives', () => {
    const data = new Uint8Array(4);
    expect(NorDataReplySchema.safeParse({ LlbImageData: data, NorImageData: [data, data] }).success).toBe(true);
    expect(NorDataReplySchema.safeParse({ NorImageData: [data] }).success).toBe(false);
    expect(FileDataChunkSchema.safeParse({ FileData: new Uint8Array(8192) }).success).toBe(true);
    expect(FileDataChunkSchema.safeParse({ FileData: new Uint8Array(8193) }).success).toBe(false);
    expect(FileDataChunkSchema.safeParse({ FileDataDone: true }).success).toBe(true);
  });
});

describe('RestoreOptions builders', () => {
  const input = { uuid: '0d5c0f0e-1111-4a4a-9b9b-0123456789ab', restoreBootArgs: 'rd=md0 nand-enable-reformat=1 -progress' };

  it('builds what a current host sends for an erase', () => {
    const options = buildEraseRestoreOptions(input);
    expect(RestoreOptionsSchema.safeParse(options).success).toBe(true);
    expect(options).toMatchObject({
      AutoBootDelay: 0,
      FlashNOR: true,
      UpdateBaseband: true,
      CreateFilesystemPartitions: true,
      SystemImage: true,
      PersonalizedDuringPreflight: true,
      RestoreBootArgs: input.restoreBootArgs,
      UUID: input.uuid.toUpperCase(),
      SystemPartitionPadding: DEFAULT_SYSTEM_PARTITION_PADDING,
    });
    expect(options).not.toHaveProperty('BBUpdaterState');
  });

  it('sends the same keys for an update: the behaviour lives in the personalised identity', () => {
    expect(Object.keys(buildUpdateRestoreOptions(input)).sort()).toEqual(Object.keys(buildEraseRestoreOptions(input)).sort());
  });

  it('passes normal-mode baseband preflight info without FusingStatus and PkHash', () => {
    const nonce = new Uint8Array([1, 2, 3]);
    const options = buildEraseRestoreOptions({
      ...input,
      firmwarePreflightInfo: { ChipID: 0x7a, Nonce: nonce, FusingStatus: 3, PkHash: new Uint8Array(2) },
    });
    expect(options.BBUpdaterState).toEqual({ ChipID: 0x7a, Nonce: nonce });
    expect(options.BasebandNonce).toBe(nonce);
  });
});

describe('RestoredProgressTracker', () => {
  it('never moves the overall fraction backwards, even when the phone revisits an earlier stage', () => {
    const tracker = new RestoredProgressTracker(15);
    const steps: [number, number][] = [
      [28, -1],
      [11, 50],
      [13, 10],
      [13, 90],
      [58, 100],
      [14, 50],
      [12, 100],
      [18, 100],
    ];
    const fractions = steps.map(([operation, progress]) => tracker.update(operation, progress).fraction);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(fractions.at(-1)!).toBeLessThan(1);
    expect(tracker.finish()).toBe(1);
  });

  it('names unknown operations by number', () => {
    expect(new RestoredProgressTracker(15).update(999, 5)).toMatchObject({ name: 'operation 999', percent: 5 });
  });
});
