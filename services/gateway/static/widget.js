/*
 * Conduit chat widget. A host page embeds an app with
 *   <script src="https://<gateway>/widget.js" data-app="<public key>" async></script>
 * It asks the gateway for the app's look, shows a launcher and, when opened, a chat panel (in a
 * shadow root, so the page's styles and the widget's stay apart). A visitor token and a session
 * are taken when the chat is first opened; answers stream over Server-Sent Events, read from a
 * fetch body since EventSource cannot POST. No dependencies; text goes in as text, never as HTML.
 */
(() => {
  const script = document.currentScript;
  if (!script?.dataset.app) return;
  const publicKey = script.dataset.app;
  const base = new URL(script.src, location.href).origin;
  const api = `${base}/v1/public/apps/${encodeURIComponent(publicKey)}`;
  const page = { 'x-widget-page': location.pathname };
  let token = null;
  let sessionId = null;
  let busy = false;

  async function call(method, path, body, accept) {
    const headers = { ...page, accept: accept || 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function problem(res) {
    try {
      const body = await res.json();
      return body.detail || body.title || `HTTP ${res.status}`;
    } catch {
      return `HTTP ${res.status}`;
    }
  }

  /** A visitor token and a session, taken once (and again when the token has run out). */
  async function ensureSession(ui, fresh) {
    if (sessionId && !fresh) return;
    token = null;
    const visitor = await call('POST', '/visitor');
    if (!visitor.ok) throw new Error(await problem(visitor));
    token = (await visitor.json()).token;
    const started = await call('POST', '/sessions', {});
    if (!started.ok) throw new Error(await problem(started));
    const body = await started.json();
    sessionId = body.session.id;
    for (const message of body.messages) if (message.sender === 'bot') ui.add('bot', message.content);
  }

  /** Reads `event:` / `data:` blocks from the response body as they arrive. */
  async function readEvents(res, onEvent) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data) onEvent(event, JSON.parse(data));
        end = buffer.indexOf('\n\n');
      }
    }
  }

  async function ask(ui, text) {
    if (busy || !text.trim()) return;
    busy = true;
    ui.setBusy(true);
    ui.add('user', text);
    const answer = ui.add('bot', '');
    answer.classList.add('streaming');
    try {
      await ensureSession(ui, false);
      let res = await call('POST', `/sessions/${sessionId}/messages`, { text }, 'text/event-stream');
      if (res.status === 401 || res.status === 410) {
        await ensureSession(ui, true);
        res = await call('POST', `/sessions/${sessionId}/messages`, { text }, 'text/event-stream');
      }
      if (!res.ok) throw new Error(await problem(res));
      await readEvents(res, (event, data) => {
        if (event === 'delta') answer.textContent += data.text;
        else if (event === 'error') throw new Error(data.message);
        else if (event === 'done') {
          const last = data.messages.filter((m) => m.sender === 'bot').pop();
          if (last && !answer.textContent) answer.textContent = last.content;
        }
        ui.scroll();
      });
    } catch (error) {
      answer.textContent = `Sorry, something went wrong: ${error.message}`;
      answer.classList.add('failed');
    } finally {
      answer.classList.remove('streaming');
      busy = false;
      ui.setBusy(false);
    }
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    for (const child of children) node.append(child);
    return node;
  }

  /** A speech bubble drawn as SVG (no icon font or emoji the page may lack). */
  function chatIcon() {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '26');
    svg.setAttribute('height', '26');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('fill', 'currentColor');
    path.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
    svg.append(path);
    return svg;
  }

  function render(config) {
    const host = el('div', { id: 'conduit-widget' });
    const root = host.attachShadow({ mode: 'open' });
    const side = config.launcherPosition === 'bottom-left' ? 'left' : 'right';
    const style = el('style');
    style.textContent = `
      :host { all: initial; }
      .launcher, .panel { position: fixed; ${side}: 20px; z-index: 2147483000; font: 14px/1.4 system-ui, sans-serif; }
      .launcher { bottom: 20px; width: 56px; height: 56px; border-radius: 50%; border: 0; cursor: pointer;
        background: var(--primary); color: #fff; display: grid; place-items: center; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
      .panel { bottom: 88px; width: 340px; max-height: 480px; display: none; flex-direction: column;
        background: var(--background); color: var(--text); border-radius: 12px; overflow: hidden;
        box-shadow: 0 8px 30px rgba(0,0,0,.25); }
      .panel.open { display: flex; }
      header { background: var(--primary); color: #fff; padding: 12px 14px; font-weight: 600; display: flex; gap: 8px; align-items: center; }
      header img { width: 24px; height: 24px; border-radius: 4px; }
      .messages { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; min-height: 200px; }
      .message { padding: 8px 10px; border-radius: 10px; max-width: 85%; white-space: pre-wrap; word-wrap: break-word; }
      .message.user { align-self: flex-end; background: var(--primary); color: #fff; }
      .message.bot { align-self: flex-start; background: rgba(0,0,0,.06); }
      .message.failed { color: #b91c1c; }
      .suggestions { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 12px 8px; }
      .suggestions button { border: 1px solid var(--primary); color: var(--primary); background: transparent;
        border-radius: 14px; padding: 4px 10px; cursor: pointer; font: inherit; }
      form { display: flex; border-top: 1px solid rgba(0,0,0,.1); }
      input { flex: 1; border: 0; padding: 12px; font: inherit; background: transparent; color: inherit; outline: none; }
      form button { border: 0; background: var(--primary); color: #fff; padding: 0 16px; cursor: pointer; font: inherit; }
      form button:disabled { opacity: .5; }
    `;
    const vars = el('div');
    vars.style.setProperty('--primary', config.primaryColor);
    vars.style.setProperty('--background', config.backgroundColor);
    vars.style.setProperty('--text', config.textColor);

    const title = el('span', {}, config.name);
    const header = el('header', {});
    if (config.logoUrl) header.append(el('img', { src: new URL(config.logoUrl, base).href, alt: '' }));
    header.append(title);
    const messages = el('div', { class: 'messages', part: 'messages' });
    const suggestions = el('div', { class: 'suggestions' });
    const input = el('input', {
      type: 'text',
      placeholder: 'Ask a question…',
      'aria-label': 'Your question',
    });
    const send = el('button', { type: 'submit' }, 'Send');
    const form = el('form', {}, input, send);
    const panel = el(
      'div',
      { class: 'panel', role: 'dialog', 'aria-label': config.name },
      header,
      messages,
      suggestions,
      form,
    );
    const launcher = el(
      'button',
      { class: 'launcher', type: 'button', 'aria-label': `Chat with ${config.name}` },
      chatIcon(),
    );
    vars.append(launcher, panel);
    root.append(style, vars);

    const ui = {
      add(sender, text) {
        const bubble = el('div', { class: `message ${sender}` });
        bubble.textContent = text;
        messages.append(bubble);
        ui.scroll();
        return bubble;
      },
      scroll() {
        messages.scrollTop = messages.scrollHeight;
      },
      setBusy(on) {
        send.disabled = on;
      },
    };
    if (config.welcomeText) ui.add('bot', config.welcomeText);
    for (const question of config.suggestedQuestions || []) {
      const chip = el('button', { type: 'button' }, question);
      chip.addEventListener('click', () => ask(ui, question));
      suggestions.append(chip);
    }
    launcher.addEventListener('click', () => {
      panel.classList.toggle('open');
      if (panel.classList.contains('open')) input.focus();
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value;
      input.value = '';
      ask(ui, text);
    });
    document.body.append(host);
  }

  async function start() {
    const res = await call('GET', '/config');
    if (!res.ok) {
      // Not allowed on this page (403), not published (404): no launcher at all.
      console.warn(`Conduit widget: ${await problem(res)}`);
      return;
    }
    render(await res.json());
  }

  const run = () => start().catch((error) => console.warn(`Conduit widget: ${error.message}`));
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run);
  else run();
})();
