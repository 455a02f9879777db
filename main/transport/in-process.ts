import { openEnvelope, type LifelineApi } from '../../common/api';
import type { Engine } from '../rescue/engine';
import type { CallContext } from '../rescue/engine-ports';
import { dispatch, subscribe } from './dispatcher';

/** The CLI's transport: same validation and envelopes as IPC and the bridge, no serialisation. */
export function createInProcessClient(engine: Engine, context: CallContext = { transport: 'in-process' }): LifelineApi {
  return {
    async invoke(command, request) {
      return openEnvelope(await dispatch(engine, context, command, request)) as never;
    },
    on(event, listener) {
      return subscribe(engine, event, listener as never);
    },
  };
}
