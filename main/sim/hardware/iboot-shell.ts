/**
 * The simulated iBoot command line reached over USB control transfers in recovery (docs/protocols/irecv.md#iboot-commands):
 * setenv / getenv / saveenv / reboot (reset), getret; anything else is answered "not found", never a crash.
 */

const MAX_ENV_VARIABLES = 128;
const MAX_TRANSCRIPT = 256;

export interface IBootHost {
  /** Persist the working environment to NVRAM. */
  saveenv(env: ReadonlyMap<string, string>): void;
  /** Restart the phone (after the current control transfer has completed). */
  reboot(): void;
  /** Told about every command line received (tests, demo UI). */
  command?(line: string): void;
  /** Boot-chain verbs (go, setpicture, firmware, ramdisk, devicetree, rsepfirmware, bootx…); undefined = not handled. */
  boot?(verb: string, args: string): IBootResult | undefined;
}

export type IBootResult = { ok: boolean; output: string };

/** Variables a fresh iBoot shows besides what NVRAM holds. */
export const IBOOT_DEFAULT_ENV: ReadonlyMap<string, string> = new Map([
  ['auto-boot', 'true'],
  ['boot-args', ''],
  ['build-style', 'RELEASE'],
  ['build-version', 'iBoot-7429.62.1'],
  ['boot-stage', '1'],
  ['idle-off', 'true'],
]);

export class IBootShell {
  readonly #env: Map<string, string>;
  readonly #host: IBootHost;
  #response: Buffer = Buffer.from([0]);
  #ret = 0;
  readonly #transcript: string[] = [];

  constructor(nvram: ReadonlyMap<string, string>, host: IBootHost, stageEnv: ReadonlyMap<string, string> = new Map()) {
    // Stage facts (boot-stage, build-version) describe the running iBoot, so they win over saved NVRAM.
    this.#env = new Map([...IBOOT_DEFAULT_ENV, ...nvram, ...stageEnv]);
    this.#host = host;
  }

  /** Commands received so far (bounded), for tests that assert on what the host sent. */
  get transcript(): readonly string[] {
    return this.#transcript;
  }

  getenv(name: string): string | undefined {
    return this.#env.get(name);
  }

  /** Bytes the next vendor IN request (0xC0) returns: the last getenv value, NUL-terminated. */
  response(): Buffer {
    return this.#response;
  }

  run(commandLine: string): IBootResult {
    if (this.#transcript.length >= MAX_TRANSCRIPT) this.#transcript.shift();
    this.#transcript.push(commandLine);
    this.#host.command?.(commandLine);
    const trimmed = commandLine.trim();
    const space = trimmed.indexOf(' ');
    const verb = space === -1 ? trimmed : trimmed.slice(0, space);
    const rest = space === -1 ? '' : trimmed.slice(space + 1).trim();
    const result = this.#dispatch(verb, rest);
    this.#ret = result.ok ? 0 : 1;
    return result;
  }

  #dispatch(verb: string, rest: string): IBootResult {
    switch (verb) {
      case 'setenv': {
        const space = rest.indexOf(' ');
        const name = space === -1 ? rest : rest.slice(0, space);
        const value = space === -1 ? '' : rest.slice(space + 1);
        if (name.length === 0) return { ok: false, output: 'usage: setenv <var> <value>' };
        if (!this.#env.has(name) && this.#env.size >= MAX_ENV_VARIABLES) return { ok: false, output: 'environment full' };
        this.#env.set(name, value);
        return { ok: true, output: '' };
      }
      case 'getenv': {
        const value = this.#env.get(rest);
        this.#response = Buffer.concat([Buffer.from(value ?? '', 'utf8'), Buffer.from([0])]);
        return value === undefined ? { ok: false, output: '' } : { ok: true, output: value };
      }
      case 'saveenv':
        this.#host.saveenv(new Map(this.#env));
        return { ok: true, output: '' };
      case 'reboot':
      case 'reset':
        this.#host.reboot();
        return { ok: true, output: '' };
      case 'getret':
        this.#response = Buffer.from([this.#ret & 0xff]);
        return { ok: true, output: '' };
      case '':
        return { ok: true, output: '' };
      default:
        return this.#host.boot?.(verb, rest) ?? { ok: false, output: `Command '${verb.slice(0, 32)}' not found` };
    }
  }
}
