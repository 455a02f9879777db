import { collectDiagnostics, previewOf, type DiagnosticsEntry } from '../../diagnostics/diagnostics-bundle';
import { writeDiagnosticsZip } from '../../diagnostics/diagnostics-zip';
import { collectHostFacts } from '../../diagnostics/host-facts';
import { dataFolder } from '../../log/data-folder';
import { log } from '../../log/log';
import type { CommandHandlers, EngineContext } from '../engine-ports';

/** A preview older than this is gathered again before saving (the person reviewed something else by then). */
const PREVIEW_FRESH_MS = 10 * 60 * 1000;

/**
 * diagnostics.preview gathers the files and keeps them; diagnostics.export saves exactly those, so what was reviewed
 * is what is saved (gathered afresh only when no recent preview exists, as for `--yes`).
 */
export function diagnosticsHandlers(
  context: EngineContext,
): Pick<CommandHandlers, 'diagnostics.preview' | 'diagnostics.export' | 'app.choosePath'> {
  const { options } = context;
  let reviewed: { entries: DiagnosticsEntry[]; at: number } | null = null;
  const gather = async (): Promise<DiagnosticsEntry[]> => {
    const folder = options.dataFolder ?? dataFolder();
    const facts = await collectHostFacts({
      app: { name: options.name ?? 'Lifeline', version: options.version, demo: options.demo ?? false },
      host: options.phones?.hostStatus() ?? null,
      folder,
    });
    return collectDiagnostics({ dataFolder: folder, facts });
  };
  return {
    'diagnostics.preview': async () => {
      const entries = await gather();
      reviewed = { entries, at: Date.now() };
      return previewOf(entries);
    },
    'diagnostics.export': async ({ path }) => {
      const entries = reviewed !== null && Date.now() - reviewed.at < PREVIEW_FRESH_MS ? reviewed.entries : await gather();
      reviewed = null;
      const saved = await writeDiagnosticsZip(path, entries);
      log.info('diagnostics.exported', { files: saved.files, bytes: saved.bytes });
      return saved;
    },
    // The desktop shell answers this itself with a native dialog; anywhere else there is none.
    'app.choosePath': async () => ({ available: false, path: null }),
  };
}
