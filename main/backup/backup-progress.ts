import type { Progress } from '../../common/contract/shapes';

export type BackupPhase = 'connecting' | 'passcode' | 'preparing' | 'receiving' | 'verifying' | 'saving';

const PHASE_MESSAGES: Readonly<Record<BackupPhase, string>> = {
  connecting: 'Connecting to the phone…',
  passcode: 'Enter the passcode on the phone to allow the backup',
  preparing: 'Preparing the backup folder…',
  receiving: 'Copying from the phone…',
  verifying: 'Checking the backup…',
  saving: 'Saving the backup…',
};

const TO_PHONE_MESSAGES: Partial<Record<BackupPhase, string>> = {
  passcode: 'Enter the passcode on the phone to allow the restore',
  preparing: 'Checking the backup…',
  verifying: 'The phone is finishing the restore…',
  saving: 'The phone is finishing the restore…',
};

/** Smoothing of the speed: weight of the newest sample. */
const SPEED_ALPHA = 0.2;
const SAMPLE_MS = 250;
const EMIT_MS = 100;

/**
 * Turns raw counters (bytes received, the phone's percentage and announced total) into the one
 * Progress record: phase, fraction, bytes, files, smoothed speed and ETA, at most ~10 per second.
 */
export class BackupProgress {
  private phase: BackupPhase = 'connecting';
  private bytesDone = 0;
  private bytesTotal: number | undefined;
  private percent: number | undefined;
  private filesDone = 0;
  private speed: number | undefined;
  private lastSample = { at: 0, bytes: 0 };
  private lastEmit = 0;

  constructor(
    private readonly emit: (progress: Omit<Progress, 'job'>) => void,
    private readonly now: () => number = () => Date.now(),
    /** 'to-phone' for a restore: the same counters, worded for bytes going onto the phone. */
    private readonly direction: 'from-phone' | 'to-phone' = 'from-phone',
  ) {}

  setPhase(phase: BackupPhase): void {
    if (phase === this.phase) return;
    this.phase = phase;
    if (phase === 'receiving') this.lastSample = { at: this.now(), bytes: this.bytesDone };
    this.publish(true);
  }

  get currentPhase(): BackupPhase {
    return this.phase;
  }

  addBytes(bytes: number): void {
    this.bytesDone += bytes;
    this.publish(false);
  }

  setFiles(files: number): void {
    this.filesDone = files;
  }

  devicePercent(percent: number | undefined, bytesTotal: number | undefined): void {
    if (percent !== undefined) this.percent = percent;
    if (bytesTotal !== undefined && bytesTotal > 0) this.bytesTotal = bytesTotal;
    this.publish(false);
  }

  get received(): number {
    return this.bytesDone;
  }

  /** Publishes now (phase changes) or when the rate limit allows. */
  publish(force: boolean): void {
    const now = this.now();
    if (now - this.lastSample.at >= SAMPLE_MS && this.phase === 'receiving') {
      const rate = ((this.bytesDone - this.lastSample.bytes) * 1000) / (now - this.lastSample.at);
      this.speed = this.speed === undefined ? rate : SPEED_ALPHA * rate + (1 - SPEED_ALPHA) * this.speed;
      this.lastSample = { at: now, bytes: this.bytesDone };
    }
    if (!force && now - this.lastEmit < EMIT_MS) return;
    this.lastEmit = now;
    this.emit(this.snapshot());
  }

  snapshot(): Omit<Progress, 'job'> {
    const progress: Omit<Progress, 'job'> = {
      phase: this.phase,
      fraction: this.fraction(),
      message: this.message(),
      bytesDone: this.bytesDone,
      filesDone: this.filesDone,
    };
    if (this.bytesTotal !== undefined) progress.bytesTotal = Math.max(this.bytesTotal, this.bytesDone);
    if (this.phase === 'receiving' && this.speed !== undefined) {
      progress.bytesPerSecond = Math.max(0, this.speed);
      if (this.bytesTotal !== undefined && this.speed > 1)
        progress.etaSeconds = Math.max(0, (this.bytesTotal - this.bytesDone) / this.speed);
    }
    return progress;
  }

  private fraction(): number | null {
    switch (this.phase) {
      case 'receiving': {
        if (this.bytesTotal !== undefined) return Math.min(0.99, this.bytesDone / this.bytesTotal);
        return this.percent !== undefined ? Math.min(0.99, this.percent / 100) : null;
      }
      case 'verifying':
      case 'saving':
        return 0.99;
      default:
        return null;
    }
  }

  private message(): string {
    const toPhone = this.direction === 'to-phone';
    if (this.phase !== 'receiving') return (toPhone ? TO_PHONE_MESSAGES[this.phase] : undefined) ?? PHASE_MESSAGES[this.phase];
    const mb = (this.bytesDone / 1e6).toFixed(1);
    return `${toPhone ? 'Copying to the phone…' : 'Copying from the phone…'} ${this.filesDone} files, ${mb} MB`;
  }
}
