import { ProblemError, type FirmwareStatus, type PreparedFirmware } from '../../../common/api';
import { findModelByProductType } from '../../../common/device-table';
import type { Phone } from '../../../common/phone';
import { maskPhoneId } from '../../../common/phone-id-mask';
import type { FirmwareService, FirmwareTarget } from '../../firmware/firmware-service';
import type { CommandHandlers, EngineContext } from '../engine-ports';

type FirmwareCommands = 'firmware.list' | 'firmware.prepare' | 'firmware.get' | 'firmware.useLocal' | 'firmware.status';

/** The phone a firmware must fit: its ProductType and board from the registry's model. */
function targetOfPhone(phone: Phone): FirmwareTarget | null {
  const { productType, boardConfig } = phone.model;
  return productType && boardConfig ? { productType, boardConfig } : null;
}

function targetOfModel(productType: string, boardConfig: string | undefined): FirmwareTarget {
  const board = boardConfig ?? findModelByProductType(productType)?.boardConfig;
  if (!board) {
    throw new ProblemError('firmware-unknown-model', { productType });
  }
  return { productType, boardConfig: board.toLowerCase() };
}

export function firmwareHandlers(context: EngineContext): Pick<CommandHandlers, FirmwareCommands> {
  const service = (): FirmwareService => {
    if (context.options.firmware) return context.options.firmware;
    throw new ProblemError('firmware-unavailable');
  };
  const phoneById = (phoneId: string): Phone => {
    const phone = context.phones().find((p) => p.id === phoneId);
    if (phone) return phone;
    throw new ProblemError('phone-not-found', { phoneId: maskPhoneId(phoneId) });
  };
  const phoneTarget = (phone: Phone): FirmwareTarget => {
    const target = targetOfPhone(phone);
    if (target) return target;
    throw new ProblemError('firmware-model-not-identified', { modelName: phone.model.name });
  };
  const runningJob = (kind: string, phoneId: string): string | null =>
    context.jobs.running().find((job) => job.kind === kind && job.phoneId === phoneId)?.job ?? null;

  const statusOf = async (phone: Phone): Promise<FirmwareStatus> => {
    const target = targetOfPhone(phone);
    if (!target || !context.options.firmware) return { phoneId: phone.id, state: 'unknown-model', firmware: null, job: null };
    const job = runningJob('firmware.prepare', phone.id) ?? runningJob('firmware.verify', phone.id);
    if (job) return { phoneId: phone.id, state: 'preparing', firmware: null, job };
    const firmware = await context.options.firmware.status(target);
    return { phoneId: phone.id, state: firmware ? 'ready' : 'not-ready', firmware, job: null };
  };
  const announce = (phoneId: string): void => {
    const phone = context.phones().find((p) => p.id === phoneId);
    if (phone)
      void statusOf(phone).then(
        (status) => context.emit('firmware.changed', status),
        () => undefined,
      );
  };

  return {
    'firmware.list': async ({ productType, boardConfig, refresh }) => {
      const target = targetOfModel(productType, boardConfig);
      return service().list(target.productType, target.boardConfig, { refresh: refresh ?? false });
    },
    'firmware.prepare': async ({ phoneId }) => {
      const phone = phoneById(phoneId);
      const target = phoneTarget(phone);
      const firmware = service();
      const existing = runningJob('firmware.prepare', phone.id);
      if (existing) return { job: existing };
      const { job, done } = context.jobs.start<PreparedFirmware>({
        kind: 'firmware.prepare',
        title: `Getting iOS ready for ${phone.model.name}`,
        phoneId: phone.id,
        run: ({ signal, progress }) => firmware.prepare(target, { signal, onProgress: progress }),
        summarise: (prepared) => prepared,
      });
      announce(phone.id);
      void done.then(
        () => announce(phone.id),
        () => announce(phone.id),
      );
      return { job };
    },
    'firmware.get': async ({ productType, boardConfig, directory }) => {
      const target = targetOfModel(productType, boardConfig);
      const firmware = service();
      const { job } = context.jobs.start<PreparedFirmware>({
        kind: 'firmware.get',
        title: `Downloading iOS for ${findModelByProductType(target.productType)?.name ?? target.productType}`,
        run: ({ signal, progress }) => firmware.prepare(target, { signal, onProgress: progress, ...(directory ? { directory } : {}) }),
        summarise: (prepared) => prepared,
      });
      return { job };
    },
    'firmware.useLocal': async ({ path, phoneId, productType, boardConfig }) => {
      const phone = phoneId ? phoneById(phoneId) : null;
      let target: FirmwareTarget;
      if (phone) target = phoneTarget(phone);
      else if (productType) target = targetOfModel(productType, boardConfig);
      else throw new ProblemError('firmware-target-missing');
      const firmware = service();
      const { job, done } = context.jobs.start<PreparedFirmware>({
        kind: 'firmware.verify',
        title: 'Checking a firmware file',
        phoneId: phone?.id ?? null,
        run: ({ signal, progress }) => firmware.useLocal(path, target, { signal, onProgress: progress, remember: phone !== null }),
        summarise: (prepared) => prepared,
      });
      if (phone) {
        announce(phone.id);
        void done.then(
          () => announce(phone.id),
          () => announce(phone.id),
        );
      }
      return { job };
    },
    'firmware.status': async ({ phoneId }) => statusOf(phoneById(phoneId)),
  };
}
