import { ProblemError } from '../../../common/api';
import type { PracticeControls } from '../../../common/api';
import type { CommandHandlers, EngineContext } from '../engine-ports';

export function practiceHandlers(context: EngineContext): Pick<CommandHandlers, 'practice.phones' | 'practice.act' | 'practice.button'> {
  const practice = (): PracticeControls => {
    if (context.options.practice) return context.options.practice;
    throw new ProblemError('not-practice-mode');
  };
  return {
    'practice.phones': async () => practice().phones(),
    'practice.act': async ({ phoneId, action }) => {
      await practice().act(phoneId, action);
      return { done: true as const };
    },
    'practice.button': async ({ phoneId, button, down }) => {
      const controls = practice();
      if (!controls.button) throw new ProblemError('no-buttons');
      return controls.button(phoneId, button, down);
    },
  };
}
