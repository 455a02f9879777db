/** Where the person is in the app. Each screen adds its own route here and a case in screens/screen-router.tsx. */
export type Route =
  | { screen: 'connect' }
  /** The coach: phoneId null = ask which phone; intent 'exit' starts "Exit recovery mode" at once. */
  | { screen: 'coach'; phoneId: string | null; intent?: 'enter' | 'exit' }
  /** Firmware for one phone: catalog, download progress + cancel, local .ipsw. */
  | { screen: 'firmware'; phoneId: string }
  /** A backup of one phone: job null = not started yet. */
  | { screen: 'backup'; phoneId: string; job: string | null }
  /** Erase or update one phone: job null = choosing and confirming; then its stages and the result. */
  | { screen: 'restore'; phoneId: string; job: string | null };

export const HOME: Route = { screen: 'connect' };
