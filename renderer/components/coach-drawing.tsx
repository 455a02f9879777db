import type { CoachButton, CoachPlan } from '../../common/coach-plans';

type ButtonState = 'idle' | 'ready' | 'hold';

/** Where each button sits on the front-view outline (volume left, Side right or power on top, Home below the screen). */
function shapeOf(
  button: CoachButton,
  plan: Pick<CoachPlan, 'powerButtonAt'>,
): { x: number; y: number; w: number; h: number; rx: number; lx: number; ly: number; anchor: 'start' | 'end' | 'middle' } {
  switch (button) {
    case 'volumeUp':
      return { x: 54, y: 62, w: 6, h: 24, rx: 2, lx: 48, ly: 78, anchor: 'end' };
    case 'volumeDown':
      return { x: 54, y: 92, w: 6, h: 24, rx: 2, lx: 48, ly: 108, anchor: 'end' };
    case 'home':
      return { x: 90, y: 186, w: 20, h: 20, rx: 10, lx: 100, ly: 228, anchor: 'middle' };
    case 'power':
      return plan.powerButtonAt === 'side'
        ? { x: 140, y: 70, w: 6, h: 34, rx: 2, lx: 152, ly: 91, anchor: 'start' }
        : { x: 112, y: 14, w: 24, h: 6, rx: 2, lx: 124, ly: 9, anchor: 'middle' };
  }
}

/**
 * The user's model family drawn with the buttons to press highlighted (R1, R13: colour-coded active button).
 * The label says the same in words, so the drawing is never the only carrier of meaning.
 */
export function CoachDrawing({
  plan,
  hold,
  ready,
}: {
  plan: Pick<CoachPlan, 'buttonNames' | 'powerButtonAt' | 'hasHomeButton' | 'modelName'>;
  hold: CoachButton[];
  ready: CoachButton[];
}) {
  const buttons = (Object.keys(plan.buttonNames) as CoachButton[]).filter((b) => b !== 'home' || plan.hasHomeButton);
  const stateOf = (b: CoachButton): ButtonState => (hold.includes(b) ? 'hold' : ready.includes(b) ? 'ready' : 'idle');
  const names = (list: CoachButton[]): string => list.map((b) => plan.buttonNames[b] ?? b).join(' and ');
  const label =
    hold.length > 0
      ? `${plan.modelName}: hold ${names(hold)}`
      : ready.length > 0
        ? `${plan.modelName}: get ready on ${names(ready)}`
        : `${plan.modelName}: no button pressed`;
  const screenTop = plan.hasHomeButton ? 44 : 30;
  const screenBottom = plan.hasHomeButton ? 176 : 222;
  return (
    // The view box leaves room around the phone for the longest label ("Volume Down") on either side, so no label is clipped.
    <svg className="coach-drawing" viewBox="-80 -8 360 252" role="img" aria-label={label}>
      <rect x="60" y="20" width="80" height="214" rx={plan.hasHomeButton ? 12 : 18} className="coach-phone-body" />
      <rect
        x="66"
        y={screenTop}
        width="68"
        height={screenBottom - screenTop}
        rx={plan.hasHomeButton ? 2 : 12}
        className="coach-phone-screen"
      />
      {buttons.map((b) => {
        const s = shapeOf(b, plan);
        const state = stateOf(b);
        return (
          <g key={b} className={`coach-button coach-button-${state}`} data-button={b} data-state={state}>
            <rect x={s.x} y={s.y} width={s.w} height={s.h} rx={s.rx} />
            <text x={s.lx} y={s.ly} textAnchor={s.anchor} className="coach-button-label">
              {plan.buttonNames[b]}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
