/**
 * The one udev rule that lets the person at a Linux computer open phones in DFU, WTF and recovery mode
 * (docs/protocols/irecv.md#host-access-per-os): the `.deb` installs it (assets/packaging/linux/, electron-builder.yml),
 * other installs are told to create it. The uaccess tag only counts when it is set before systemd's
 * 73-seat-late.rules applies it, so the file's number must sort below 73.
 */
export const LINUX_UDEV_RULE_FILE = '60-lifeline-iphone.rules';

/** Where the `.deb` puts it. */
export const LINUX_UDEV_RULE_PACKAGED_PATH = `/usr/lib/udev/rules.d/${LINUX_UDEV_RULE_FILE}`;

/** Where a person creates it by hand (a file of the same name here overrides the packaged one). */
export const LINUX_UDEV_RULE_LOCAL_PATH = `/etc/udev/rules.d/${LINUX_UDEV_RULE_FILE}`;

/** The rule's line for DFU 1227, WTF 1222 and recovery 1280–1283, which usbmuxd's own rules never cover. */
export const LINUX_UDEV_RULE_LINE = 'SUBSYSTEM=="usb", ATTR{idVendor}=="05ac", ATTR{idProduct}=="122[27]|128[0-3]", TAG+="uaccess"';

/** What to do when Linux refuses Lifeline the phone. */
export const LINUX_UDEV_FIX =
  `Linux needs a udev rule before Lifeline may talk to iPhones in recovery or DFU mode. Lifeline’s .deb installs ${LINUX_UDEV_RULE_PACKAGED_PATH}; ` +
  `otherwise create ${LINUX_UDEV_RULE_LOCAL_PATH} containing the line ${LINUX_UDEV_RULE_LINE} ` +
  'then run "sudo udevadm control --reload-rules", and unplug and reconnect the iPhone.';
