import { ProblemError } from '../../../common/api';
import type { PracticeControls } from '../../../common/api';
import type { CommandHandlers, EngineContext } from '../engine-ports';

export function practiceHandlers(context: EngineContext): Pick<CommandHandlers, 'practice.phones' | 'practice.act' | 'practice.button'> {
  const practice = (): PracticeControls => {
    if (context.options.practice) return context.options.practice;
    throw new ProblemError({
      code: 'not-practice-mode',
      title: 'Only available in practice mode',
      detail: 'These controls move virtual phones; a real phone needs your hands.',
      nextSteps: ['Start Lifeline with --demo to practise.'],
    });
  };
  return {
    'practice.phones': async () => practice().phones(),
    'practice.act': async ({ phoneId, action }) => {
      await practice().act(phoneId, action);
      return { done: true as const };
    },
    'practice.button': async ({ phoneId, button, down }) => {
      const controls = practice();
      if (!controls.button) throw new ProblemError({ code: 'no-buttons', title: 'These practice phones have no buttons', detail: 'Buttons are not available here.', nextSteps: [] });
      return controls.button(phoneId, button, down);
    },
  };
}
