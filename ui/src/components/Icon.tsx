// Small inline SVG icons (no emoji font needed). Always decorative: the text
// next to them carries the meaning.
const PATHS = {
  lock: 'M7 11V8a5 5 0 0 1 10 0v3M5 11h14v10H5zM12 15v2',
  unlock: 'M7 11V8a5 5 0 0 1 9.6-2M5 11h14v10H5zM12 15v2',
  motion: 'M13 4a1.5 1.5 0 1 0 0 .1M10 21l2-6 3 3v3M8 12l2-4h4l2 4 3 1M12 8l-1 7',
  thermostat: 'M10 14V5a2 2 0 0 1 4 0v9a4 4 0 1 1-4 0zM12 10v7',
  door: 'M6 21V3h12v18M3 21h18M14 12h.01',
  camera: 'M3 7h4l2-3h6l2 3h4v12H3zM12 16a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z',
  glass_break: 'M4 4h16v16H4zM12 4l-2 6 4 2-3 8M4 12l6-2M20 9l-6 3',
  smoke: 'M12 3c1 4 6 6 6 11a6 6 0 0 1-12 0c0-3 2-4 3-7 1 2 2 3 3 3 0-2-1-4 0-7z',
  shield: 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z',
  shield_off: 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6zM4 4l16 16',
  timer: 'M12 13m-8 0a8 8 0 1 0 16 0 8 8 0 1 0-16 0M12 13V9M10 2h4',
  battery: 'M3 8h16v8H3zM21 11v2M6 11v2M9 11v2M12 11v2',
  battery_low: 'M3 8h16v8H3zM21 11v2M6 11v2',
  alert: 'M12 3l10 18H2zM12 10v5M12 18h.01',
  check: 'M4 12l5 5L20 6',
  cross: 'M6 6l12 12M18 6L6 18',
  question: 'M9 9a3 3 0 1 1 4 2.8c-.8.4-1 1-1 2.2M12 18h.01',
  online: 'M12 12m-5 0a5 5 0 1 0 10 0 5 5 0 1 0-10 0',
  offline: 'M12 12m-5 0a5 5 0 1 0 10 0 5 5 0 1 0-10 0M5 19L19 5',
  record: 'M12 12m-6 0a6 6 0 1 0 12 0 6 6 0 1 0-12 0',
  pause: 'M9 6v12M15 6v12',
  open: 'M6 21V3h8v18M14 4l5 2v13l-5 2M3 21h18',
  closed: 'M6 21V3h12v18M3 21h18M14 12h.01',
  idle: 'M12 12m-7 0a7 7 0 1 0 14 0 7 7 0 1 0-14 0',
  bell: 'M6 16V11a6 6 0 0 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0',
  play: 'M7 5l12 7-12 7z',
  stop: 'M6 6h12v12H6z',
  wrench: 'M14.7 6.3a4 4 0 0 0-5.4 5.4L3 18l3 3 6.3-6.3a4 4 0 0 0 5.4-5.4l-2.5 2.5-2.4-.6-.6-2.4z',
  scale: 'M12 3v17M7 20h10M5 7h14M5 7l-3 6h6zM19 7l-3 6h6z',
  signal: 'M12 12h.01M8.5 8.5a5 5 0 0 0 0 7M15.5 8.5a5 5 0 0 1 0 7M5.6 5.6a9 9 0 0 0 0 12.8M18.4 5.6a9 9 0 0 1 0 12.8',
  arrow: 'M4 12h16M14 6l6 6-6 6',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  external: 'M14 4h6v6M20 4l-9 9M18 14v6H4V6h6',
} as const;

export type IconName = keyof typeof PATHS;

const FILLED: Partial<Record<IconName, true>> = { online: true, record: true, play: true, stop: true };

export function Icon({ name, className = '' }: { name: IconName; className?: string }) {
  return (
    <svg
      className={`icon ${className}`}
      viewBox="0 0 24 24"
      width="1em"
      height="1em"
      aria-hidden="true"
      focusable="false"
      fill={FILLED[name] ? 'currentColor' : 'none'}
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
