/**
 * The boot chain as data (docs/protocols/boot-chain.md#components-per-stage, docs/protocols/boot-chain.md#dfu-to-restore-ramdisk steps 4–15, docs/protocols/boot-chain.md#starting-from-recovery): which component goes to which stage and which
 * iBoot command boots it. A pure function of the build identity, so the order is testable without a phone.
 */
import type { BuildComponent, BuildIdentity } from '../ipsw/build-manifest';
import { tagForComponent } from '../img4/component-tags';

export type BootStageName = 'ibss' | 'ibec' | 'logo' | 'firmware' | 'ramdisk' | 'devicetree' | 'sep' | 'kernel';

export type BootStep = {
  stage: BootStageName;
  component: BuildComponent;
  /** The tag the IM4P must carry when booted (docs/protocols/img4.md#personalisation). */
  tag: string;
  /** iBoot command after the upload (null for the DFU upload of iBSS). */
  command: string | null;
  /** Commands before the upload's boot command (e.g. boot-args before bootx). */
  before?: string[];
  after?: string[];
};

export const RESTORE_BOOT_ARGS = 'rd=md0 nand-enable-reformat=1 -progress';

function component(identity: BuildIdentity, name: string): BuildComponent | undefined {
  return identity.components.find((c) => c.name === name && c.path !== null);
}

/** `firmware` components: IsLoadedByiBoot and not IsLoadedByiBootStage1 (docs/protocols/boot-chain.md#components-per-stage; Stage1 is for Macs, docs/protocols/boot-chain.md#starting-from-recovery). */
export function loadedByIBoot(identity: BuildIdentity): BuildComponent[] {
  return identity.components.filter((c) => c.path !== null && c.flags.IsLoadedByiBoot === true && c.flags.IsLoadedByiBootStage1 !== true);
}

export function planBootChain(identity: BuildIdentity, options: { fromRecovery?: boolean } = {}): BootStep[] {
  const steps: BootStep[] = [];
  const need = (name: string): BuildComponent => {
    const found = component(identity, name);
    if (!found) throw new Error(`the build identity has no ${name}`);
    return found;
  };
  const tag = (c: BuildComponent): string => tagForComponent(c.name) ?? c.name.slice(0, 4).toLowerCase().padEnd(4, ' ');
  if (!options.fromRecovery) steps.push({ stage: 'ibss', component: need('iBSS'), tag: 'ibss', command: null });
  steps.push({ stage: 'ibec', component: need('iBEC'), tag: 'ibec', command: 'go' });
  const logo = component(identity, 'RestoreLogo');
  if (logo) steps.push({ stage: 'logo', component: logo, tag: 'rlgo', command: 'setpicture 4', after: ['bgcolor 0 0 0'] });
  for (const c of loadedByIBoot(identity)) steps.push({ stage: 'firmware', component: c, tag: tag(c), command: 'firmware' });
  steps.push({ stage: 'ramdisk', component: need('RestoreRamDisk'), tag: 'rdsk', command: 'ramdisk' });
  steps.push({ stage: 'devicetree', component: need('RestoreDeviceTree'), tag: 'rdtr', command: 'devicetree' });
  const sep = component(identity, 'RestoreSEP');
  if (sep) steps.push({ stage: 'sep', component: sep, tag: 'rsep', command: 'rsepfirmware' });
  steps.push({
    stage: 'kernel',
    component: need('RestoreKernelCache'),
    tag: 'rkrn',
    command: 'bootx',
    before: [`setenv boot-args ${RESTORE_BOOT_ARGS}`],
  });
  return steps;
}
