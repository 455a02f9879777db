/**
 * Manifest component → IMG4 type tag (docs/protocols/img4.md#component-tags, docs/protocols/boot-chain.md#components-per-stage). The restore aliases get their own
 * tag so the booted IM4P matches the manifest's digest for that alias (docs/protocols/img4.md#digests: KernelCache ≠ RestoreKernelCache).
 */
export const COMPONENT_TAGS: ReadonlyMap<string, string> = new Map([
  ['iBSS', 'ibss'],
  ['iBEC', 'ibec'],
  ['iBoot', 'ibot'],
  ['LLB', 'illb'],
  ['KernelCache', 'krnl'],
  ['RestoreKernelCache', 'rkrn'],
  ['DeviceTree', 'dtre'],
  ['RestoreDeviceTree', 'rdtr'],
  ['AppleLogo', 'logo'],
  ['RestoreLogo', 'rlgo'],
  ['RecoveryMode', 'recm'],
  ['RestoreRamDisk', 'rdsk'],
  ['SEP', 'sepi'],
  ['RestoreSEP', 'rsep'],
  ['StaticTrustCache', 'trst'],
  ['RestoreTrustCache', 'rtsc'],
  ['SystemVolume', 'isys'],
  ['Ap,SystemVolumeCanonicalMetadata', 'msys'],
  ['BatteryLow0', 'bat0'],
  ['BatteryLow1', 'bat1'],
  ['BatteryFull', 'batF'],
  ['BatteryCharging0', 'chg0'],
  ['BatteryCharging1', 'chg1'],
  ['BatteryPlugin', 'glyP'],
  ['Liquid', 'liqd'],
  ['AOP', 'aopf'],
  ['ANE', 'anef'],
  ['ISP', 'ispf'],
  ['Multitouch', 'mtfw'],
  ['RestoreDCP', 'rdcp'],
  ['Ap,RestoreDCP2', 'rdc2'],
  ['Ap,RestoreTMU', 'rtmu'],
  ['Ap,RestoreCIO', 'rcio'],
  ['Ap,DCP2', 'dcp2'],
  ['Ap,RestoreSecureM3Firmware', 'rsm3'],
  ['Ap,RestoreSecurePageTableMonitor', 'rspt'],
  ['Ap,RestoreTrustedExecutionMonitor', 'rtrx'],
  ['Ap,RestorecL4', 'rxcl'],
  ['OS', 'OS\0\0'],
]);

/** The tag an IM4P must carry when it is booted as `component`; undefined when the component is unknown. */
export function tagForComponent(component: string): string | undefined {
  return COMPONENT_TAGS.get(component);
}
