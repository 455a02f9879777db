/** A phone and its cable: the picture on the "Plug in" screen (decorative; the words say the same). */
export function PlugInDrawing() {
  return (
    <svg className="plug-in-drawing" viewBox="0 0 160 200" aria-hidden="true" focusable="false">
      <rect x="40" y="8" width="64" height="128" rx="12" className="phone-body" />
      <rect x="46" y="24" width="52" height="92" rx="4" className="phone-screen" />
      <rect x="64" y="136" width="16" height="10" rx="2" className="plug-in-connector" />
      <path d="M72 146 C72 176, 120 168, 128 196" className="plug-in-cable" />
    </svg>
  );
}
