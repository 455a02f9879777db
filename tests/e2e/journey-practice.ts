import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import type { JourneySnapshot, JourneyState, LifelineApi, PracticePhone } from '../../common/api';

/** Helpers of the journey specs: the screen's state, axe in both themes, the practice phones by name. */

export const screenState = (page: Page) => page.locator('.journey-layout[data-state]');

/** Waits until the journey screen shows `state` (the engine may take a while on a busy machine). */
export async function onScreen(page: Page, state: JourneyState | RegExp, timeout = 120_000): Promise<void> {
  await expect(screenState(page)).toHaveAttribute('data-state', state, { timeout });
}

/** axe finds nothing on the page as it is now, in each colour scheme asked for (light last, where the page stays). */
export async function expectAccessible(
  page: Page,
  label: string,
  schemes: readonly ('light' | 'dark')[] = ['dark', 'light'],
): Promise<void> {
  for (const colorScheme of schemes) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    const found = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(found, `${label} (${colorScheme})`).toEqual([]);
  }
}

/**
 * Opens a phone's journey from the first screen through the technician's table, whose name buttons only open (a
 * card's one button acts, and may change under the pointer as the journey moves on).
 */
export async function openJourney(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'All phones in a table' }).click({ timeout: 60_000 });
  await page.getByRole('table').getByRole('button', { name, exact: true }).click({ timeout: 60_000 });
  await expect(page.getByRole('banner', { name: 'This phone' })).toContainText(name);
}

/** The practice phone (the virtual phone's own id, for practice.act) whose name holds `name`. */
export async function practicePhoneNamed(api: LifelineApi, name: string): Promise<PracticePhone> {
  const phones = await api.invoke('practice.phones', {});
  const phone = phones.find((p) => p.name.includes(name));
  if (!phone) throw new Error(`no practice phone named ${name} in ${phones.map((p) => p.name).join(', ')}`);
  return phone;
}

/** The first journey.changed of the phone named `name` for which `match` holds (or the current one). */
export function journeyWhen(api: LifelineApi, name: string, match: (snapshot: JourneySnapshot) => boolean): Promise<JourneySnapshot> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const check = (snapshot: JourneySnapshot): void => {
      if (settled || snapshot.name !== name || !match(snapshot)) return;
      settled = true;
      off();
      resolve(snapshot);
    };
    const off = api.on('journey.changed', check);
    api.invoke('journey.list', {}).then((journeys) => journeys.forEach(check), reject);
  });
}

/** Every state the phone's journey went through while the spec watched, in order. */
export function journeyStates(api: LifelineApi, name: string): { states: JourneyState[]; snapshots: JourneySnapshot[]; stop(): void } {
  const states: JourneyState[] = [];
  const snapshots: JourneySnapshot[] = [];
  const stop = api.on('journey.changed', (snapshot) => {
    if (snapshot.name !== name) return;
    snapshots.push(snapshot);
    if (states.at(-1) !== snapshot.state) states.push(snapshot.state);
  });
  return { states, snapshots, stop };
}
