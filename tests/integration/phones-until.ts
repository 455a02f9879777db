import type { Phone } from '../../common/phone';
import type { PhoneRegistry } from '../../main/devices/phone-registry';

/** Resolves with the registry's list once `check` accepts it; the registry's own change events drive the wait. */
export function phonesUntil(registry: PhoneRegistry, check: (phones: Phone[]) => boolean): Promise<Phone[]> {
  return new Promise((resolve) => {
    const test = (): void => {
      const phones = registry.list();
      if (!check(phones)) return;
      off();
      resolve(phones);
    };
    const off = registry.onChange(test);
    test();
  });
}
