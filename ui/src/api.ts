// The one typed client of the HomeGuard API (same origin).

export type Role = 'user' | 'admin';
export type DeviceType = 'lock' | 'motion' | 'thermostat' | 'door' | 'camera' | 'glass_break' | 'smoke';
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at?: string;
}

export interface LoginResponse {
  token: string;
  token_type: string;
  expires_at: string;
  expires_in: number;
  user: User;
}

export interface Device {
  device_id: string;
  user_id: string;
  name: string;
  type: DeviceType;
  model: string;
  firmware_version: string;
  location: { zone: string; floor: number };
  config: JsonObject;
  created_at: string;
  updated_at: string;
  state: JsonObject;
  online: boolean;
  last_heartbeat: string | null;
}

export interface HomeEvent {
  event_id: string;
  device_id: string;
  user_id: string;
  event_type: string;
  payload: JsonObject;
  timestamp: string;
  metadata: JsonObject;
}

export interface EventPage {
  events: HomeEvent[];
  count: number;
  next_cursor: string | null;
}

export interface DemoAccount {
  email: string;
  name: string;
  role: Role;
}

export interface Scenario {
  name: string;
  description: string;
  duration: string;
  duration_seconds: number;
  speed: number;
  steps: number;
  expectations: number;
  running: boolean;
  lacks: string[];
}

export interface VerdictCheck {
  expectation: JsonObject;
  line: number;
  status: 'pass' | 'fail' | 'unverifiable';
  evidence: string;
  needs?: string;
}

export interface ScenarioStatus {
  scenario: string;
  run_id: string;
  status: string;
  user: string;
  speed: number;
  elapsed_seconds: number;
  duration_seconds: number;
  progress: string;
  events_injected: number;
  steps_done: number;
  steps_total: number;
  devices: Record<string, { device_id: string; name: string; created: boolean }>;
  skipped: Json[];
  verdict?: {
    passed: boolean;
    passed_checks: number;
    failed_checks: number;
    unverifiable_checks: number;
    checks: VerdictCheck[];
  };
}

export interface DemoTime {
  now: string;
  wall: string;
  speed: number;
  simulated: boolean;
  offset_seconds: number;
}

export interface Readiness {
  status: string;
  checks: Record<string, string>;
}

export interface ReadingsRaw {
  points?: { time: string; value: number }[];
  buckets?: { bucket: string; count: number; avg: number; min: number; max: number }[];
}

/** An API error, from the platform's error body or from the network. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: JsonObject;
  readonly traceId?: string;
  constructor(status: number, code: string, message: string, details: JsonObject = {}, traceId?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.traceId = traceId;
  }
  /** The session is gone: the caller must log in again. */
  get isAuth(): boolean {
    return this.status === 401 && this.code !== 'INVALID_CREDENTIALS';
  }
  /** The field the error names (details.field), if any. */
  get field(): string | undefined {
    const f = this.details['field'];
    return typeof f === 'string' ? f : undefined;
  }
  get retryAfterSeconds(): number | undefined {
    const r = this.details['retry_after_seconds'];
    return typeof r === 'number' ? r : undefined;
  }
}

type Fetch = typeof fetch;

export interface ClientOptions {
  getToken: () => string | null;
  onUnauthorized?: (e: ApiError) => void;
  fetchImpl?: Fetch;
  base?: string;
}

export async function parseError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown; trace_id?: unknown } } | null)
    ?.error;
  if (err && typeof err.message === 'string') {
    return new ApiError(
      res.status,
      typeof err.code === 'string' ? err.code : 'ERROR',
      err.message,
      err.details && typeof err.details === 'object' ? (err.details as JsonObject) : {},
      typeof err.trace_id === 'string' ? err.trace_id : undefined,
    );
  }
  return new ApiError(res.status, 'HTTP_' + res.status, `The server answered ${res.status} ${res.statusText}`.trim());
}

export function createClient(opts: ClientOptions) {
  const f: Fetch = opts.fetchImpl ?? ((...a) => fetch(...a));
  const base = opts.base ?? '';

  async function request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = opts.getToken();
    if (auth && token) headers['authorization'] = `Bearer ${token}`;
    let res: Response;
    try {
      res = await f(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'Cannot reach HomeGuard. Check your connection and try again.');
    }
    if (!res.ok) {
      const e = await parseError(res);
      if (e.isAuth && auth) opts.onUnauthorized?.(e);
      throw e;
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    if (!text) return undefined as T;
    const ct = res.headers.get('content-type') ?? '';
    return (ct.includes('json') ? JSON.parse(text) : text) as T;
  }

  const q = (params: Record<string, string | number | undefined | null>) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
    const str = s.toString();
    return str ? `?${str}` : '';
  };

  return {
    request,
    demoAccounts: () => request<{ accounts: DemoAccount[]; password?: string }>('GET', '/auth/demo', undefined, false),
    login: (email: string, password: string) =>
      request<LoginResponse>('POST', '/auth/login', { email, password }, false),
    logout: () => request<void>('POST', '/auth/logout'),
    me: () => request<User>('GET', '/users/me'),
    users: () => request<{ users: User[] }>('GET', '/users'),
    devices: (params: { user_id?: string; type?: string } = {}) =>
      request<{ devices: Device[] }>('GET', '/devices' + q(params)),
    device: (id: string) => request<Device>('GET', `/devices/${encodeURIComponent(id)}`),
    patchDevice: (id: string, patch: Partial<Pick<Device, 'name' | 'model' | 'firmware_version' | 'location'>> & {
      config?: JsonObject;
    }) => request<Device>('PATCH', `/devices/${encodeURIComponent(id)}`, patch),
    issueKey: (id: string) =>
      request<{ device_id: string; device_key: string }>('POST', `/devices/${encodeURIComponent(id)}/key`),
    command: (id: string, command: string, parameters: JsonObject = {}) =>
      request<{ command_id: string; device_id: string; command: string; status: string }>(
        'POST',
        `/devices/${encodeURIComponent(id)}/command`,
        { command, parameters },
      ),
    events: (params: {
      device_id?: string;
      event_type?: string;
      from?: string;
      to?: string;
      limit?: number;
      cursor?: string | null;
      user_id?: string;
    } = {}) => request<EventPage>('GET', '/events' + q(params)),
    readings: (id: string, params: { type: string; from?: string; to?: string; resolution?: 'raw' | 'hour' }) =>
      request<ReadingsRaw>('GET', `/devices/${encodeURIComponent(id)}/readings` + q(params)),
    scenarios: () => request<{ scenarios: Scenario[] }>('GET', '/demo/scenarios'),
    startScenario: (name: string, body: { user?: string; speed?: number }) =>
      request<ScenarioStatus>('POST', `/demo/scenarios/${encodeURIComponent(name)}/start`, body),
    stopScenario: (name: string) =>
      request<ScenarioStatus>('POST', `/demo/scenarios/${encodeURIComponent(name)}/stop`),
    scenarioStatus: (name: string) =>
      request<ScenarioStatus>('GET', `/demo/scenarios/${encodeURIComponent(name)}/status`),
    demoTime: () => request<DemoTime>('GET', '/demo/time'),
    setDemoTime: (body: { time?: string; advance?: string; reset?: boolean; speed?: number }) =>
      request<DemoTime>('POST', '/demo/time', body),
    readiness: async (): Promise<Readiness> => {
      try {
        return await request<Readiness>('GET', '/health/readiness', undefined, false);
      } catch (e) {
        if (e instanceof ApiError && e.status === 503) return { status: 'not ready', checks: e.details as Record<string, string> };
        throw e;
      }
    },
    metrics: () => request<string>('GET', '/metrics', undefined, false),
  };
}

export type Client = ReturnType<typeof createClient>;

/** Words for an error, for the user. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'RATE_LIMITED' && e.retryAfterSeconds !== undefined) {
      return `${e.message.replace(/;?\s*try again in \d+ ?s\.?$/i, '')}. Try again in ${e.retryAfterSeconds} s.`.replace(
        /\.\./g,
        '.',
      );
    }
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}

/** Prometheus text to samples. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]!] = lm[2]!;
    }
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}
