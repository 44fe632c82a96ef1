// Contact ID (SIA DC-05) in words, for the monitoring screen.

/** The event codes the alarm reports, in words. */
export const CONTACT_ID: Record<number, string> = {
  100: 'medical',
  102: 'inactivity',
  110: 'fire',
  111: 'smoke',
  120: 'panic',
  121: 'duress',
  122: 'silent panic',
  123: 'audible panic',
  130: 'burglary',
  131: 'perimeter burglary',
  132: 'interior burglary',
  134: 'entry/exit burglary',
  137: 'tamper',
  139: 'verified burglary',
  162: 'carbon monoxide',
  374: 'exit alarm',
  381: 'supervision loss',
  384: 'low battery',
  401: 'open/close by user',
  406: 'cancel',
  441: 'armed stay',
  459: 'recent closing',
  461: 'wrong-code lockout',
  570: 'bypass',
};

/** "Panic", "Entry/exit burglary"; "Event 999" for a code without words. */
export function codeWords(code: number): string {
  const w = CONTACT_ID[code];
  return w ? w.charAt(0).toUpperCase() + w.slice(1) : `Event ${code}`;
}

/** The duress signal: a code entered under threat. Only monitoring (and admins) may see it. */
export const DURESS = 121;

/** The Contact ID qualifier: 1 new event, 3 restore, 6 status. */
export function qualifierWords(q: number): string {
  return q === 3 ? 'Restore' : q === 6 ? 'Status' : q === 1 ? 'New event' : `Qualifier ${q}`;
}

/** A report's zone: "Zone 3", or "No zone" for 000. */
export function zoneWords(zone: number): string {
  return zone > 0 ? `Zone ${zone}` : 'No zone';
}
