import type { PhoneModel } from '../../common/phone';

const FAMILY_WORDS: Record<NonNullable<PhoneModel['buttons']>, string> = {
  home: 'Buttons you will use: Home and the side (or top) button',
  'volume-down-side': 'Buttons you will use: volume down and the side button',
  'volume-side': 'Buttons you will use: volume up, volume down and the side button',
};

export function buttonFamilyWords(buttons: PhoneModel['buttons']): string {
  return buttons ? FAMILY_WORDS[buttons] : 'Buttons not known for this model';
}

/** A simple outline of the user's phone family: which buttons it has and where. Decorative: the words carry the meaning. */
export function PhoneDrawing({ buttons }: { buttons: PhoneModel['buttons'] }) {
  const hasHome = buttons === 'home';
  const volumeOnLeft = buttons !== null;
  return (
    <svg className="phone-drawing" viewBox="0 0 60 110" width="60" height="110" aria-hidden="true" focusable="false">
      <rect x="8" y="4" width="44" height="102" rx={hasHome ? 8 : 11} className="phone-body" />
      <rect x="12" y={hasHome ? 16 : 9} width="36" height={hasHome ? 74 : 92} rx={hasHome ? 2 : 8} className="phone-screen" />
      {hasHome && <circle cx="30" cy="97" r="5" className="phone-button" />}
      {volumeOnLeft && (
        <>
          <rect x="4" y="30" width="4" height="12" rx="1" className="phone-button" />
          <rect x="4" y="46" width="4" height="12" rx="1" className="phone-button" />
        </>
      )}
      <rect x="52" y="34" width="4" height="16" rx="1" className="phone-button" />
    </svg>
  );
}
