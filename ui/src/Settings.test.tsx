import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NotificationSettings, ServiceToken } from './api';
import { dayText } from './format';
import Settings from './pages/Settings';
import { errBody, fakeServer, json, renderApp } from './test-utils';

const SECRET = 'ab'.repeat(32);
const settings = (over: Partial<NotificationSettings> = {}): NotificationSettings => ({
  email: true,
  webhook_url: null,
  quiet_hours: null,
  email_address: 'john@demo.com',
  email_available: true,
  webhook_secret: SECRET,
  ...over,
});

const { calls, answers } = fakeServer();
const puts = () => calls.filter((c) => c.method === 'PUT' && c.url === '/notifications/settings');
const fieldOf = (input: HTMLElement) => input.closest('.field') as HTMLElement;
const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save notification settings' }));
const setup = () => renderApp(<Settings />, { path: '/settings' });

beforeEach(() => {
  // Every test of the page finds the tokens' list (empty unless the test says otherwise).
  answers['GET /auth/tokens'] = [json(200, { tokens: [] })];
});

afterEach(() => {
  // The clipboard a test put in place.
  delete (navigator as { clipboard?: unknown }).clipboard;
});

describe('settings: notifications', () => {
  it('loads the settings: e-mail to the account address, the webhook URL, quiet hours with the home time zone', async () => {
    answers['GET /notifications/settings'] = [
      json(200, settings({ webhook_url: 'https://n8n.example.com/webhook/x', quiet_hours: { start: '22:30', end: '06:45' } })),
    ];
    answers['GET /home'] = [json(200, { user_id: 'u1', time_zone: 'America/New_York' })];
    setup();
    expect(screen.getByText(/Loading notification settings/).closest('[role=status]')).toBeTruthy();
    const email = (await screen.findByLabelText('E-mail notifications')) as HTMLInputElement;
    expect(email.checked).toBe(true);
    expect(fieldOf(email).textContent).toContain('To john@demo.com');
    expect(email.getAttribute('aria-describedby')).toBe('ns-email-hint');
    expect(screen.queryByTestId('email-unavailable')).toBeNull();
    expect((screen.getByLabelText('Webhook URL (optional)') as HTMLInputElement).value).toBe('https://n8n.example.com/webhook/x');
    const quiet = screen.getByLabelText('Quiet hours') as HTMLInputElement;
    expect(quiet.checked).toBe(true);
    expect((screen.getByLabelText('Start (home time)') as HTMLInputElement).value).toBe('22:30');
    expect((screen.getByLabelText('End (home time)') as HTMLInputElement).value).toBe('06:45');
    // The help text says what quiet hours hold back (and what never), in the home's time.
    await waitFor(() => expect(document.getElementById('ns-quiet-help')!.textContent).toContain('America/New_York'));
    const help = document.getElementById('ns-quiet-help')!.textContent!;
    expect(help).toContain('low and normal priority wait until the quiet hours end');
    expect(help).toContain('high-priority and critical ones (alarms, fire, duress) are never held');
    expect(quiet.getAttribute('aria-describedby')).toBe('ns-quiet-help');
    expect(screen.getByText(/High-priority and critical ones .* go to every channel/)).toBeTruthy();
  });

  it('says when e-mail cannot be sent here, and still keeps the choice', async () => {
    answers['GET /notifications/settings'] = [json(200, settings({ email_available: false }))];
    answers['PUT /notifications/settings'] = [json(200, settings({ email_available: false }))];
    setup();
    const email = (await screen.findByLabelText('E-mail notifications')) as HTMLInputElement;
    expect(screen.getByTestId('email-unavailable').textContent).toContain('This installation cannot send e-mail');
    expect(email.disabled).toBe(false);
    expect(email.checked).toBe(true);
    save();
    await screen.findByText('Notification settings saved.');
    expect(puts()[0]!.body).toEqual({ email: true, webhook_url: null, quiet_hours: null });
  });

  it('saves exactly the three preferences: quiet hours on with their times, an emptied webhook as null', async () => {
    answers['GET /notifications/settings'] = [json(200, settings({ webhook_url: 'https://old.example.com/h' }))];
    answers['PUT /notifications/settings'] = [json(200, settings({ email: false, quiet_hours: { start: '22:00', end: '07:00' } }))];
    setup();
    const quiet = (await screen.findByLabelText('Quiet hours')) as HTMLInputElement;
    expect(quiet.checked).toBe(false);
    expect(screen.queryByLabelText('Start (home time)')).toBeNull();
    fireEvent.click(screen.getByLabelText('E-mail notifications'));
    fireEvent.change(screen.getByLabelText('Webhook URL (optional)'), { target: { value: '  ' } });
    fireEvent.click(quiet);
    // Turned on, quiet hours start from a night: 22:00-07:00.
    expect((screen.getByLabelText('Start (home time)') as HTMLInputElement).value).toBe('22:00');
    fireEvent.change(screen.getByLabelText('Start (home time)'), { target: { value: '22:00' } });
    fireEvent.change(screen.getByLabelText('End (home time)'), { target: { value: '07:00' } });
    save();
    expect(screen.getByRole('button', { name: 'Saving…' })).toBeTruthy();
    await screen.findByText('Notification settings saved.');
    expect(puts()).toHaveLength(1);
    expect(puts()[0]!.body).toEqual({ email: false, webhook_url: null, quiet_hours: { start: '22:00', end: '07:00' } });
    expect((screen.getByLabelText('E-mail notifications') as HTMLInputElement).checked).toBe(false);
    expect((screen.getByLabelText('Webhook URL (optional)') as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('End (home time)') as HTMLInputElement).value).toBe('07:00');
    expect(screen.queryByTestId('field-error')).toBeNull();

    // Off again: quiet hours go as null.
    fireEvent.click(screen.getByLabelText('Quiet hours'));
    save();
    await waitFor(() => expect(puts()).toHaveLength(2));
    expect(puts()[1]!.body).toEqual({ email: false, webhook_url: null, quiet_hours: null });
  });

  it("shows the server's field errors beside their fields: the webhook URL, then the quiet hours' end", async () => {
    answers['GET /notifications/settings'] = [json(200, settings())];
    answers['PUT /notifications/settings'] = [
      json(
        400,
        errBody('VALIDATION_ERROR', 'webhook_url: must be an http(s) URL such as https://n8n.example.com/webhook/x', {
          field: 'webhook_url',
          reason: 'must be an http(s) URL such as https://n8n.example.com/webhook/x',
        }),
      ),
      json(400, errBody('VALIDATION_ERROR', 'quiet_hours.end: must differ from the start', { field: 'quiet_hours.end', reason: 'must differ from the start' })),
    ];
    setup();
    const url = (await screen.findByLabelText('Webhook URL (optional)')) as HTMLInputElement;
    fireEvent.change(url, { target: { value: 'ftp://x' } });
    save();
    await waitFor(() => expect(within(fieldOf(url)).getByTestId('field-error').textContent).toContain('must be an http(s) URL'));
    expect(url.getAttribute('aria-invalid')).toBe('true');
    expect(url.getAttribute('aria-describedby')).toContain('err-webhook_url');
    expect(screen.getAllByTestId('field-error')).toHaveLength(1);
    expect(screen.queryByText('Notification settings saved.')).toBeNull();
    expect(puts()[0]!.body).toEqual({ email: true, webhook_url: 'ftp://x', quiet_hours: null });

    fireEvent.change(url, { target: { value: 'https://n8n.example.com/webhook/x' } });
    fireEvent.click(screen.getByLabelText('Quiet hours'));
    const end = screen.getByLabelText('End (home time)') as HTMLInputElement;
    fireEvent.change(end, { target: { value: '22:00' } });
    save();
    await waitFor(() => expect(within(fieldOf(end)).getByTestId('field-error').textContent).toContain('must differ from the start'));
    expect(end.getAttribute('aria-invalid')).toBe('true');
    expect(url.getAttribute('aria-invalid')).toBeNull();
    expect(screen.getAllByTestId('field-error')).toHaveLength(1);
  });

  it('refuses an empty quiet-hours time before asking the server', async () => {
    answers['GET /notifications/settings'] = [json(200, settings({ quiet_hours: { start: '22:00', end: '07:00' } }))];
    setup();
    const start = (await screen.findByLabelText('Start (home time)')) as HTMLInputElement;
    fireEvent.change(start, { target: { value: '' } });
    save();
    expect(within(fieldOf(start)).getByTestId('field-error').textContent).toContain('enter a time');
    expect(puts()).toHaveLength(0);
  });

  it('keeps the webhook secret hidden until shown, and copies it without showing it', async () => {
    answers['GET /notifications/settings'] = [json(200, settings())];
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { container } = setup();
    const secret = await screen.findByTestId('webhook-secret');
    expect(secret.textContent).toContain('Hidden');
    expect(container.innerHTML).not.toContain(SECRET);
    expect(screen.getByText(/X-HomeGuard-Signature: sha256=/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Copy secret' }));
    await screen.findByText('Secret copied.');
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(container.innerHTML).not.toContain(SECRET);

    fireEvent.click(screen.getByRole('button', { name: 'Show secret' }));
    expect(secret.textContent).toBe(SECRET);
    fireEvent.click(screen.getByRole('button', { name: 'Hide secret' }));
    expect(container.innerHTML).not.toContain(SECRET);
    expect(screen.getByRole('button', { name: 'Show secret' })).toBeTruthy();
  });

  it('shows a loading failure with a way to try again', async () => {
    answers['GET /notifications/settings'] = [json(500, errBody('INTERNAL', 'The store is unavailable')), json(200, settings())];
    setup();
    await screen.findByText('The store is unavailable');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByLabelText('E-mail notifications');
  });
});

describe('settings: service tokens', () => {
  const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.service.token-value';
  const tok = (over: Partial<ServiceToken> = {}): ServiceToken => ({
    token_id: 't1',
    name: 'n8n',
    created_at: '2030-01-01T10:00:00Z',
    expires_at: '2031-01-01T10:00:00Z',
    ...over,
  });
  const tokensList = () => screen.getByTestId('tokens');
  const rows = () => within(tokensList()).queryAllByTestId('token');
  const sent = (method: string, url: string) => calls.filter((c) => c.method === method && c.url === url);
  const loaded = async () => {
    answers['GET /notifications/settings'] = [json(200, settings())];
    const r = setup();
    await screen.findByLabelText('E-mail notifications');
    return r;
  };

  it('lists the tokens, newest first, with their created and expiry dates, and says what they are for', async () => {
    answers['GET /auth/tokens'] = [
      json(200, { tokens: [tok({ token_id: 't2', name: 'backup script', created_at: '2030-02-01T10:00:00Z', expires_at: '2030-03-03T10:00:00Z' }), tok()] }),
    ];
    await loaded();
    await waitFor(() => expect(rows()).toHaveLength(2));
    const [first, second] = rows();
    expect(first!.textContent).toContain('backup script');
    expect(first!.textContent).toContain(`Expires ${dayText('2030-03-03T10:00:00Z')}`);
    expect(first!.textContent).toMatch(/Created (\d+ d ago|in the future|just now)/);
    expect(second!.textContent).toContain('n8n');
    expect(second!.textContent).toContain(`Expires ${dayText('2031-01-01T10:00:00Z')}`);
    expect(within(second!).getByText(dayText('2031-01-01T10:00:00Z')).getAttribute('datetime')).toBe('2031-01-01T10:00:00Z');
    const section = screen.getByRole('region', { name: 'Service tokens' });
    expect(section.textContent).toContain('n8n workflow');
    expect(section.textContent).toMatch(/Header Auth credential named HomeGuard service token, with name Authorization and value Bearer <token>/);
    expect(within(section).getByRole('button', { name: 'Revoke backup script' })).toBeTruthy();
  });

  it('says when there is none yet, and when the list cannot be loaded', async () => {
    answers['GET /auth/tokens'] = [json(500, errBody('INTERNAL', 'The session store is unavailable')), json(200, { tokens: [] })];
    await loaded();
    await screen.findByText('The session store is unavailable');
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    await screen.findByText('No service tokens yet.');
  });

  it('issues a token: shown once with a copy button, listed without it, gone once dismissed', async () => {
    answers['POST /auth/tokens'] = [
      json(201, { ...tok({ token_id: 't9', name: 'n8n e2e', created_at: new Date().toISOString() }), token: TOKEN }),
    ];
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { container } = await loaded();
    await screen.findByText('No service tokens yet.');
    expect(screen.queryByTestId('new-token')).toBeNull();
    const days = screen.getByLabelText('Valid for (days)') as HTMLInputElement;
    expect(days.value).toBe('365');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: '  n8n e2e ' } });
    fireEvent.change(days, { target: { value: '30' } });
    fireEvent.click(screen.getByRole('button', { name: 'Issue token' }));

    const box = await screen.findByTestId('new-token');
    expect(sent('POST', '/auth/tokens')[0]!.body).toEqual({ name: 'n8n e2e', days: 30 });
    expect(box.textContent).toContain('Copy it now: it will not be shown again');
    expect(within(box).getByTestId('token-value').textContent).toBe(TOKEN);
    expect(document.activeElement).toBe(within(box).getByText(/Copy it now/).closest('p'));
    // Listed, newest first, without the token itself; the name field is empty again.
    expect(rows()).toHaveLength(1);
    expect(rows()[0]!.textContent).toContain('n8n e2e');
    expect(rows()[0]!.textContent).not.toContain(TOKEN);
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('');

    fireEvent.click(within(box).getByRole('button', { name: 'Copy token' }));
    await within(box).findByText('Token copied.');
    expect(writeText).toHaveBeenCalledWith(TOKEN);

    fireEvent.click(within(box).getByRole('button', { name: 'Done, hide it' }));
    expect(screen.queryByTestId('new-token')).toBeNull();
    expect(container.innerHTML).not.toContain(TOKEN);
    expect(document.activeElement).toBe(screen.getByLabelText('Name'));
    expect(rows()).toHaveLength(1);
  });

  it('where copying is refused, says to copy the token by hand', async () => {
    answers['POST /auth/tokens'] = [json(201, { ...tok(), token: TOKEN })];
    await loaded();
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'n8n' } });
    fireEvent.click(screen.getByRole('button', { name: 'Issue token' }));
    const box = await screen.findByTestId('new-token');
    fireEvent.click(within(box).getByRole('button', { name: 'Copy token' }));
    await within(box).findByText('Copying did not work here: select the token and copy it.');
    expect(within(box).getByTestId('token-value').textContent).toBe(TOKEN);
  });

  it("shows the server's field error beside the name, a bad number of days before asking, and the 20-token limit above the button", async () => {
    answers['POST /auth/tokens'] = [
      json(400, errBody('VALIDATION_ERROR', 'name: must be 1 to 64 characters', { field: 'name', reason: 'must be 1 to 64 characters' })),
      json(409, errBody('CONFLICT', 'An account has at most 20 service tokens; revoke one')),
    ];
    await loaded();
    const name = (await screen.findByLabelText('Name')) as HTMLInputElement;
    const days = screen.getByLabelText('Valid for (days)') as HTMLInputElement;
    fireEvent.click(screen.getByRole('button', { name: 'Issue token' }));
    expect(within(fieldOf(name)).getByTestId('field-error').textContent).toContain('enter 1 to 64 characters');
    fireEvent.change(name, { target: { value: 'n8n' } });
    fireEvent.change(days, { target: { value: '5000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Issue token' }));
    expect(within(fieldOf(days)).getByTestId('field-error').textContent).toContain('from 1 to 3650');
    expect(sent('POST', '/auth/tokens')).toHaveLength(0);

    fireEvent.change(days, { target: { value: '365' } });
    fireEvent.click(screen.getByRole('button', { name: 'Issue token' }));
    await waitFor(() => expect(within(fieldOf(name)).getByTestId('field-error').textContent).toBe('⚠ must be 1 to 64 characters'));
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(name.getAttribute('aria-describedby')).toContain('err-name');
    expect(screen.getAllByTestId('field-error')).toHaveLength(1);
    expect(screen.queryByTestId('new-token')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Issue token' }));
    await screen.findByText('An account has at most 20 service tokens; revoke one');
    expect(screen.queryAllByTestId('field-error')).toHaveLength(0);
    expect(screen.queryByTestId('new-token')).toBeNull();
  });

  it('revokes a token only once confirmed: DELETE, then the row leaves the list', async () => {
    answers['GET /auth/tokens'] = [json(200, { tokens: [tok({ token_id: 't2', name: 'backup script' }), tok()] })];
    answers['DELETE /auth/tokens/t1'] = [new Response(null, { status: 204 })];
    await loaded();
    await waitFor(() => expect(rows()).toHaveLength(2));
    const row = rows()[1]!;
    const revoke = within(row).getByRole('button', { name: 'Revoke n8n' });
    fireEvent.click(revoke);
    const confirm = within(row).getByRole('group', { name: 'Revoke n8n?' });
    expect(confirm.textContent).toContain('stops working at once');
    expect(document.activeElement).toBe(within(confirm).getByRole('button', { name: 'Cancel' }));
    // Cancel: nothing sent, the button back.
    fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(within(row).queryByRole('group')).toBeNull();
    expect(sent('DELETE', '/auth/tokens/t1')).toHaveLength(0);

    fireEvent.click(within(row).getByRole('button', { name: 'Revoke n8n' }));
    fireEvent.click(within(row).getByRole('button', { name: 'Yes, revoke' }));
    await screen.findByText('“n8n” revoked: it no longer works.');
    expect(sent('DELETE', '/auth/tokens/t1')).toHaveLength(1);
    expect(rows()).toHaveLength(1);
    expect(rows()[0]!.textContent).toContain('backup script');
  });

  it('keeps a token whose revoking failed, with the reason by it', async () => {
    answers['GET /auth/tokens'] = [json(200, { tokens: [tok()] })];
    answers['DELETE /auth/tokens/t1'] = [json(503, errBody('SERVICE_UNAVAILABLE', 'The session store is unavailable'))];
    await loaded();
    await waitFor(() => expect(rows()).toHaveLength(1));
    fireEvent.click(within(rows()[0]!).getByRole('button', { name: 'Revoke n8n' }));
    fireEvent.click(within(rows()[0]!).getByRole('button', { name: 'Yes, revoke' }));
    await within(rows()[0]!).findByText('The session store is unavailable');
    expect(rows()).toHaveLength(1);
  });
});
