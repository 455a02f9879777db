// The layers of docs/ARCHITECTURE.md as rules. Lowest first:
//   common ← protocols ← domains ← engine ← transports ← app / cli / dev-web
// main/sim (the virtual iPhone) sits beside them: only tests, dev tools and the practice host's lazy import() reach it.
const PROTOCOLS =
  '^main/(log|wire|plist|net|usb|usbip|usbmux|lockdown|afc|devicelink|notification-proxy|irecv|ipsw|img4|tss|baseband|fdr|restored|asr)/';
const DOMAINS = '^main/(devices|coach|backup|firmware|restore|journey|diagnostics)/';
const ENGINE = '^main/(engine|rescue)/';
const TRANSPORTS = '^main/transport/';
const SHELLS = '^main/(app|cli)/|^main/(cli|dev-web)\\.ts$';
const SIM = '^main/sim/';

// Within a layer, each library or domain may import only those listed before it, so folders never form a cycle.
const PROTOCOL_ORDER = [
  'log',
  'wire',
  'plist',
  'net',
  'usb',
  'usbip',
  'usbmux',
  'lockdown',
  'afc',
  'devicelink',
  'notification-proxy',
  'irecv',
  'ipsw',
  'img4',
  'tss',
  'baseband',
  'fdr',
  'restored',
  'asr',
];
const DOMAIN_ORDER = ['devices', 'firmware', 'coach', 'backup', 'restore', 'journey', 'diagnostics'];
const orderRules = (kind, order) =>
  order.slice(0, -1).map((name, index) => ({
    name: `${kind}-order-${name}`,
    severity: 'error',
    comment: `main/${name}/ may import only the ${kind} listed before it (${order.join(' < ')}).`,
    from: { path: `^main/${name}/` },
    to: { path: `^main/(${order.slice(index + 1).join('|')})/` },
  }));

const layer = (name, from, forbidden, comment) => ({
  name,
  severity: 'error',
  comment,
  from: { path: from },
  to: { path: forbidden },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No cycles of any kind, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    ...orderRules('protocols', PROTOCOL_ORDER),
    ...orderRules('domains', DOMAIN_ORDER),
    layer('common-is-the-floor', '^common/', '^(main|renderer|preload)/', 'common/ is pure data and types: it imports nothing above it.'),
    layer(
      'protocols-stay-low',
      PROTOCOLS,
      `${DOMAINS}|${ENGINE}|${TRANSPORTS}|${SHELLS}|${SIM}`,
      'Protocol libraries know nothing of domains, jobs, transports or the simulator.',
    ),
    layer(
      'domains-below-the-engine',
      DOMAINS,
      `${ENGINE}|${TRANSPORTS}|${SHELLS}|${SIM}`,
      'Domains never import the engine, a transport, a shell or the simulator.',
    ),
    layer('engine-below-transports', ENGINE, `${TRANSPORTS}|${SHELLS}`, 'The engine is served by transports; it never imports one.'),
    layer('transports-below-shells', TRANSPORTS, `${SHELLS}|${SIM}`, 'Transports never import the shells or the simulator.'),
    {
      name: 'sim-only-lazily',
      severity: 'error',
      comment:
        'Outside tests and dev tools the simulator is reached only by a lazy import() behind --demo, so it is never in the production bundle.',
      from: { path: '^(main|common|renderer|preload)/', pathNot: `${SIM}|^main/dev-web\\.ts$` },
      to: { path: SIM, dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'sim-is-not-a-library',
      severity: 'error',
      comment: 'The virtual iPhone may use protocol libraries and domain codecs, never the engine or anything above it.',
      from: { path: SIM },
      to: { path: `${ENGINE}|${TRANSPORTS}|${SHELLS}` },
    },
    {
      name: 'renderer-talks-to-the-contract',
      severity: 'error',
      comment: 'The renderer imports only common/ and its own files.',
      from: { path: '^renderer/' },
      to: { path: '^(main|preload)/' },
    },
    {
      name: 'electron-only-in-app',
      severity: 'error',
      comment: 'Only main/app/ (and the preload) may import electron.',
      from: { path: '^(main|common|renderer)/', pathNot: '^main/app/' },
      to: { path: '^electron$|node_modules/electron/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(main|common|renderer|preload)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
    },
  },
};
