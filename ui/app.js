// The Providers page: reads /api/admin/*, renders the Codex credentials, and drives logins. No build step.
const $ = (selector) => document.querySelector(selector);
let loginSession = null;
let pollTimer = null;

async function api(method, path, body) {
  const response = await fetch(`/api/admin${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data?.error?.message ?? `HTTP ${response.status}`);
  return data;
}

function when(iso) {
  if (!iso) return '–';
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const abs = Math.abs(seconds);
  const text = abs < 90 ? `${abs}s` : abs < 5400 ? `${Math.round(abs / 60)}m` : abs < 172800 ? `${Math.round(abs / 3600)}h` : `${Math.round(abs / 86400)}d`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function quotaCell(usage) {
  const quota = usage?.quota;
  if (!quota) return el('span', { class: 'muted' }, '–');
  const cell = el('div');
  for (const [name, window] of [['primary', quota.primary], ['secondary', quota.secondary]]) {
    if (!window) continue;
    const span = window.window_minutes ? (window.window_minutes % 1440 === 0 ? `${window.window_minutes / 1440}d` : `${Math.round(window.window_minutes / 60)}h`) : name;
    const used = Math.min(100, Math.max(0, window.used_percent));
    const fill = el('span');
    fill.style.width = `${used}%`; // CSSOM, which the page's CSP allows (an inline style attribute it would not)
    cell.append(
      el('div', { class: 'muted' }, `${span}: ${Math.round(used)}% used${window.resets_at ? `, resets ${when(window.resets_at)}` : ''}`),
      el('div', { class: `bar${used >= 100 ? ' full' : ''}`, role: 'img', 'aria-label': `${span} ${Math.round(used)}%` }, fill),
    );
  }
  if (quota.plan) cell.append(el('div', { class: 'muted' }, `plan ${quota.plan}`));
  return cell;
}

function stateCell(view) {
  const cell = el('div', {}, el('span', { class: `state state-${view.state}`, 'data-state': view.state }, view.state.replace('_', ' ')));
  const warn = ['invalid', 'needs_login'].includes(view.state) ? 'bad' : view.state === 'cooldown' ? 'warn' : '';
  const reason = view.reason ?? (view.cooldown_until ? `until ${view.cooldown_until}` : null);
  if (reason && view.state !== 'active') cell.append(el('div', { class: `reason ${warn}` }, `⚠ ${reason}`));
  if (view.state === 'cooldown' && view.cooldown_until) cell.append(el('div', { class: 'reason warn' }, `back ${when(view.cooldown_until)}`));
  return cell;
}

function rowActions(view) {
  const actions = el('div', { class: 'row-actions' });
  actions.append(
    el('button', { type: 'button', 'data-action': view.disabled ? 'enable' : 'disable', onclick: () => act(view.disabled ? 'POST' : 'POST', `/credentials/${encodeURIComponent(view.id)}/${view.disabled ? 'enable' : 'disable'}`) }, view.disabled ? 'Enable' : 'Disable'),
  );
  if (view.kind === 'oauth') actions.append(el('button', { type: 'button', 'data-action': 'refresh', onclick: () => act('POST', `/credentials/${encodeURIComponent(view.id)}/refresh`) }, 'Refresh now'));
  const removeNote = view.source === 'codex-cli' ? ' The Codex CLI login file itself is kept.' : view.source === 'login' ? ' Its token file is deleted.' : '';
  actions.append(
    el('button', {
      type: 'button',
      class: 'danger',
      'data-action': 'remove',
      onclick: () => {
        if (confirm(`Remove credential "${view.id}" from proxycast?${removeNote}`)) act('DELETE', `/credentials/${encodeURIComponent(view.id)}`);
      },
    }, 'Remove'),
  );
  return actions;
}

function render(views, usage) {
  const byId = new Map(usage.credentials.map((entry) => [entry.id, entry]));
  const body = $('#credentials tbody');
  body.replaceChildren(
    ...views.map((view) => {
      const use = byId.get(view.id);
      return el(
        'tr',
        { 'data-id': view.id },
        el('td', {}, el('strong', {}, view.id), el('div', { class: 'muted' }, view.kind === 'api_key' ? `API key ${view.masked_key ?? ''}` : 'ChatGPT OAuth')),
        el('td', {}, view.source === 'codex-cli' ? 'imported (Codex CLI)' : view.source),
        el('td', {}, view.email ?? view.account_id ?? '–', view.plan ? el('div', { class: 'muted' }, view.plan) : null),
        el('td', {}, stateCell(view)),
        el('td', {}, when(view.expires_at)),
        el('td', {}, quotaCell(use)),
        el('td', {}, when(view.last_used)),
        el('td', {}, `${view.requests}`, el('div', { class: 'muted' }, `${view.failures} errors`), use ? el('div', { class: 'muted' }, `${use.tokens.input + use.tokens.output} tokens`) : null),
        el('td', {}, rowActions(view)),
      );
    }),
  );
  $('#empty').hidden = views.length > 0;
  const usable = views.filter((view) => view.state === 'active' || view.state === 'refreshing').length;
  $('#summary').textContent = `${usable} of ${views.length} credentials usable`;
}

async function refresh() {
  try {
    const [views, usage] = await Promise.all([api('GET', '/credentials'), api('GET', '/usage')]);
    render(views, usage);
  } catch (error) {
    say(`Could not load the credentials: ${error.message}`);
  }
}

function say(text) {
  $('#message').textContent = text;
}

async function act(method, path) {
  try {
    await api(method, path);
    say('');
  } catch (error) {
    say(error.message);
  }
  await refresh();
}

function showPanel(...children) {
  const panel = $('#login-panel');
  panel.replaceChildren(...children);
  panel.hidden = children.length === 0;
}

function pasteForm() {
  const input = el('input', { type: 'url', id: 'callback-url', placeholder: 'http://localhost:1455/auth/callback?code=…&state=…', 'aria-label': 'Callback URL' });
  return el('div', {},
    el('div', {}, 'Signed in on another machine? Paste the full URL the browser was sent to (it starts with http://localhost:1455/auth/callback):'),
    input,
    el('button', { type: 'button', class: 'primary', id: 'submit-callback', onclick: async () => {
      try {
        await api('POST', `/login/${loginSession}/callback`, { url: input.value });
      } catch (error) {
        say(error.message);
      }
    } }, 'Finish login'));
}

function watchLogin() {
  clearInterval(pollTimer);
  pollTimer = setInterval(async () => {
    if (!loginSession) return;
    try {
      const status = await api('GET', `/login/${loginSession}`);
      if (status.status === 'pending') return;
      clearInterval(pollTimer);
      loginSession = null;
      showPanel();
      say(status.status === 'done' ? `Signed in: credential ${status.credential_id} saved to ${status.file}.` : `Login failed: ${status.error}`);
      await refresh();
    } catch (error) {
      clearInterval(pollTimer);
      say(error.message);
    }
  }, 1000);
}

$('#oauth-login').addEventListener('click', async () => {
  try {
    const started = await api('POST', '/login/browser', {});
    loginSession = started.session;
    window.open(started.authorize_url, '_blank', 'noopener');
    showPanel(
      el('div', {}, 'A sign-in page opened in a new tab. If it did not, ', el('a', { href: started.authorize_url, target: '_blank', rel: 'noopener', id: 'authorize-link' }, 'open it here'), '.'),
      pasteForm(),
    );
    watchLogin();
  } catch (error) {
    say(error.message);
  }
});

$('#device-login').addEventListener('click', async () => {
  try {
    const started = await api('POST', '/login/device', {});
    loginSession = started.session;
    showPanel(
      el('div', {}, 'Open ', el('a', { href: started.verification_url, target: '_blank', rel: 'noopener' }, started.verification_url), ' and enter this code:'),
      el('div', { class: 'code', id: 'user-code' }, started.user_code),
      el('div', { class: 'muted' }, 'The code expires in 15 minutes. This page updates by itself.'),
    );
    watchLogin();
  } catch (error) {
    say(error.message);
  }
});

$('#paste-callback').addEventListener('click', async () => {
  try {
    const started = await api('POST', '/login/browser', {});
    loginSession = started.session;
    showPanel(
      el('div', {}, 'Open this sign-in link in a browser on any machine: ', el('a', { href: started.authorize_url, target: '_blank', rel: 'noopener', id: 'authorize-link' }, 'sign-in link'), ' (copy it), sign in, then paste the address the browser ends up on.'),
      pasteForm(),
    );
    watchLogin();
  } catch (error) {
    say(error.message);
  }
});

refresh();
setInterval(refresh, 5000);
