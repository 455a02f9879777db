import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ActivationLock, BackupContents, BackupSummary, LifelineApi } from '../../common/api';
import { ActivationLockNote } from '../../renderer/components/activation-lock-note';
import { BackupContentsLine, contentsWords } from '../../renderer/components/backup-contents';
import { BackupList } from '../../renderer/components/backup-list';
import { NewPasscodeGuide } from '../../renderer/components/new-passcode-guide';
import { createLifelineStore } from '../../renderer/store/lifeline-store';
import { LifelineApiContext, LifelineStoreContext } from '../../renderer/store/use-lifeline';

const backup: BackupSummary = {
  id: 'bk-0123456789ab',
  udid: '00008030-001234567890802E',
  path: '/backups/00008030-001234567890802E',
  location: 'Lifeline backups',
  deviceName: 'Ann’s iPhone',
  productType: 'iPhone6,1',
  modelName: 'iPhone 5s (GSM)',
  iosVersion: '12.5.8',
  buildVersion: '16H81',
  date: '2024-03-01T10:00:00.000Z',
  sizeBytes: 25_000_000,
  encrypted: false,
  complete: true,
};

const count = (n: number | null, note: string | null = null) => ({ count: n, note });
const contents: BackupContents = {
  manifest: 'read',
  photos: count(48, 'A Live Photo counts once here and once among the videos.'),
  videos: count(6),
  messages: count(1200),
  contacts: count(1),
  notes: count(null, 'Notes’ database in the backup could not be read.'),
  apps: count(5),
};

function withApi(answers: Record<string, unknown>, node: React.ReactNode) {
  const calls: [string, unknown][] = [];
  const api: LifelineApi = {
    invoke: (async (command: string, request: unknown) => {
      calls.push([command, request]);
      if (command in answers) return answers[command];
      throw new Error(`unexpected ${command}`);
    }) as LifelineApi['invoke'],
    on: (() => () => undefined) as LifelineApi['on'],
  };
  render(
    <LifelineApiContext.Provider value={api}>
      <LifelineStoreContext.Provider value={createLifelineStore()}>{node}</LifelineStoreContext.Provider>
    </LifelineApiContext.Provider>,
  );
  return calls;
}

const settle = () => act(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));

describe('what a backup holds, on its card', () => {
  it('counts photos, videos, messages, contacts, notes and apps, with a ? where unknown and the notes behind them', async () => {
    const calls = withApi(
      { 'backup.describe': { backup: { ...backup, folderName: 'x' }, contents } },
      <BackupList backups={[backup]} contents />,
    );
    await settle();
    expect(calls).toContainEqual(['backup.describe', { backupId: 'bk-0123456789ab' }]);
    const line = screen.getByText(/^48 photos · 6 videos · 1,200 messages · 1 contact · notes: \? · 5 apps/);
    expect(line).toHaveAttribute(
      'title',
      'A Live Photo counts once here and once among the videos.\nNotes’ database in the backup could not be read.',
    );
  });

  it('says an encrypted backup needs its password to be counted', () => {
    expect(contentsWords({ ...contents, manifest: 'password-needed' })).toBe('Encrypted: its password is needed to count what is inside.');
  });

  it('shows nothing about contents on lists that do not ask for them', async () => {
    const calls = withApi({}, <BackupList backups={[backup]} />);
    await settle();
    expect(calls).toEqual([]);
  });

  it('says so when the engine could not count', async () => {
    withApi({}, <BackupContentsLine backupId="bk-0123456789ab" />);
    await settle();
    expect(screen.getByText('Lifeline could not count what this backup holds.')).toBeInTheDocument();
  });
});

describe('ActivationLockNote', () => {
  const lock: ActivationLock = {
    state: 'on',
    evidence: ['The phone reports Find My as on (linked to an Apple ID).'],
    message:
      'Find My is on, so Activation Lock is on. After the erase, Activation Lock asks for the Apple ID and password that were on the phone before.',
    links: [
      { label: 'Reset a forgotten Apple ID password (iforgot.apple.com)', url: 'https://iforgot.apple.com' },
      { label: 'Apple: use account recovery when you can’t reset your Apple ID password', url: 'https://support.apple.com/en-us/HT204921' },
    ],
  };

  it('shows what the phone said, the facts behind it and Apple’s recovery pages', async () => {
    const calls = withApi({ 'phone.activationLock': lock }, <ActivationLockNote phoneId="AAAA000000000001" />);
    await settle();
    expect(calls).toEqual([['phone.activationLock', { phoneId: 'AAAA000000000001' }]]);
    expect(screen.getByRole('heading', { name: 'Activation Lock: on' })).toBeInTheDocument();
    expect(screen.getByText(/Activation Lock asks for the Apple ID and password that were on the phone before/)).toBeInTheDocument();
    expect(screen.getByText('The phone reports Find My as on (linked to an Apple ID).')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /account recovery/ })).toHaveAttribute('href', 'https://support.apple.com/en-us/HT204921');
  });

  it('still says what Activation Lock asks for when the phone could not be asked', async () => {
    withApi({}, <ActivationLockNote phoneId="AAAA000000000001" />);
    await settle();
    expect(screen.getByText(/If Find My is on, after the erase Activation Lock asks for the Apple ID and password/)).toBeInTheDocument();
  });
});

describe('NewPasscodeGuide', () => {
  it('names the setting for this model and iOS and what a backup does not bring back', () => {
    render(<NewPasscodeGuide iosVersion="17.5.1" productType="iPhone13,2" />);
    expect(screen.getByRole('heading', { name: 'Your new passcode' })).toBeInTheDocument();
    expect(screen.getByText(/Settings → Face ID & Passcode → Change Passcode/)).toBeInTheDocument();
    expect(screen.getByText(/6 digits/)).toBeInTheDocument();
    expect(screen.getByText(/never inside a backup/)).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Screen Time' })).toBeInTheDocument();
  });
});
