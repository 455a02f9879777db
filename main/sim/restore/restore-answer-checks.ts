/**
 * What the restore ramdisk checks in the host's answers (docs/protocols/restored.md#the-virtual-phones-restore): the
 * root ticket is this phone's (signed by the key it trusts, ECID / CHIP / BORD, BNCH = its ApNonce, snon = its
 * SepNonce, the ramdisk it booted); every personalised image has the component's tag, a ticket valid for this phone
 * and the digest the BuildManifest gives for that component. A failed check names the StatusMsg a real phone sends.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { BuildIdentity } from '../../ipsw/build-manifest';
import { tagForComponent } from '../../img4/component-tags';
import { parseImg4 } from '../../img4/img4';
import { hashForDigestLength, im4pDigest } from '../../img4/img4-digest';
import { parseIm4m, propertyBytes, propertyInteger, type Im4m } from '../../img4/im4m';
import { ticketSignatureValid } from '../../img4/ticket-signature';
import { isPlistDict, type PlistDict, type PlistValue } from '../../plist/plist-value';
import { checkBootImage } from '../hardware/sim-image-check';
import { RestoreStatus } from './restore-status';

export type AnswerVerdict = { ok: true; digests: Record<string, string> } | { ok: false; status: number; reason: string };

export type PhoneExpectation = {
  ticketKey: KeyObject | string;
  ecid: bigint;
  cpid: number;
  bdid: number;
  apNonce: Uint8Array;
  sepNonce: Uint8Array;
};

const fail = (status: number, reason: string): AnswerVerdict => ({ ok: false, status, reason });
const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The ticket restored writes to the phone: it must be the one the ramdisk was booted with, for this phone and nonce. */
export function checkRootTicket(data: PlistValue | undefined, phone: PhoneExpectation, bootTicket: Im4m | null): AnswerVerdict {
  if (!(data instanceof Uint8Array)) return fail(RestoreStatus.Fail, 'RootTicketData is missing or not data');
  if (!ticketSignatureValid(data, phone.ticketKey)) return fail(RestoreStatus.Fail, 'the root ticket signature is not valid');
  let ticket: Im4m;
  try {
    ticket = parseIm4m(data);
  } catch (error) {
    return fail(RestoreStatus.Fail, `the root ticket is unreadable (${error instanceof Error ? error.message : String(error)})`);
  }
  const m = ticket.manifest;
  if (propertyInteger(m, 'ECID') !== phone.ecid) return fail(RestoreStatus.Fail, 'the root ticket is for another ECID');
  if (propertyInteger(m, 'CHIP') !== BigInt(phone.cpid)) return fail(RestoreStatus.Fail, 'the root ticket is for another chip');
  if (propertyInteger(m, 'BORD') !== BigInt(phone.bdid)) return fail(RestoreStatus.Fail, 'the root ticket is for another board');
  if (!sameBytes(propertyBytes(m, 'BNCH'), phone.apNonce))
    return fail(RestoreStatus.Fail, 'the root ticket’s BNCH does not match the ApNonce');
  // The SEP checks snon itself; a mismatch is the SEP failing to load.
  if (!sameBytes(propertyBytes(m, 'snon'), phone.sepNonce))
    return fail(RestoreStatus.SepLoadFailed, 'the root ticket’s snon does not match the SepNonce');
  if (!bootTicket) return fail(RestoreStatus.Fail, 'the restore ramdisk was not booted with a ticket');
  const booted = propertyBytes(bootTicket.images.get('rdsk'), 'DGST');
  if (!sameBytes(propertyBytes(ticket.images.get('rdsk'), 'DGST'), booted))
    return fail(RestoreStatus.Fail, 'the root ticket does not cover the ramdisk the phone booted');
  return { ok: true, digests: { RootTicket: sha256(data) } };
}

/** One personalised component: right tag, a ticket valid for this phone, the ticket's and the manifest's digest. */
export function checkPersonalisedImage(
  data: PlistValue | undefined,
  component: string,
  identity: BuildIdentity,
  phone: PhoneExpectation,
  status: number = RestoreStatus.Fail,
): AnswerVerdict {
  const tag = tagForComponent(component);
  if (!tag) return fail(status, `${component} is not a component the phone knows`);
  if (!(data instanceof Uint8Array)) return fail(status, `${component} is missing or not data`);
  const verdict = checkBootImage(data, {
    tags: [tag],
    ecid: phone.ecid,
    cpid: phone.cpid,
    bdid: phone.bdid,
    apNonce: phone.apNonce,
    ticketKey: phone.ticketKey,
  });
  if (!verdict.ok) return fail(status, `${component}: ${verdict.reason}`);
  const expected = identity.components.find((c) => c.name === component)?.digest;
  if (!expected) return fail(status, `the BuildManifest has no digest for ${component}`);
  const im4p = parseImg4(data).im4p;
  if (!im4pDigest(im4p, hashForDigestLength(expected.byteLength)).equals(expected))
    return fail(status, `${component} does not match the BuildManifest’s digest`);
  return { ok: true, digests: { [component]: sha256(data) } };
}

/** Answers shaped `{<key>: <personalised image>}`: KernelCache, DeviceTree, SystemImageRootHash, … */
export function checkImageAnswer(
  answer: PlistDict,
  key: string,
  component: string,
  identity: BuildIdentity,
  phone: PhoneExpectation,
): AnswerVerdict {
  return checkPersonalisedImage(answer[key], component, identity, phone);
}

/**
 * NORData: LLB, then the firmware images as an array with iBoot first (the manifest's firmware payloads except LLB and
 * RestoreSEP), RestoreSEP and SEP. Each is checked against its own component.
 */
export function checkNorData(answer: PlistDict, identity: BuildIdentity, phone: PhoneExpectation): AnswerVerdict {
  const digests: Record<string, string> = {};
  const merge = (verdict: AnswerVerdict): AnswerVerdict | null => {
    if (!verdict.ok) return verdict;
    Object.assign(digests, verdict.digests);
    return null;
  };
  const llb = merge(checkPersonalisedImage(answer.LlbImageData, 'LLB', identity, phone));
  if (llb) return llb;
  const nor = answer.NorImageData;
  if (!Array.isArray(nor) || nor.length === 0) return fail(RestoreStatus.Fail, 'NorImageData is not a list of images');
  const payloads = identity.components
    .filter((c) => c.flags.IsFirmwarePayload === true && c.name !== 'LLB' && c.name !== 'RestoreSEP')
    .map((c) => c.name);
  if (nor.length !== payloads.length)
    return fail(RestoreStatus.Fail, `NorImageData holds ${nor.length} images, the manifest names ${payloads.length}`);
  const first = merge(checkPersonalisedImage(nor[0], 'iBoot', identity, phone));
  if (first) return fail(RestoreStatus.Fail, `the first NOR image must be iBoot (${first.ok ? '' : first.reason})`);
  const rest = payloads.filter((name) => name !== 'iBoot');
  for (const [index, image] of nor.slice(1).entries()) {
    const verdicts = rest.map((name) => checkPersonalisedImage(image, name, identity, phone));
    const found = verdicts.find((v) => v.ok);
    if (!found) return fail(RestoreStatus.Fail, `NOR image ${index + 1} matches no firmware component`);
    merge(found);
  }
  for (const [key, component] of [
    ['RestoreSEPImageData', 'RestoreSEP'],
    ['SEPImageData', 'SEP'],
  ] as const) {
    if (!identity.components.some((c) => c.name === component)) continue;
    const sep = merge(checkPersonalisedImage(answer[key], component, identity, phone, RestoreStatus.SepLoadFailed));
    if (sep) return sep;
  }
  return { ok: true, digests };
}

/** BuildIdentityDict: the identity of the firmware being restored (same UniqueBuildID, same manifest digests). */
export function checkBuildIdentityDict(answer: PlistDict, identity: BuildIdentity, variant: string): AnswerVerdict {
  const sent = answer.BuildIdentityDict;
  if (!isPlistDict(sent)) return fail(RestoreStatus.Fail, 'BuildIdentityDict is missing');
  if (!sameBytes(sent.UniqueBuildID as Uint8Array | undefined, identity.uniqueBuildId ?? undefined))
    return fail(RestoreStatus.Fail, 'BuildIdentityDict is another build’s identity');
  if (answer.Variant !== variant)
    return fail(RestoreStatus.Fail, `Variant is ${JSON.stringify(answer.Variant)}, the phone asked for ${variant}`);
  return manifestMatches(sent.Manifest, identity, 'BuildIdentityDict');
}

/** ReceiptManifest: the identity's Manifest dict. */
export function checkReceiptManifest(answer: PlistDict, identity: BuildIdentity): AnswerVerdict {
  return manifestMatches(answer.ReceiptManifest, identity, 'ReceiptManifest');
}

function manifestMatches(manifest: PlistValue | undefined, identity: BuildIdentity, what: string): AnswerVerdict {
  if (!isPlistDict(manifest)) return fail(RestoreStatus.Fail, `${what} has no Manifest`);
  for (const component of identity.components) {
    if (!component.digest) continue;
    const entry = manifest[component.name];
    if (!isPlistDict(entry) || !sameBytes(entry.Digest as Uint8Array | undefined, component.digest)) {
      return fail(RestoreStatus.Fail, `${what}: ${component.name} does not match the firmware being restored`);
    }
  }
  return { ok: true, digests: {} };
}
