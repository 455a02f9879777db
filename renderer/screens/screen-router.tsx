import { useLifeline } from '../store/use-lifeline';
import { ConnectScreen } from './connect-screen';

/** One screen at a time; every route in navigation.ts has a case here. */
export function ScreenRouter() {
  const route = useLifeline((s) => s.route);
  switch (route.screen) {
    case 'connect':
      return <ConnectScreen />;
  }
}
