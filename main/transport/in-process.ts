import { openEnvelope, type LifelineApi } from '../../common/api';
import type { Engine } from '../rescue/engine';
import { dispatch, subscribe } from './dispatcher';

/** The CLI's transport: same validation and envelopes as IPC and the bridge, no serialisation. */
export function createInProcessClient(engine: Engine): LifelineApi {
  return {
    async invoke(command, request) {
      return openEnvelope(await dispatch(engine, { transport: 'in-process' }, command, request)) as never;
    },
    on(event, listener) {
      return subscribe(engine, event, listener as never);
    },
  };
}
