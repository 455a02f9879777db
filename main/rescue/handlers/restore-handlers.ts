/**
 * restore.toRamdisk: find the DFU / recovery phone, get its firmware (a given .ipsw, or the cached / latest signed),
 * check the firmware fits before anything is sent, ask for the ticket, and walk the boot chain (docs/protocols/boot-chain.md)
 * as one job with one progress record per stage.
 * restore.start: the complete restore, erase or update (main/restore/restore-run.ts), refused for an erase nobody confirmed.
 */
import { ProblemError, type RestoreRamdiskResult, type RestoreResult } from '../../../common/api';
import { checkFitsPhone, readBuildManifest } from '../../ipsw/build-manifest';
import { IpswArchive } from '../../ipsw/ipsw-reader';
import { runBootChain } from '../../restore/boot-chain';
import { BootChainError } from '../../restore/boot-chain-error';
import { bootChainFailure } from '../../restore/restore-problems';
import { runRestore } from '../../restore/restore-run';
import { findRestorePhone, refuseBlockedUsb } from '../../restore/restore-target';
import { listIrecvDevices } from '../../irecv/irecv-discovery';
import { apTicketRequester } from '../../tss/ap-ticket';
import { tssUrlFromEnvironment } from '../../tss/tss-client';
import { UsbmuxClient } from '../../usbmux/usbmux-client';
import type { CommandHandlers, EngineContext } from '../engine-ports';

function ecidOf(hex: string | undefined): bigint | undefined {
  return hex !== undefined ? BigInt(`0x${hex.replace(/^0x/i, '')}`) : undefined;
}

export function restoreHandlers(context: EngineContext): Pick<CommandHandlers, 'restore.toRamdisk' | 'restore.start'> {
  return {
    'restore.toRamdisk': async (request) => {
      const bus = context.options.usb;
      const firmware = context.options.firmware;
      if (!bus || !firmware) {
        throw new ProblemError('usb-unavailable', { purpose: 'restore' });
      }
      const wantedEcid = ecidOf(request.ecid);
      const candidates = (await listIrecvDevices(bus)).filter(({ info }) => info.mode === 'dfu' || info.mode === 'recovery');
      if (candidates.length === 0) refuseBlockedUsb(bus);
      const found = candidates.filter(({ info }) => wantedEcid === undefined || info.ecid === wantedEcid);
      const target = found[0];
      const unidentified =
        found.length === 1 ? target : found.length === 0 ? candidates.find(({ info }) => info.invalidIdentity !== undefined) : undefined;
      if (unidentified?.info.invalidIdentity !== undefined)
        throw new ProblemError('phone-invalid-identity', undefined, { cause: new Error(unidentified.info.invalidIdentity) });
      if (!target || found.length > 1 || !target.info.model || target.info.ecid === undefined) {
        throw new ProblemError(found.length > 1 ? 'restore-which-phone' : 'restore-no-phone');
      }
      const model = target.info.model;
      const ecid = target.info.ecid;
      const phoneTarget = { productType: model.productType, boardConfig: model.boardConfig };
      const settings = context.options.restore ?? {};
      let pastNoReturn = false;
      const { job } = context.jobs.start<RestoreRamdiskResult>({
        kind: 'restore',
        title: `Start the restore of ${model.name}`,
        cancellable: () => !pastNoReturn,
        run: async ({ signal, progress }) => {
          const prepared = request.ipsw
            ? await firmware.useLocal(request.ipsw, phoneTarget, { signal, onProgress: progress })
            : await firmware.prepare(phoneTarget, { signal, onProgress: progress });
          // Both paths have just checked the bytes (hashed, or an unchanged file in Lifeline's own cache); a file no
          // catalog hash vouches for is not restored from.
          if (!prepared.catalogVerified) throw new ProblemError('firmware-unverified', { file: prepared.path });
          const archive = await IpswArchive.open(prepared.path);
          try {
            const manifest = await readBuildManifest(archive);
            // docs/protocols/firmware.md#identity-selection: the checks before anything else — nothing is sent to a phone the firmware does not fit.
            const { identity } = checkFitsPhone(manifest, archive, model.productType, model.boardConfig);
            const requestTicket = apTicketRequester(
              identity,
              { ecid, chipId: model.cpid, boardId: model.bdid ?? 0 },
              { url: settings.tssUrl ?? tssUrlFromEnvironment(), signal },
            );
            const usbmux = new UsbmuxClient(settings.usbmuxAddress ? { address: settings.usbmuxAddress } : {});
            const result = await runBootChain({
              bus,
              usbmux,
              archive,
              manifest,
              identity,
              ecid,
              requestTicket,
              signal,
              onProgress: (p) => {
                pastNoReturn = !p.cancellable;
                progress({
                  phase: p.stage,
                  fraction: p.index / p.total,
                  message: p.cancellable ? p.message : `${p.message} (the restore can no longer be cancelled)`,
                });
              },
              onCancelRefused: () =>
                progress({
                  phase: 'not-cancellable',
                  fraction: null,
                  message: 'Cannot cancel now: the phone is already booting the restore images. Lifeline finishes this part first.',
                }),
            }).catch((error: unknown) => {
              if (error instanceof BootChainError) {
                throw bootChainFailure(error);
              }
              throw error;
            });
            return {
              udid: result.restorePhone.udid,
              protocolVersion: result.restorePhone.protocolVersion,
              firmware: { version: prepared.version, build: prepared.build, path: prepared.path },
              ticketsRequested: result.ticketsRequested,
              stages: result.stages,
            };
          } finally {
            archive.close();
          }
        },
        summarise: (result) => result,
      });
      return { job };
    },

    'restore.start': async (request) => {
      const bus = context.options.usb;
      const firmware = context.options.firmware;
      if (!bus || !firmware) throw new ProblemError('usb-unavailable', { purpose: 'restore' });
      // The schema refuses it too; an erase never starts unconfirmed, whichever way the request came.
      if (request.choice === 'erase' && request.confirmed !== true) throw new ProblemError('restore-not-confirmed', { choice: 'erase' });
      const phone = await findRestorePhone(bus, context.phones(), {
        ...(request.phoneId !== undefined ? { phoneId: request.phoneId } : {}),
        ...(request.ecid !== undefined ? { ecid: ecidOf(request.ecid)! } : {}),
      });
      const coach = context.options.coach;
      if (phone.mode === 'normal' && !coach) throw new ProblemError('coach-unavailable');
      // Practice phones run at their own time factor; the restore's waits follow it.
      const timeScale = (await context.options.practice?.phones())?.find((p) => p.id === phone.phoneId)?.timeFactor ?? 1;
      const settings = context.options.restore ?? {};
      const phones = context.options.phones;
      let pastNoReturn = false;
      const { job } = context.jobs.start<RestoreResult>({
        kind: 'restore',
        title: `${request.choice === 'erase' ? 'Erase and restore' : 'Update'} ${phone.model.name}`,
        phoneId: phone.phoneId,
        cancellable: () => !pastNoReturn,
        run: ({ signal, progress }) =>
          runRestore({
            phone,
            choice: request.choice,
            bus,
            usbmux: new UsbmuxClient(settings.usbmuxAddress ? { address: settings.usbmuxAddress } : {}),
            phones: { list: () => context.phones(), onChange: (listener) => phones?.onChange(listener) ?? (() => undefined) },
            enterRecovery: async (phoneId, work) => {
              await coach!.enterRecovery(phoneId, {
                timeScale,
                signal: work.signal,
                progress: (_phase, message) => work.progress(message),
              });
            },
            prepareFirmware: (target, work) =>
              request.ipsw ? firmware.useLocal(request.ipsw, target, work) : firmware.prepare(target, work),
            tssUrl: settings.tssUrl ?? tssUrlFromEnvironment(),
            timeScale,
            signal,
            onProgress: progress,
            onPointOfNoReturn: () => {
              pastNoReturn = true;
            },
          }),
        summarise: (result) => result,
      });
      return { job };
    },
  };
}
