import { act, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { LifelineApi } from '../../common/api';
import type { Phone } from '../../common/phone';
import { App } from '../../renderer/app';
import { TOOLS } from '../../renderer/navigation';
import { createLifelineStore } from '../../renderer/store/lifeline-store';

const fakeApi: LifelineApi = { invoke: () => Promise.reject(new Error('not used')), on: () => () => undefined };

const phone: Phone = {
  id: '001A2B3C4D5E6F70',
  mode: 'recovery',
  model: { name: 'iPhone 5s (GSM)', productType: 'iPhone6,1', boardConfig: 'n51ap', cpid: 0x8960, bdid: 0, buttons: 'home', known: true },
  iosVersion: null,
  buildVersion: null,
  deviceName: null,
  connected: true,
  identifying: false,
  trusted: null,
  passcodeSet: null,
  triage: {
    canBackUp: false,
    headline: 'A backup is not possible in recovery mode',
    reason: 'The phone is not running iOS.',
    nextSteps: ['Restart it normally to try a backup.'],
  },
};

describe('Connect screen', () => {
  it('asks for the iPhone and announces that it is waiting', () => {
    const store = createLifelineStore();
    store.setState({ engine: 'connected', route: TOOLS });
    render(<App store={store} api={fakeApi} />);
    expect(screen.getByRole('heading', { level: 1, name: 'Connect your iPhone' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('No iPhone connected yet');
    expect(screen.getByRole('status')).toHaveAttribute('aria-live', 'polite');
  });

  it('shows a card per phone, live, and announces the change', () => {
    const store = createLifelineStore();
    store.setState({ engine: 'connected', route: TOOLS });
    render(<App store={store} api={fakeApi} />);
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
    store.setState({
      engine: 'connected',
      route: TOOLS,
      host: {
        usbmux: { state: 'connected' },
        usb: { state: 'unavailable', reason: 'permission-denied', detail: 'Linux did not allow access.', fix: 'Install the udev rule.' },
      },
    });
    render(<App store={store} api={fakeApi} />);
    expect(screen.getByRole('complementary', { name: /can't be seen yet/ })).toHaveTextContent('Install the udev rule.');
  });

  it('on Windows, names Apple’s driver and asks for Apple Devices only when its driver is missing', () => {
    const store = createLifelineStore();
    store.setState({
      engine: 'connected',
      route: TOOLS,
      host: {
        usbmux: { state: 'connected' },
        usb: {
          state: 'unavailable',
          backend: 'apple-driver',
          reason: 'driver-missing',
          detail: 'Windows has no driver for it.',
          fix: 'Install Apple Devices from the Microsoft Store (or iTunes).',
        },
      },
    });
    render(<App store={store} api={fakeApi} />);
    const notice = screen.getByRole('complementary', { name: /can't be seen yet/ });
    expect(notice).toHaveTextContent('Lifeline tried to reach them through Apple’s driver (from Apple Devices or iTunes).');
    expect(notice).toHaveTextContent('Install Apple Devices from the Microsoft Store (or iTunes).');
    act(() => store.setState({ host: { usbmux: { state: 'connected' }, usb: { state: 'ready', backend: 'apple-driver' } } }));
    expect(screen.queryByRole('complementary', { name: /can't be seen yet/ })).not.toBeInTheDocument();
    expect(
      screen.getByText('Phones in recovery or DFU mode are reached through Apple’s driver (from Apple Devices or iTunes).'),
    ).toBeInTheDocument();
  });

  it('says when the engine connection is lost', () => {
    const store = createLifelineStore();
    store.setState({ engine: 'lost', route: TOOLS });
    render(<App store={store} api={fakeApi} />);
    expect(screen.getByRole('status')).toHaveTextContent('Lost contact');
  });
});

describe('Practice panel', () => {
  it('appears only in practice mode and sends what the person does to the virtual phone', async () => {
    const calls: unknown[] = [];
    const api: LifelineApi = {
      invoke: ((command: string, request: unknown) => {
        calls.push([command, request]);
        return Promise.resolve({ done: true });
      }) as LifelineApi['invoke'],
      on: () => () => undefined,
    };
    const store = createLifelineStore();
    store.setState({ engine: 'connected', practicePhones: [{ id: 'P1', name: 'iPhone 5s (GSM) — “Practice”', plugged: true }] });
    render(<App store={store} api={api} />);
    const item = screen.getByRole('listitem', { name: 'iPhone 5s (GSM) — “Practice”' });
    within(item).getByRole('button', { name: 'Put into recovery mode' }).click();
    within(item).getByRole('button', { name: 'Unplug the cable' }).click();
    expect(calls).toEqual([
      ['practice.act', { phoneId: 'P1', action: 'enter-recovery' }],
      ['practice.act', { phoneId: 'P1', action: 'unplug' }],
    ]);
    act(() => store.setState({ practicePhones: [{ id: 'P1', name: 'iPhone 5s (GSM) — “Practice”', plugged: false }] }));
    expect(within(item).getByRole('button', { name: 'Put into recovery mode' })).toBeDisabled();
    expect(within(item).getByRole('button', { name: 'Plug in the cable' })).toBeEnabled();
  });
});
