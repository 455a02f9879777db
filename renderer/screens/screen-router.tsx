import { useLifeline } from '../store/use-lifeline';
import { BackupScreen } from './backup-screen';
import { CoachScreen } from './coach-screen';
import { ConnectScreen } from './connect-screen';
import { FirmwareScreen } from './firmware-screen';
import { HomeScreen } from './home-screen';
import { JourneyScreen } from './journey-screen';
import { TechnicianScreen } from './technician-screen';
import { RestoreScreen } from './restore-screen';

/** One screen at a time; every route in navigation.ts has a case here. */
export function ScreenRouter() {
  const route = useLifeline((s) => s.route);
  switch (route.screen) {
    case 'home':
      return <HomeScreen />;
    case 'journey':
      return <JourneyScreen key={route.phoneId} phoneId={route.phoneId} />;
    case 'technician':
      return <TechnicianScreen />;
    case 'connect':
      return <ConnectScreen />;
    case 'coach':
      return <CoachScreen phoneId={route.phoneId} intent={route.intent ?? 'enter'} />;
    case 'firmware':
      return <FirmwareScreen phoneId={route.phoneId} />;
    case 'backup':
      return <BackupScreen key={route.job ?? 'new'} phoneId={route.phoneId} job={route.job} />;
    case 'restore':
      return <RestoreScreen key={route.job ?? 'new'} phoneId={route.phoneId} job={route.job} />;
  }
}
