import { act, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Phone } from '../../common/phone';
import { App } from '../../renderer/app';
import { createLifelineStore } from '../../renderer/store/lifeline-store';

const phone: Phone = {
  id: '001A2B3C4D5E6F70',
  mode: 'recovery',
  model: { name: 'iPhone 5s (GSM)', productType: 'iPhone6,1', boardConfig: 'n51ap', cpid: 0x8960, bdid: 0, buttons: 'home', known: true },
  iosVersion: null,
  buildVersion: null,
  deviceName: null,
  connected: true,
  trusted: null,
  passcodeSet: null,
  triage: { canBackUp: false, headline: 'A backup is not possible in recovery mode', reason: 'The phone is not running iOS.', nextSteps: ['Restart it normally to try a backup.'] },
};

describe('Connect screen', () => {
  it('asks for the iPhone and announces that it is waiting', () => {
    const store = createLifelineStore();
    store.setState({ engine: 'connected' });
    render(<App store={store} />);
    expect(screen.getByRole('heading', { level: 1, name: 'Connect your iPhone' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('No iPhone connected yet');
    expect(screen.getByRole('status')).toHaveAttribute('aria-live', 'polite');
  });

  it('shows a card per phone, live, and announces the change', () => {
    const store = createLifelineStore();
    store.setState({ engine: 'connected' });
    render(<App store={store} />);
    act(() => store.setState({ phones: [phone] }));
    const card = screen.getByRole('article', { name: 'iPhone 5s (GSM)' });
    expect(within(card).getByText('Recovery mode')).toBeInTheDocument();
    expect(within(card).getByText('A backup is not possible in recovery mode')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('iPhone 5s (GSM) connected, Recovery mode.');
    act(() => store.setState({ phones: [] }));
    expect(screen.queryByRole('article')).not.toBeInTheDocument();
  });

  it('explains calmly when USB cannot be used, with the fix', () => {
    const store = createLifelineStore();
    store.setState({ engine: 'connected', host: { usbmux: { state: 'connected' }, usb: { state: 'unavailable', reason: 'permission-denied', detail: 'Linux did not allow access.', fix: 'Install the udev rule.' } } });
    render(<App store={store} />);
    expect(screen.getByRole('complementary', { name: /can't be seen yet/ })).toHaveTextContent('Install the udev rule.');
  });

  it('says when the engine connection is lost', () => {
    const store = createLifelineStore();
    store.setState({ engine: 'lost' });
    render(<App store={store} />);
    expect(screen.getByRole('status')).toHaveTextContent('Lost contact');
  });
});
