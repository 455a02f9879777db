/**
 * restore.toRamdisk: find the DFU / recovery phone, get its firmware (a given .ipsw, or the cached / latest signed),
 * check the firmware fits before anything is sent, ask for the ticket, and walk the boot chain (docs/protocols/boot-chain.md)
 * as one job with one progress record per stage.
 */
import { ProblemError, type Problem, type RestoreRamdiskResult } from '../../../common/api';
import { checkFitsPhone, readBuildManifest } from '../../ipsw/build-manifest';
import { IpswArchive } from '../../ipsw/ipsw-reader';
import { runBootChain } from '../../restore/boot-chain';
import { BootChainError, type BootChainErrorCode } from '../../restore/boot-chain-error';
import { listIrecvDevices } from '../../irecv/irecv-discovery';
import { apTicketRequester } from '../../tss/ap-ticket';
import { tssUrlFromEnvironment } from '../../tss/tss-client';
import { UsbmuxClient } from '../../usbmux/usbmux-client';
import type { CommandHandlers, EngineContext } from '../engine-ports';
import { invalidIdentityProblem } from '../problems';

const STEPS: Record<BootChainErrorCode, string[]> = {
  'wrong-firmware': ['Use the firmware Lifeline suggests for this phone (leave out --ipsw).'],
  'not-signed': ['Use the newest iOS version for this phone: Apple only signs current versions.', 'If this is the newest version, try again later.'],
  'signing-server': ['Check the internet connection, then try again.'],
  'nonce-changed': ['Put the phone back into DFU mode and start again.'],
  'image-rejected': ['Put the phone back into DFU mode and start again.', 'If it happens again, let Lifeline download the firmware afresh.'],
  'did-not-reenumerate': ['Unplug the phone, put it back into DFU mode and start again.', 'Use a different cable or USB port if it keeps happening.'],
  'restore-mode-missing': ['Keep the phone plugged in. If the screen stays black, put it into DFU mode and start again.'],
  usb: ['Check the cable and try again.'],
  cancelled: [],
};

export function bootChainProblem(error: BootChainError): Problem {
  const titles: Record<BootChainErrorCode, string> = {
    'wrong-firmware': 'This firmware is for a different iPhone',
    'not-signed': 'Apple does not sign this firmware for this phone',
    'signing-server': 'Apple’s signing server could not be used',
    'nonce-changed': 'The phone changed its boot nonce and no new signature could be had',
    'image-rejected': 'The phone refused a boot image',
    'did-not-reenumerate': 'The phone did not restart into the next boot stage',
    'restore-mode-missing': 'The phone did not show up in restore mode',
    usb: 'The phone stopped answering over USB',
    cancelled: 'Cancelled',
  };
  return { code: `restore-${error.code}`, title: titles[error.code], detail: `${error.message} (stage: ${error.stage})`, nextSteps: STEPS[error.code] };
}

export function unverifiedFirmwareProblem(file: string): Problem {
  return {
    code: 'firmware-unverified',
    title: 'This firmware cannot be checked, so Lifeline will not restore from it',
    detail: `No firmware catalog gives a checksum for ${file.split(/[\\/]/).pop() ?? file}, so Lifeline cannot tell whether it is Apple’s file, intact.`,
    nextSteps: ['Leave out --ipsw: Lifeline downloads and checks the right firmware itself.', 'Connect to the internet so the catalogs can be checked, then try again.'],
  };
}

export function restoreHandlers(context: EngineContext): Pick<CommandHandlers, 'restore.toRamdisk'> {
  return {
    'restore.toRamdisk': async (request) => {
      const bus = context.options.usb;
      const firmware = context.options.firmware;
      if (!bus || !firmware) {
        throw new ProblemError({
          code: 'usb-unavailable',
          title: 'USB is not available here',
          detail: 'This Lifeline was started without USB or firmware access, so it cannot restore a phone.',
          nextSteps: ['Start Lifeline normally, or point it at a USB/IP server with --usbip HOST:PORT.'],
        });
      }
      const wantedEcid = request.ecid !== undefined ? BigInt(`0x${request.ecid.replace(/^0x/i, '')}`) : undefined;
      const candidates = (await listIrecvDevices(bus)).filter(({ info }) => info.mode === 'dfu' || info.mode === 'recovery');
      const found = candidates.filter(({ info }) => wantedEcid === undefined || info.ecid === wantedEcid);
      const target = found[0];
      const unidentified = found.length === 1 ? target : found.length === 0 ? candidates.find(({ info }) => info.invalidIdentity !== undefined) : undefined;
      if (unidentified?.info.invalidIdentity !== undefined) throw new ProblemError(invalidIdentityProblem(unidentified.info.invalidIdentity));
      if (!target || found.length > 1 || !target.info.model || target.info.ecid === undefined) {
        throw new ProblemError({
          code: 'restore-no-phone',
          title: found.length > 1 ? 'More than one phone is in DFU or recovery mode' : 'No phone in DFU or recovery mode',
          detail: found.length > 1 ? 'Say which one with its ECID (lifeline dfu-info --show-ecid lists them).' : 'Lifeline restores a phone that is in DFU or recovery mode.',
          nextSteps: found.length > 1 ? ['Run again with --ecid.'] : ['Put the phone into DFU mode (lifeline coach dfu helps), then try again.'],
        });
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
          if (!prepared.catalogVerified) throw new ProblemError(unverifiedFirmwareProblem(prepared.path));
          const archive = await IpswArchive.open(prepared.path);
          try {
            const manifest = await readBuildManifest(archive);
            // docs/protocols/firmware.md#identity-selection: the checks before anything else — nothing is sent to a phone the firmware does not fit.
            const { identity } = checkFitsPhone(manifest, archive, model.productType, model.boardConfig);
            const requestTicket = apTicketRequester(identity, { ecid, chipId: model.cpid, boardId: model.bdid ?? 0 }, { url: settings.tssUrl ?? tssUrlFromEnvironment(), signal });
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
                progress({ phase: 'not-cancellable', fraction: null, message: 'Cannot cancel now: the phone is already booting the restore images. Lifeline finishes this part first.' }),
            }).catch((error: unknown) => {
              if (error instanceof BootChainError) {
                if (error.code === 'cancelled') throw new DOMException('cancelled', 'AbortError');
                throw new ProblemError(bootChainProblem(error));
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
  };
}
