import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../../renderer/app';
import { createLifelineStore } from '../../renderer/store/lifeline-store';
import { journey, journeyApi } from './journey-fixtures';

function technicianView() {
  const store = createLifelineStore();
  const journeys = {
    A: journey({ phoneId: 'A', name: 'Anna’s iPhone', modelName: 'iPhone 7 (GSM)' }),
    B: journey({
      phoneId: 'B',
      name: 'Ben’s iPhone',
      modelName: 'iPhone 12',
      state: 'restoring',
      step: 'restore',
      title: 'Restoring',
      next: null,
      job: 'r1',
      progress: { job: 'r1', phase: 'restore', fraction: 0.42, message: 'Installing iOS 18.1', etaSeconds: 240 },
    }),
    C: journey({
      phoneId: 'C',
      name: 'Cara’s iPhone',
      modelName: 'iPhone 5s (GSM)',
      state: 'backupFailed',
      step: 'backup',
      title: 'The backup did not finish',
      problem: { code: 'backup-not-trusted', title: 'This computer is not trusted by the phone', detail: '', nextSteps: [] },
    }),
  };
  store.setState({ engine: 'connected', journeys, route: { screen: 'technician' } });
  render(<App store={store} api={journeyApi(() => journeys.A).api} />);
  return store;
}

describe('the technician’s view', () => {
  it('has a row per phone: name, model, stage, progress, time left, problem', () => {
    technicianView();
    const table = screen.getByRole('table');
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((h) => h.textContent),
    ).toEqual(['Phone', 'Model', 'Stage', 'Progress', 'Time left', 'Problem']);
    const rows = within(table).getAllByRole('row').slice(1);
    expect(
      rows.map((row) =>
        within(row)
          .getAllByRole('cell')
          .map((c) => c.textContent),
      ),
    ).toEqual([
      ['iPhone 7 (GSM)', '2/10 What can be savedA backup is possible now', '—', '—', '—'],
      ['iPhone 12', '7/10 RestoreRestoring', '42%', 'About 4 minutes left', '—'],
      ['iPhone 5s (GSM)', '3/10 Back upThe backup did not finish', '—', '—', 'This computer is not trusted by the phone'],
    ]);
  });

  it('is reached by Tab once; arrow keys, Home and End move between phones; Enter opens one', () => {
    const store = technicianView();
    const buttons = within(screen.getByRole('table')).getAllByRole('button');
    expect(buttons.map((b) => b.getAttribute('tabindex'))).toEqual(['0', '-1', '-1']);

    buttons[0]!.focus();
    fireEvent.keyDown(buttons[0]!, { key: 'ArrowDown' });
    expect(buttons[1]).toHaveFocus();
    expect(buttons.map((b) => b.getAttribute('tabindex'))).toEqual(['-1', '0', '-1']);
    fireEvent.keyDown(buttons[1]!, { key: 'ArrowDown' });
    fireEvent.keyDown(buttons[2]!, { key: 'ArrowDown' });
    expect(buttons[2]).toHaveFocus();
    fireEvent.keyDown(buttons[2]!, { key: 'Home' });
    expect(buttons[0]).toHaveFocus();
    fireEvent.keyDown(buttons[0]!, { key: 'ArrowUp' });
    expect(buttons[0]).toHaveFocus();
    fireEvent.keyDown(buttons[0]!, { key: 'End' });
    expect(buttons[2]).toHaveFocus();
    expect(buttons[2]!.closest('tr')).toHaveClass('technician-active');

    // A button opens with Enter (the browser turns Enter on a button into a click).
    fireEvent.click(buttons[2]!);
    expect(store.getState().route).toEqual({ screen: 'journey', phoneId: 'C' });
    expect(screen.getByRole('banner', { name: 'This phone' })).toHaveTextContent('Cara’s iPhone');
  });
});
