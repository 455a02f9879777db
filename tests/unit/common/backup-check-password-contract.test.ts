import { describe, expect, it } from 'vitest';
import { commandSchemas } from '../../../common/api';

const schema = commandSchemas['backup.checkPassword'].request;

describe('backup.checkPassword at the contract boundary', () => {
  it('takes a backup id, an optional full folder path and a password', () => {
    expect(schema.safeParse({ backupId: 'bk-0123456789ab', password: 'p' }).success).toBe(true);
    expect(schema.safeParse({ backupId: 'bk-0123456789ab', password: 'p', directory: '/home/ada/Backups' }).success).toBe(true);
    expect(schema.safeParse({ backupId: 'bk-0123456789ab', password: '' }).success).toBe(false);
    expect(schema.safeParse({ backupId: 'bk-0123456789ab', password: 'p', directory: 'relative/folder' }).success).toBe(false);
  });

  it('refuses an over-long password or a stray key without repeating the password in its message', () => {
    const long = schema.safeParse({ backupId: 'bk-0123456789ab', password: `${'x'.repeat(5000)}SECRET-MARK` });
    expect(long.success).toBe(false);
    expect(long.error?.message).not.toContain('SECRET-MARK');
    const stray = schema.safeParse({ backupId: 'bk-0123456789ab', password: 'SECRET-MARK', remember: true });
    expect(stray.success).toBe(false);
    expect(stray.error?.message).not.toContain('SECRET-MARK');
  });
});
