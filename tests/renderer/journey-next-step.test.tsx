import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../../renderer/app';
import { nextStepOf, percentWords, timeLeftWords } from '../../renderer/journey/journey-words';
import { createLifelineStore } from '../../renderer/store/lifeline-store';
import { journey, journeyApi } from './journey-fixtures';

const settle = () => act(async () => undefined);

describe('the next step of a phone', () => {
  it('is the journey’s next action when one press does it', () => {
    expect(nextStepOf(journey({ phoneId: 'A' }))).toEqual({ label: 'Back up now', act: { id: 'backUp', label: 'Back up now' } });
  });

  it('opens the journey when something must be typed first (the erase word, the backup password)', () => {
    const erase = journey({
      phoneId: 'A',
      state: 'confirmErase',
      step: 'confirm',
      next: { id: 'confirmErase', label: 'Erase and restore', destructive: true },
    });
    expect(nextStepOf(erase)).toEqual({ label: 'Read what happens, then erase', act: null });
    const password = journey({
      phoneId: 'A',
      state: 'backupPassword',
      step: 'backup',
      next: { id: 'checkPassword', label: 'Check the password' },
    });
    expect(nextStepOf(password)).toEqual({ label: 'Type the backup password', act: null });
  });

  it('is watching the progress while Lifeline works (nothing to press)', () => {
    expect(nextStepOf(journey({ phoneId: 'A', state: 'restoring', step: 'restore', next: null }))).toEqual({
      label: 'Watch the progress',
      act: null,
    });
  });

  it('says time left and percent the way people read them', () => {
    expect(timeLeftWords(undefined)).toBeNull();
    expect(timeLeftWords(30)).toBe('Less than a minute left');
    expect(timeLeftWords(60 * 4 + 10)).toBe('About 4 minutes left');
    expect(timeLeftWords(60 * 75)).toBe('About 1 h 15 min left');
    expect(percentWords(null)).toBeNull();
    expect(percentWords(0.426)).toBe('42%');
    expect(percentWords(1)).toBe('99%');
  });
});

describe('the first screen', () => {
  it('shows each phone with its safety line, its step and one primary button; pressing it acts and opens the journey', async () => {
    const store = createLifelineStore();
    const anna = journey({ phoneId: 'A', name: 'Anna’s iPhone' });
    const ben = journey({
      phoneId: 'B',
      name: 'Ben’s iPhone',
      state: 'confirmErase',
      step: 'confirm',
      safety: { status: 'saved', line: 'Your photos: saved in a backup from today.' },
      next: { id: 'confirmErase', label: 'Erase and restore', destructive: true },
    });
    const { api, calls } = journeyApi((request) => ({
      ...anna,
      state: 'backingUp',
      step: 'backup',
      stepIndex: 2,
      next: null,
      updatedAt: '2026-05-03T10:00:01.000Z',
      phoneId: request.phoneId,
    }));
    store.setState({ engine: 'connected', journeys: { A: anna, B: ben } });
    render(<App store={store} api={api} />);

    const annaCard = screen.getByRole('article', { name: 'Anna’s iPhone' });
    expect(annaCard).toHaveTextContent('Your photos: not saved yet.');
    expect(annaCard).toHaveTextContent('Step 2 of 10: What can be saved');
    const benCard = screen.getByRole('article', { name: 'Ben’s iPhone' });
    expect(benCard).toHaveTextContent('Your photos: saved in a backup from today.');
    expect(benCard).toHaveTextContent('Step 5 of 10: Before we erase');
    // One primary button per phone.
    expect(annaCard.querySelectorAll('button.primary')).toHaveLength(1);
    expect(benCard.querySelectorAll('button.primary')).toHaveLength(1);

    // The erase is never done from the list: its button only opens the journey.
    fireEvent.click(within(benCard).getByRole('button', { name: 'Read what happens, then erase' }));
    await settle();
    expect(calls).toEqual([]);
    expect(store.getState().route).toEqual({ screen: 'journey', phoneId: 'B' });

    act(() => store.setState({ route: { screen: 'home' } }));
    fireEvent.click(within(screen.getByRole('article', { name: 'Anna’s iPhone' })).getByRole('button', { name: 'Back up now' }));
    await settle();
    expect(calls).toEqual([['journey.act', { phoneId: 'A', action: 'backUp' }]]);
    expect(store.getState().route).toEqual({ screen: 'journey', phoneId: 'A' });
    expect(store.getState().journeys.A?.state).toBe('backingUp');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('A backup is possible now');
  });
});

describe('a journey screen', () => {
  it('keeps the phone’s name and photos line in view, has one primary action and the rest as quiet links', () => {
    const store = createLifelineStore();
    store.setState({ engine: 'connected', journeys: { A: journey({ phoneId: 'A' }) }, route: { screen: 'journey', phoneId: 'A' } });
    render(<App store={store} api={journeyApi(() => journey({ phoneId: 'A' })).api} />);
    const strip = screen.getByRole('banner', { name: 'This phone' });
    expect(strip).toHaveTextContent('Anna’s iPhone');
    expect(strip).toHaveTextContent('Your photos: not saved yet.');
    const main = screen.getByRole('main');
    expect(main.querySelectorAll('button.primary')).toHaveLength(1);
    expect(within(main).getByRole('button', { name: 'Back up now' })).toHaveClass('primary');
    const quiet = within(screen.getByRole('list', { name: 'Other choices' })).getAllByRole('button');
    expect(quiet.map((b) => b.textContent)).toEqual(['Continue without a backup', 'Stop']);
    expect(quiet.every((b) => b.classList.contains('link-button'))).toBe(true);
  });

  it('erases only after the word is typed, and sends what was typed', async () => {
    const store = createLifelineStore();
    const confirm = journey({
      phoneId: 'A',
      state: 'confirmErase',
      step: 'confirm',
      title: 'Before we erase',
      next: { id: 'confirmErase', label: 'Erase and restore', destructive: true },
      secondary: [{ id: 'goBack', label: 'Go back' }],
      confirmation: {
        willBeLost: ['Everything on Anna’s iPhone.'],
        comesBack: 'The backup from today.',
        activationLock: 'Find My asks for the Apple ID.',
        phrase: 'erase',
      },
    });
    const { api, calls } = journeyApi(() => ({
      ...confirm,
      state: 'restoring',
      step: 'restore',
      next: null,
      confirmation: null,
      updatedAt: '2026-05-03T10:00:02.000Z',
    }));
    store.setState({ engine: 'connected', journeys: { A: confirm }, route: { screen: 'journey', phoneId: 'A' } });
    render(<App store={store} api={api} />);
    const erase = screen.getByRole('button', { name: 'Erase and restore' });
    expect(erase).toBeDisabled();
    expect(erase).not.toHaveFocus();
    fireEvent.change(screen.getByLabelText('Type “erase” to confirm'), { target: { value: 'eras' } });
    expect(erase).toBeDisabled();
    fireEvent.change(screen.getByLabelText('Type “erase” to confirm'), { target: { value: 'Erase' } });
    expect(erase).toBeEnabled();
    fireEvent.click(erase);
    await settle();
    expect(calls).toEqual([['journey.act', { phoneId: 'A', action: 'confirmErase', typed: 'Erase' }]]);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Before we erase');
    expect(store.getState().journeys.A?.state).toBe('restoring');
  });

  it('shows a working step’s stage, a bar that never goes back, and time left', () => {
    const store = createLifelineStore();
    const progress = (fraction: number, message: string, etaSeconds: number) => ({
      job: 'r1',
      phase: 'restore',
      fraction,
      message,
      etaSeconds,
    });
    const restoring = (fraction: number, message: string, at: string) =>
      journey({
        phoneId: 'A',
        state: 'restoring',
        step: 'restore',
        title: 'Restoring',
        next: null,
        secondary: [],
        job: 'r1',
        progress: progress(fraction, message, 300),
        updatedAt: at,
      });
    store.setState({
      engine: 'connected',
      journeys: { A: restoring(0.4, 'Installing iOS 18.1', '2026-05-03T10:00:01.000Z') },
      route: { screen: 'journey', phoneId: 'A' },
    });
    render(<App store={store} api={journeyApi(() => restoring(0, '', '')).api} />);
    expect(screen.getByText('Installing iOS 18.1')).toBeInTheDocument();
    expect(screen.getByRole('progressbar')).toHaveAttribute('value', '0.4');
    expect(screen.getByText('About 5 minutes left')).toBeInTheDocument();
    expect(screen.getByText(/You can leave the computer/)).toBeInTheDocument();
    act(() => store.setState({ journeys: { A: restoring(0.3, 'Putting the phone’s data in place', '2026-05-03T10:00:02.000Z') } }));
    expect(screen.getByRole('progressbar')).toHaveAttribute('value', '0.4');
    expect(screen.getByText('Putting the phone’s data in place')).toBeInTheDocument();
    act(() => store.setState({ journeys: { A: restoring(0.6, 'Installing iOS 18.1', '2026-05-03T10:00:03.000Z') } }));
    expect(screen.getByRole('progressbar')).toHaveAttribute('value', '0.6');
  });

  it('turns a failure into a fork: what happened, the one thing to try, the code in small print', () => {
    const store = createLifelineStore();
    const failed = journey({
      phoneId: 'A',
      state: 'restoreFailed',
      step: 'restore',
      title: 'The restore stopped',
      next: { id: 'retry', label: 'Try again' },
      secondary: [{ id: 'cancel', label: 'Stop' }],
      problem: {
        code: 'restore-error-4013',
        title: 'The phone stopped answering during the restore',
        detail: 'Often a cable or port.',
        nextSteps: ['Use another cable, straight into the computer.', 'Try another USB port.'],
      },
    });
    store.setState({ engine: 'connected', journeys: { A: failed }, route: { screen: 'journey', phoneId: 'A' } });
    render(<App store={store} api={journeyApi(() => failed).api} />);
    const fork = screen.getByRole('region', { name: 'The phone stopped answering during the restore' });
    expect(fork).toHaveTextContent('Try this: Use another cable, straight into the computer.');
    expect(fork).toHaveTextContent('Error code: restore-error-4013');
    expect(screen.getByRole('button', { name: 'Try again' })).toHaveClass('primary');
  });
});
