import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { BrowserRouter, Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { Loading } from './components/ui';
import { Icon } from './components/Icon';
import { Dashboard } from './pages/Dashboard';
import { Login } from './pages/Login';
import { SessionProvider, useSession } from './session';
import { Bell, NotificationsProvider } from './notifications';
import { StreamProvider, useStream, type StreamStatus } from './stream';
import { ActiveIncidentsProvider, IncidentBanner } from './incidents';

const DeviceDetail = lazy(() => import('./pages/DeviceDetail'));
const Events = lazy(() => import('./pages/Events'));
const Demo = lazy(() => import('./pages/Demo'));
const Admin = lazy(() => import('./pages/Admin'));
const Monitoring = lazy(() => import('./pages/Monitoring'));
const HomeSettings = lazy(() => import('./pages/HomeSettings'));
const Automations = lazy(() => import('./pages/Automations'));
const Notifications = lazy(() => import('./pages/Notifications'));
const Settings = lazy(() => import('./pages/Settings'));
const Incidents = lazy(() => import('./pages/Incidents'));
const Decisions = lazy(() => import('./pages/Decisions'));
const Playbooks = lazy(() => import('./pages/Playbooks'));
const Ack = lazy(() => import('./pages/Ack'));

const TITLES: Record<string, string> = {
  '/': 'Dashboard',
  '/events': 'Events',
  '/incidents': 'Incidents',
  '/security': 'Security decisions',
  '/security/playbooks': 'Playbooks',
  '/demo': 'Demo',
  '/admin': 'Admin',
  '/admin/monitoring': 'Monitoring',
  '/home': 'Home settings',
  '/home/zones': 'Sensors',
  '/home/codes': 'Codes',
  '/home/guests': 'Guest codes',
  '/home/pets': 'Pets',
  '/home/contacts': 'Emergency contacts',
  '/home/history': 'Alarm history',
  '/automations': 'Automations',
  '/automations/new': 'New automation',
  '/notifications': 'Notifications',
  '/settings': 'Settings',
  '/login': 'Log in',
  '/ack': 'Acknowledge alarm',
};

function Title() {
  const { pathname } = useLocation();
  useEffect(() => {
    const t =
      TITLES[pathname] ??
      (pathname.startsWith('/devices/')
        ? 'Device'
        : pathname.startsWith('/incidents/')
          ? 'Incident'
          : pathname.endsWith('/runs')
            ? 'Automation history'
            : pathname.startsWith('/automations/')
              ? 'Edit automation'
              : 'HomeGuard');
    document.title = `${t} - HomeGuard`;
  }, [pathname]);
  return null;
}

const STATUS_TEXT: Record<StreamStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

function LiveIndicator() {
  const status = useStream(() => {});
  return (
    <span className={`live live-${status}`} role="status" aria-live="polite" data-testid="live-status">
      <span aria-hidden="true">{status === 'live' ? '● ' : '◌ '}</span>
      {STATUS_TEXT[status]}
    </span>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const { user, signOut } = useSession();
  const admin = user?.role === 'admin';
  return (
    <StreamProvider>
      <NotificationsProvider>
        <ActiveIncidentsProvider>
          <a className="skip" href="#main">
            Skip to content
          </a>
          <header className="top">
            <span className="brand">
              <Icon name="shield" /> HomeGuard
            </span>
            <nav aria-label="Main">
              <ul>
                <li>
                  <NavLink to="/" end>
                    Home
                  </NavLink>
                </li>
                <li>
                  <NavLink to="/events">Events</NavLink>
                </li>
                <li>
                  <NavLink to="/incidents">Incidents</NavLink>
                </li>
                <li>
                  <NavLink to="/security" end>
                    Decisions
                  </NavLink>
                </li>
                {!admin && (
                  <li>
                    <NavLink to="/security/playbooks">Playbooks</NavLink>
                  </li>
                )}
                <li>
                  <NavLink to="/home">Home settings</NavLink>
                </li>
                <li>
                  <NavLink to="/automations">Automations</NavLink>
                </li>
                <li>
                  <NavLink to="/settings">Settings</NavLink>
                </li>
                {admin && (
                  <li>
                    <NavLink to="/demo">Demo</NavLink>
                  </li>
                )}
                {admin && (
                  <li>
                    <NavLink to="/admin">Admin</NavLink>
                  </li>
                )}
              </ul>
            </nav>
            <div className="who">
              <LiveIndicator />
              <Bell />
              <span className="who-name">{user?.name}</span>
              <button type="button" className="btn btn-small" onClick={() => void signOut()}>
                Log out
              </button>
            </div>
          </header>
          <main id="main" tabIndex={-1}>
            <IncidentBanner />
            <Suspense fallback={<Loading what="screen" />}>{children}</Suspense>
          </main>
        </ActiveIncidentsProvider>
      </NotificationsProvider>
    </StreamProvider>
  );
}

function Protected({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const { user } = useSession();
  const loc = useLocation();
  if (!user) return <Navigate to="/login" replace state={{ from: loc.pathname }} />;
  if (admin && user.role !== 'admin') return <Navigate to="/" replace />;
  return <>{children}</>;
}

function AppRoutes() {
  const { user } = useSession();
  return (
    <>
      <Title />
      <Routes>
        <Route path="/login" element={user ? <Navigate to="/" replace /> : <Login />} />
        {/* The link of an alarm's e-mail: public, with or without a session. */}
        <Route
          path="/ack"
          element={
            <Suspense
              fallback={
                <main id="main" className="ack">
                  <Loading what="the page" />
                </main>
              }
            >
              <Ack />
            </Suspense>
          }
        />
        <Route
          path="*"
          element={
            <Protected>
              <Shell>
                <Routes>
                  <Route path="/" element={<Dashboard />} />
                  <Route path="/devices/:id" element={<DeviceDetail />} />
                  <Route path="/events" element={<Events />} />
                  <Route path="/incidents/*" element={<Incidents />} />
                  <Route path="/security" element={<Decisions />} />
                  <Route path="/security/playbooks" element={<Playbooks />} />
                  <Route path="/home/*" element={<HomeSettings />} />
                  <Route path="/automations/*" element={<Automations />} />
                  <Route path="/notifications" element={<Notifications />} />
                  <Route path="/settings" element={<Settings />} />
                  <Route
                    path="/demo"
                    element={
                      <Protected admin>
                        <Demo />
                      </Protected>
                    }
                  />
                  <Route
                    path="/admin"
                    element={
                      <Protected admin>
                        <Admin />
                      </Protected>
                    }
                  />
                  <Route
                    path="/admin/monitoring"
                    element={
                      <Protected admin>
                        <Monitoring />
                      </Protected>
                    }
                  />
                  <Route path="*" element={<NotFound />} />
                </Routes>
              </Shell>
            </Protected>
          }
        />
      </Routes>
    </>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <NavLink to="/">Back to the dashboard</NavLink>
      </p>
    </section>
  );
}

export function App() {
  return (
    <SessionProvider>
      <BrowserRouter>
        <AppRoutes />
      </BrowserRouter>
    </SessionProvider>
  );
}
