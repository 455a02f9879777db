/**
 * journey.list / start / act / forget and the journey.changed event: one journey actor per phone (main/journey),
 * its steps wired to the engine's own commands (../journey-ports.ts), saved in the data folder's journeys folder.
 */
import { ProblemError, type CommandName, type CommandRequest, type CommandResponse } from '../../../common/api';
import { publicIdOfPhone } from '../../devices/public-phone-id';
import { JourneyService } from '../../journey/journey-service';
import { JourneyStore } from '../../journey/journey-store';
import { journeyFolder } from '../../log/data-folder';
import { log } from '../../log/log';
import type { CommandHandlers, EngineContext } from '../engine-ports';
import { journeyPorts } from '../journey-ports';

export type EngineCall = <C extends CommandName>(command: C, request: CommandRequest<C>) => Promise<CommandResponse<C>>;

export function journeyHandlers(
  context: EngineContext,
  call: EngineCall,
): Pick<CommandHandlers, 'journey.list' | 'journey.start' | 'journey.act' | 'journey.forget'> {
  const phones = context.options.phones;
  const service = phones
    ? new JourneyService({
        store: new JourneyStore(context.options.journeyFolder ?? journeyFolder()),
        phones,
        ports: journeyPorts({ call, on: context.on, jobs: context.jobs, phones }),
        publicIdOf: publicIdOfPhone,
        changed: (snapshot) => context.emit('journey.changed', snapshot),
        setAside: (problem) => log.warn('journey.set-aside', { code: problem.code, detail: problem.detail }),
      })
    : undefined;
  if (service) context.whenClosing(() => service.close());
  const journeys = (): JourneyService => {
    if (service) return service;
    throw new ProblemError('journey-no-phone');
  };
  return {
    'journey.list': async () => (service ? service.list() : []),
    'journey.start': async ({ phoneId }) => journeys().start(phoneId),
    'journey.act': async (request) => journeys().act(request),
    'journey.forget': async ({ phoneId }) => ({ forgotten: journeys().forget(phoneId) }),
  };
}
