import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Device } from '../api';
import { errorText } from '../api';
import { useApi } from '../session';

type Series = { xs: number[]; ys: number[]; label: string; unit: string };

/** Hourly event counts over the last `hours` hours (bucket starts in seconds). */
export function hourlyCounts(timestamps: string[], nowMs: number, hours = 24): { xs: number[]; ys: number[] } {
  const hour = 3600_000;
  const end = Math.floor(nowMs / hour) * hour;
  const start = end - (hours - 1) * hour;
  const ys = new Array<number>(hours).fill(0);
  for (const t of timestamps) {
    const ms = Date.parse(t);
    if (Number.isNaN(ms) || ms < start) continue;
    const i = Math.floor((ms - start) / hour);
    if (i >= 0 && i < hours) ys[i] = (ys[i] ?? 0) + 1;
  }
  return { xs: ys.map((_, i) => (start + i * hour) / 1000), ys };
}

export default function Chart({ device }: { device: Device }) {
  const api = useApi();
  const [data, setData] = useState<Series | null>(null);
  const [error, setError] = useState<unknown>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let live = true;
    const now = Date.now();
    (async () => {
      if (device.type === 'thermostat') {
        const from = new Date(now - 6 * 3600_000).toISOString();
        const r = await api.readings(device.device_id, { type: 'temperature', from, to: new Date(now).toISOString(), resolution: 'raw' });
        const pts = r.points ?? [];
        return { xs: pts.map((p) => Date.parse(p.time) / 1000), ys: pts.map((p) => p.value), label: 'Temperature', unit: '°F' };
      }
      const from = new Date(now - 24 * 3600_000).toISOString();
      const page = await api.events({ device_id: device.device_id, from, limit: 500 });
      const h = hourlyCounts(page.events.map((e) => e.timestamp), now);
      return { ...h, label: 'Events', unit: '' };
    })()
      .then((s) => live && setData(s))
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [api, device.device_id, device.type]);

  useEffect(() => {
    if (!data || !box.current || data.xs.length === 0) return;
    const el = box.current;
    const width = Math.max(260, el.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 200,
        series: [
          {},
          {
            label: data.label,
            stroke: '#0b5cad',
            width: 2,
            fill: device.type === 'thermostat' ? undefined : 'rgba(11,92,173,0.15)',
            paths: device.type === 'thermostat' ? undefined : uPlot.paths.bars?.({ size: [0.8, 40] }),
            value: (_u, v) => (v == null ? '-' : `${v}${data.unit}`),
          },
        ],
        axes: [{ stroke: '#333' }, { stroke: '#333' }],
        legend: { show: true },
      },
      [data.xs, data.ys],
      el,
    );
    const onResize = () => plot.setSize({ width: Math.max(260, el.clientWidth), height: 200 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [data, device.type]);

  if (error) return <p className="note note-error">{errorText(error)}</p>;
  if (!data) return <p className="muted">Loading chart…</p>;
  const summary =
    data.ys.length === 0
      ? 'No readings in this period yet.'
      : device.type === 'thermostat'
        ? `${data.ys.length} readings, from ${Math.min(...data.ys)}°F to ${Math.max(...data.ys)}°F, latest ${data.ys[data.ys.length - 1]}°F.`
        : `${data.ys.reduce((a, b) => a + b, 0)} events in the last 24 hours, at most ${Math.max(...data.ys)} in one hour.`;
  return (
    <figure className="chart">
      <div ref={box} className="chart-box" role="img" aria-label={summary} />
      <figcaption>{summary}</figcaption>
    </figure>
  );
}
