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

// The CLI-oriented fix some reasons end with ("; run `proxycast login` …"): the page shows its own fix instead.
const CLI_FIX = /^(fix or replace the file|run `proxycast login`)/;

function withoutCliFix(reason) {
  return reason.split('; ').filter((part, index) => index === 0 || !CLI_FIX.test(part)).join('; ');
}

/** What the user can do about a state, in terms of this page (undefined when nothing is needed). */
function fixFor(view) {
  const fromFile = (view.reason ?? '').startsWith('token file');
  if (view.state === 'invalid') {
    if (view.source === 'codex-cli') return 'Fix: run `codex login` again (its file is never overwritten here), or sign in with “OAuth login” above.';
    if (fromFile && view.source === 'login') return 'Fix: sign in again with “OAuth login” above (the new tokens replace that file), or correct it; a change is picked up without a restart.';
    if (fromFile) return 'Fix: correct or replace that file; a change is picked up without a restart, and proxycast never overwrites it.';
    return view.source === 'config' ? 'Fix: correct this entry under credential_pool in config.yaml; it is re-read on save.' : 'Fix: sign in again with “OAuth login” above.';
  }
  if (view.state === 'needs_login') {
    if (view.source === 'codex-cli') return 'Fix: run `codex login` on this machine (picked up without a restart), or sign in with “OAuth login” above.';
    if (view.source === 'login') return `Fix: sign in again with “OAuth login” above${view.email ? ` as ${view.email}` : ''}; the new tokens replace this credential's file.`;
    return `Fix: put fresh tokens in ${view.token_file}, or sign in with “OAuth login” above (that adds a credential of its own).`;
  }
  if (view.state === 'cooldown') return 'Nothing to do: it is used again when the cooldown ends, and the other credentials serve meanwhile.';
  return undefined;
}

function stateCell(view) {
  const cell = el('div', {}, el('span', { class: `state state-${view.state}`, 'data-state': view.state }, view.state.replace('_', ' ')));
  const warn = ['invalid', 'needs_login'].includes(view.state) ? 'bad' : view.state === 'cooldown' ? 'warn' : '';
  const reason = view.reason ? withoutCliFix(view.reason) : view.cooldown_until ? `until ${view.cooldown_until}` : null;
  if (reason && view.state !== 'active') cell.append(el('div', { class: `reason ${warn}` }, `⚠ ${reason}`));
  if (view.state === 'cooldown' && view.cooldown_until) cell.append(el('div', { class: 'reason warn' }, `back ${when(view.cooldown_until)}`));
  const fix = fixFor(view);
  if (fix) cell.append(el('div', { class: 'fix' }, fix));
  if (view.state === 'disabled') cell.append(el('div', { class: 'fix muted' }, 'Not used until you click Enable; this is kept across restarts.'));
  return cell;
}

function kindLabel(view) {
  if (view.kind === 'api_key') return `API key ${view.masked_key ?? ''}`;
  if (view.kind === 'oauth') return 'ChatGPT OAuth';
  return 'unreadable token file';
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
        el('td', {}, el('strong', {}, view.id), el('div', { class: 'muted' }, kindLabel(view))),
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

function pasteForm(redirectUri, intro) {
  const input = el('input', { type: 'url', id: 'callback-url', placeholder: `${redirectUri}?code=…&state=…`, 'aria-label': 'Callback URL' });
  return el('div', {},
    el('div', {}, intro, ' It starts with ', el('code', {}, redirectUri), ':'),
    input,
    el('button', { type: 'button', class: 'primary', id: 'submit-callback', onclick: async () => {
      const session = loginSession;
      try {
        const status = await api('POST', `/login/${session}/callback`, { url: input.value });
        if (session === loginSession) await finished(status);
      } catch (error) {
        say(error.message);
      }
    } }, 'Finish login'));
}

/** A login ended (done or failed): close the panel, say how it went, show the new list. */
async function finished(status) {
  clearInterval(pollTimer);
  loginSession = null;
  showPanel();
  say(status.status === 'done' ? `Signed in: credential ${status.credential_id} saved to ${status.file}.` : `Login failed: ${status.error}`);
  await refresh();
}

function watchLogin() {
  clearInterval(pollTimer);
  pollTimer = setInterval(async () => {
    const session = loginSession;
    if (!session) return;
    try {
      const status = await api('GET', `/login/${session}`);
      if (status.status !== 'pending' && session === loginSession) await finished(status);
    } catch (error) {
      clearInterval(pollTimer);
      say(error.message);
    }
  }, 1000);
}

/** Starts a login of `kind` (browser or device), first cancelling one this page left pending. */
async function startLogin(kind) {
  if (loginSession) {
    const previous = loginSession;
    loginSession = null;
    await api('DELETE', `/login/${previous}`).catch(() => undefined);
  }
  say('');
  const started = await api('POST', `/login/${kind}`, {});
  loginSession = started.session;
  watchLogin();
  return started;
}

function signInLink(url, text) {
  return el('a', { href: url, target: '_blank', rel: 'noopener', id: 'authorize-link' }, text);
}

$('#oauth-login').addEventListener('click', async () => {
  try {
    const started = await startLogin('browser');
    window.open(started.authorize_url, '_blank', 'noopener');
    showPanel(
      el('div', {}, 'A sign-in page opened in a new tab; this page updates when you are done. If no tab opened, ', signInLink(started.authorize_url, 'open it here'), '.'),
      pasteForm(started.redirect_uri, 'If the browser ended on a page that could not load (it ran on another machine), paste its address here.'),
    );
  } catch (error) {
    say(error.message);
  }
});

$('#device-login').addEventListener('click', async () => {
  try {
    const started = await startLogin('device');
    showPanel(
      el('div', {}, 'Open ', el('a', { href: started.verification_url, target: '_blank', rel: 'noopener' }, started.verification_url), ' on any device and enter this code:'),
      el('div', { class: 'code', id: 'user-code' }, started.user_code),
      el('div', { class: 'muted' }, `The code expires ${when(started.expires_at)}. This page updates by itself.`),
    );
  } catch (error) {
    say(error.message);
  }
});

$('#paste-callback').addEventListener('click', async () => {
  try {
    const started = await startLogin('browser');
    showPanel(
      el('div', {}, 'Open this ', signInLink(started.authorize_url, 'sign-in link'), ' in a browser on any machine (copy it) and sign in.'),
      pasteForm(started.redirect_uri, 'Then paste the address the browser ends up on (the page itself may fail to load; that is expected).'),
    );
  } catch (error) {
    say(error.message);
  }
});

refresh();
setInterval(refresh, 5000);
