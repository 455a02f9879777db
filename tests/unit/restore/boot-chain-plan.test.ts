import { describe, expect, it } from 'vitest';
import { parseBuildManifest, selectIdentity, type BuildIdentity } from '../../../main/ipsw/build-manifest';
import { RESTORE_BOOT_ARGS, loadedByIBoot, planBootChain } from '../../../main/restore/boot-chain-plan';
import { syntheticBuildManifest } from '../../../main/sim/synthetic-ipsw';

function identity(): BuildIdentity {
  const manifest = parseBuildManifest(
    syntheticBuildManifest({
      productTypes: ['iPhone6,1'],
      boards: [{ boardConfig: 'n51ap', cpid: 0x8960, bdid: 0 }],
      version: '12.5.7',
      build: '16H81',
    }),
  );
  return selectIdentity(manifest, 'n51ap', 'Erase')!;
}

describe('boot chain plan', () => {
  it('walks DFU → iBSS → iBEC → logo → firmware → ramdisk → device tree → SEP → kernel, each with its restore tag and iBoot command', () => {
    expect(planBootChain(identity()).map((s) => [s.stage, s.component.name, s.tag, s.command])).toEqual([
      ['ibss', 'iBSS', 'ibss', null],
      ['ibec', 'iBEC', 'ibec', 'go'],
      ['logo', 'RestoreLogo', 'rlgo', 'setpicture 4'],
      ['firmware', 'RestoreTrustCache', 'rtsc', 'firmware'],
      ['ramdisk', 'RestoreRamDisk', 'rdsk', 'ramdisk'],
      ['devicetree', 'RestoreDeviceTree', 'rdtr', 'devicetree'],
      ['sep', 'RestoreSEP', 'rsep', 'rsepfirmware'],
      ['kernel', 'RestoreKernelCache', 'rkrn', 'bootx'],
    ]);
  });

  it('sets the restore boot-args right before bootx', () => {
    const kernel = planBootChain(identity()).at(-1)!;
    expect(kernel.before).toEqual([`setenv boot-args ${RESTORE_BOOT_ARGS}`]);
    expect(RESTORE_BOOT_ARGS).toContain('rd=md0');
  });

  it('skips iBSS when the phone is already in recovery', () => {
    expect(planBootChain(identity(), { fromRecovery: true })[0]).toMatchObject({ stage: 'ibec', command: 'go' });
  });

  it('sends as `firmware` only components iBoot loads itself (not the Mac-only stage-1 ones)', () => {
    const base = identity();
    const withStage1: BuildIdentity = {
      ...base,
      components: [
        ...base.components,
        {
          ...base.components.find((c) => c.name === 'RestoreTrustCache')!,
          name: 'Ap,SomethingStage1',
          flags: { IsLoadedByiBoot: true, IsLoadedByiBootStage1: true },
        },
      ],
    };
    expect(loadedByIBoot(withStage1).map((c) => c.name)).toEqual(['RestoreTrustCache']);
  });

  it('refuses an identity without a ramdisk or kernel instead of walking half a chain', () => {
    const base = identity();
    expect(() => planBootChain({ ...base, components: base.components.filter((c) => c.name !== 'RestoreRamDisk') })).toThrow(
      /RestoreRamDisk/,
    );
  });
});
