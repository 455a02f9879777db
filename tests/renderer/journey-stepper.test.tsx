import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { JOURNEY_STEPS } from '../../common/contract/journey';
import { JourneyStepper } from '../../renderer/components/journey-stepper';
import { STEP_LABELS } from '../../renderer/journey/journey-words';

describe('Journey stepper', () => {
  it('names all ten steps in order: plug in, what can be saved, back up, iOS, erase, recovery, restore, data, passcode, done', () => {
    render(<JourneyStepper step="connect" />);
    const items = within(screen.getByRole('navigation', { name: 'Steps of the rescue' })).getAllByRole('listitem');
    expect(items).toHaveLength(10);
    expect(items.map((item) => item.getAttribute('data-step'))).toEqual([...JOURNEY_STEPS]);
    expect(items.map((item) => item.querySelector('.stepper-label')?.textContent)).toEqual([
      'Plug in',
      'What can be saved',
      'Back up',
      'Get iOS ready',
      'Before we erase',
      'Recovery mode',
      'Restore',
      'Data back',
      'New passcode',
      'Done',
    ]);
  });

  it.each(JOURNEY_STEPS.map((step, index) => [step, index] as const))(
    'at %s, marks that step current, the ones before done and the rest to come',
    (step, index) => {
      render(<JourneyStepper step={step} />);
      const items = screen.getAllByRole('listitem');
      const current = items.filter((item) => item.getAttribute('aria-current') === 'step');
      expect(current).toHaveLength(1);
      expect(current[0]).toHaveTextContent(`${STEP_LABELS[step]}, you are here`);
      expect(items.slice(0, index).every((item) => item.textContent?.endsWith(', done'))).toBe(true);
      expect(items.slice(index + 1).every((item) => item.textContent?.endsWith(', to come'))).toBe(true);
    },
  );
});
