import type { CoachGoal } from '../../../common/coach-plans';
import type { Phone } from '../../../common/phone';
import { useCommand, type CommandState } from '../../hooks/use-command';

/**
 * The plan for this exact phone and goal, asked again when the phone changes mode, comes back, or a try ends
 * (its misses in a row change). Not asked while a try runs: the attempt carries its own plan.
 */
export function useCoachPlan(phoneId: string | null, phone: Phone | null, goal: CoachGoal, running: boolean): CommandState<'coach.plan'> {
  const asking = phoneId !== null && phone?.connected === true && !running;
  return useCommand('coach.plan', asking ? { phoneId, goal } : null, {
    refreshOn: [phone?.mode ?? null],
    fallbackTitle: 'Lifeline could not make a plan for this phone.',
  });
}
