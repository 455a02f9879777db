import { useEffect, useState } from 'react';

/** True while this window has lost focus (until it gets focus again). */
export function useWindowInBackground(): boolean {
  const [background, setBackground] = useState(false);
  useEffect(() => {
    const onBlur = (): void => setBackground(true);
    const onFocus = (): void => setBackground(false);
    window.addEventListener('blur', onBlur);
    window.addEventListener('focus', onFocus);
    return () => {
      window.removeEventListener('blur', onBlur);
      window.removeEventListener('focus', onFocus);
    };
  }, []);
  return background;
}
