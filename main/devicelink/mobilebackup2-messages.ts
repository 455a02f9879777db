/**
 * mobilebackup2's own vocabulary inside DLMessageProcessMessage dictionaries (docs/protocols/mobilebackup2.md#hello,
 * docs/protocols/mobilebackup2.md#host-requests), shared by the host client and the virtual phone.
 */
export const MobileBackup2Message = {
  Hello: 'Hello',
  Response: 'Response',
  Backup: 'Backup',
  Restore: 'Restore',
  Info: 'Info',
  List: 'List',
} as const;
