import type { JourneySnapshot } from '../../common/contract/journey';
import { log } from './log';

const MAX_PHONES = 1000;

/**
 * One line per journey transition (not per progress update): the phone by its opaque public id, from → to, the step,
 * the job and the Problem code of a failure state.
 */
export class JourneyLog {
  private readonly last = new Map<string, string>();

  changed(snapshot: JourneySnapshot): void {
    const from = this.last.get(snapshot.publicId) ?? null;
    if (from === snapshot.state) return;
    if (this.last.size >= MAX_PHONES && from === null) this.last.delete(this.last.keys().next().value!);
    this.last.set(snapshot.publicId, snapshot.state);
    log.info('journey.transition', {
      phone: snapshot.publicId,
      from,
      to: snapshot.state,
      step: snapshot.step,
      job: snapshot.job,
      connected: snapshot.connected,
      mode: snapshot.mode,
      code: snapshot.problem?.code ?? null,
    });
  }
}
