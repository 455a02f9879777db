import type { PracticeAction, PracticeButton } from '../../common/api';
import { ProblemError } from '../../common/api';
import { ecidKey } from '../devices/phone-views';
import type { PracticeControls } from '../../common/api';
import type { VirtualIphone } from './virtual-iphone';

/** Practice mode's hands: what a person would do to the phone, done to a virtual one. */
export function practiceControls(phones: () => readonly VirtualIphone[]): PracticeControls {
  return {
    phones: async () =>
      phones().map((phone) => ({
        id: ecidKey(phone.identity.ecid),
        name: `${phone.model.name} — “${phone.scenario.deviceName}”`,
        plugged: phone.hardware.plugged,
        buttons: phone.hardware.availableButtons.map((button) => ({ button, label: phone.hardware.buttonLabel(button) })),
        pressed: phone.hardware.pressedButtons,
        screen: phone.hardware.screen,
        timeFactor: phone.hardware.timeFactor,
      })),
    async act(phoneId: string, action: PracticeAction) {
      const phone = find(phoneId);
      switch (action) {
        case 'plug':
          phone.hardware.plug();
          break;
        case 'unplug':
          phone.hardware.unplug();
          break;
        case 'enter-recovery':
          phone.hardware.enterRecovery();
          break;
        case 'restart':
          phone.hardware.reboot();
          break;
        case 'enter-passcode':
          phone.enterPasscode();
          break;
        case 'tap-trust':
          phone.answerTrustDialog('accept');
          break;
        case 'tap-dont-trust':
          phone.answerTrustDialog('deny');
          break;
        case 'choose-restore-from-computer':
          phone.chooseRestoreFromComputer();
          break;
      }
    },
    async button(phoneId: string, button: PracticeButton, down: boolean) {
      const phone = find(phoneId);
      const accepted = down ? phone.hardware.press(button) : phone.hardware.release(button);
      return { accepted, pressed: phone.hardware.pressedButtons };
    },
  };

  function find(phoneId: string): VirtualIphone {
    const phone = phones().find((p) => ecidKey(p.identity.ecid) === phoneId || p.udid === phoneId);
    if (!phone) {
      throw new ProblemError('no-such-practice-phone', { phoneId });
    }
    return phone;
  }
}
