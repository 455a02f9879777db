import { ProblemError, type CoachAttempt } from '../../../common/api';
import { planFor, type CoachGoal } from '../../../common/coach-plans';
import { planDurationMs, positionAt } from '../../../common/coach-timeline';
import { findModelByProductType } from '../../../common/device-table';
import { hostChecks } from '../../coach/outcome-advice';
import type { CoachService } from '../../coach/coach-service';
import type { CommandHandlers, EngineContext } from '../engine-ports';

const GOAL_WORDS: Record<CoachGoal, string> = {
  recovery: 'into recovery mode',
  'dfu-assisted': 'into DFU mode (assisted)',
  'dfu-manual': 'into DFU mode',
};

export function coachHandlers(
  context: EngineContext,
): Pick<CommandHandlers, 'coach.plan' | 'coach.start' | 'coach.attempts' | 'recovery.enter' | 'recovery.exit'> {
  const coach = (): CoachService => {
    if (context.options.coach) return context.options.coach;
    throw new ProblemError('coach-unavailable');
  };
  // Practice phones run at their own time factor; the plan runs at the same speed so the timings still fit.
  const scaleOf = async (phoneId: string): Promise<number> =>
    (await context.options.practice?.phones())?.find((p) => p.id === phoneId)?.timeFactor ?? 1;
  const modelName = (phoneId: string): string => context.phones().find((p) => p.id === phoneId)?.model.name ?? 'the phone';

  return {
    'coach.plan': async ({ phoneId, productType, goal }) => {
      if (phoneId !== undefined) {
        const service = coach();
        const { plan } = service.planForPhone(phoneId, goal, await scaleOf(phoneId));
        return { plan, hostChecks: service.hostChecks(plan.productType), missesInARow: service.missesInARow(phoneId) };
      }
      const model = findModelByProductType(productType ?? '');
      if (!model) {
        throw new ProblemError('unknown-model', { productType: productType ?? '' });
      }
      return { plan: planFor(model, goal), hostChecks: hostChecks(process.platform, model.productType), missesInARow: 0 };
    },

    'coach.start': async ({ phoneId, goal }) => {
      const service = coach();
      const { plan, missesBefore } = service.prepareAttempt(phoneId, goal, await scaleOf(phoneId));
      const total = planDurationMs(plan);
      return new Promise<CoachAttempt>((resolve, reject) => {
        let answered = false;
        const started = context.jobs.start({
          kind: 'coach',
          title: `Coach ${GOAL_WORDS[goal]} — ${plan.modelName}`,
          phoneId,
          run: ({ job, signal, progress }) =>
            service.runAttempt({
              job,
              phoneId,
              plan,
              missesBefore,
              signal,
              onChange: (snapshot) => {
                context.emit('coach.changed', snapshot);
                const position = positionAt(plan, snapshot.elapsedMs);
                progress({
                  phase: snapshot.outcome ? snapshot.outcome.kind : (position.step?.id ?? 'watching'),
                  fraction: snapshot.outcome ? 1 : Math.min(1, total > 0 ? snapshot.elapsedMs / total : 1),
                  message: snapshot.outcome?.headline ?? position.step?.text ?? 'Watching the phone…',
                });
                if (!answered) {
                  answered = true;
                  resolve(snapshot);
                }
              },
            }),
          summarise: (final) => ({
            attempt: final.attempt,
            outcome: final.outcome?.kind ?? null,
            success: final.outcome?.success ?? false,
          }),
        });
        started.done.catch((error: unknown) => {
          if (!answered) reject(error);
        });
      });
    },

    'coach.attempts': async () => (context.options.coach ? context.options.coach.attempts() : []),

    'recovery.enter': async ({ phoneId }) => {
      const service = coach();
      service.planForPhone(phoneId, 'recovery');
      const timeScale = await scaleOf(phoneId);
      const { job } = context.jobs.start({
        kind: 'recovery.enter',
        title: `Put ${modelName(phoneId)} into recovery mode`,
        phoneId,
        run: ({ signal, progress }) =>
          service.enterRecovery(phoneId, { timeScale, signal, progress: (phase, message) => progress({ phase, fraction: null, message }) }),
        summarise: (result) => result,
      });
      return { job };
    },

    'recovery.exit': async ({ phoneId }) => {
      const service = coach();
      const phone = context.phones().find((p) => p.id === phoneId);
      if (!phone || !phone.connected || phone.mode !== 'recovery') {
        throw new ProblemError('not-in-recovery', { mode: phone ? (phone.connected ? phone.mode : 'disconnected') : null });
      }
      const timeScale = await scaleOf(phoneId);
      const { job } = context.jobs.start({
        kind: 'recovery.exit',
        title: `Take ${phone.model.name} out of recovery mode`,
        phoneId,
        run: ({ signal, progress }) =>
          service.exitRecovery(phoneId, { timeScale, signal, progress: (phase, message) => progress({ phase, fraction: null, message }) }),
        summarise: (result) => result,
      });
      return { job };
    },
  };
}
