/** Where the person is in the app. Each screen adds its own route here and a case in screens/screen-router.tsx. */
export type Route =
  /** The first screen: each phone with its one next step (or "Plug in" when there is none). */
  | { screen: 'home' }
  /** One phone's rescue journey: one screen per journey state. */
  | { screen: 'journey'; phoneId: string }
  /** Several phones side by side: a row per phone. */
  | { screen: 'technician' }
  /** Every phone's details and the separate tools (backup, coach, firmware). */
  | { screen: 'connect' }
  /** The coach: phoneId null = ask which phone; intent 'exit' starts "Exit recovery mode" at once. */
  | { screen: 'coach'; phoneId: string | null; intent?: 'enter' | 'exit' }
  /** Firmware for one phone: catalog, download progress + cancel, local .ipsw. */
  | { screen: 'firmware'; phoneId: string }
  /** A backup of one phone: job null = not started yet. */
  | { screen: 'backup'; phoneId: string; job: string | null }
  /** Erase or update one phone: job null = choosing and confirming; then its stages and the result. */
  | { screen: 'restore'; phoneId: string; job: string | null };

export const HOME: Route = { screen: 'home' };
export const TOOLS: Route = { screen: 'connect' };
