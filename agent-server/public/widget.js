/* Agent Bridge web chat widget.
 * <script src="https://agents.example.com/widget.js" data-agent="lead-qualifier" data-key="pk_..." async></script>
 * Its look (title, colours, avatar, opening message, launcher position, timestamps) is set per widget key in the
 * console; data-title and data-position ("left" or "right") on the tag take precedence.
 * Plain DOM inside a shadow root, so the host page's styles neither leak in nor get changed. Every request goes to
 * the server the script came from; nothing is loaded from another origin. */
(function () {
	'use strict';
	var script = document.currentScript;
	if (!script) return;
	var agentId = script.getAttribute('data-agent');
	var key = script.getAttribute('data-key');
	if (!agentId || !key) {
		console.error('Agent Bridge widget: data-agent and data-key are required');
		return;
	}
	var server = new URL(script.src, location.href).origin;
	var storageKey = 'agent-bridge:' + key + ':' + agentId;
	var DAY_MS = 86400000;
	// The server keeps a session this long after the visitor's last message (its config says so too).
	var lifetimeDays = 30;

	var CSS =
		':host{all:initial;--accent:#2f5bea;--on-accent:#fff}' +
		'*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
		'.bubble{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border-radius:50%;border:0;background:var(--accent);color:var(--on-accent);' +
		'box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer;z-index:2147483000;display:flex;align-items:center;justify-content:center}' +
		'.left .bubble,.left .panel{right:auto;left:20px}' +
		'.bubble:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #ffb020;outline-offset:2px}' +
		'.bubble svg{width:26px;height:26px;fill:currentColor}' +
		'.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#b42318;color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center;padding:0 5px;border:2px solid #fff}' +
		'.badge[hidden]{display:none}' +
		'.panel{position:fixed;bottom:88px;right:20px;width:min(360px,calc(100vw - 40px));height:min(520px,calc(100vh - 120px));background:#fff;color:#1d2433;' +
		'border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;z-index:2147483000;font-size:14px}' +
		'.panel[hidden]{display:none}' +
		'header{background:var(--accent);color:var(--on-accent);padding:12px 14px;display:flex;align-items:center;gap:10px}' +
		'.avatar{width:32px;height:32px;border-radius:50%;object-fit:cover;background:#fff;flex:none}' +
		'.avatar[hidden]{display:none}' +
		'h2{font-size:15px;margin:0;font-weight:600;flex:1}' +
		'.close{background:transparent;border:0;color:inherit;font-size:20px;line-height:1;cursor:pointer;padding:2px 6px;border-radius:4px}' +
		'.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f6f7fb}' +
		'.msg{max-width:85%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;line-height:1.4}' +
		'.msg.contact{align-self:flex-end;background:var(--accent);color:var(--on-accent);border-bottom-right-radius:4px}' +
		'.msg.agent,.msg.human{align-self:flex-start;background:#fff;border:1px solid #e1e4ec;border-bottom-left-radius:4px}' +
		'.msg.human::before{content:attr(data-who);display:block;font-size:11px;color:#5b6477;margin-bottom:2px}' +
		'.msg time{display:block;font-size:11px;opacity:.75;margin-top:3px}' +
		'.status{font-size:12px;color:#5b6477;padding:0 12px 6px;min-height:18px;background:#f6f7fb}' +
		'form{display:flex;gap:8px;padding:10px;border-top:1px solid #e1e4ec;background:#fff}' +
		'textarea{flex:1;resize:none;border:1px solid #c6cbd6;border-radius:8px;padding:8px;font-size:14px;height:40px;max-height:120px;color:#1d2433}' +
		'.send{background:var(--accent);color:var(--on-accent);border:0;border-radius:8px;padding:0 14px;font-size:14px;cursor:pointer}' +
		'.send:disabled{opacity:.6;cursor:default}' +
		'.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}';

	var host = document.createElement('div');
	host.setAttribute('data-agent-bridge-widget', agentId);
	var root = host.attachShadow({ mode: 'open' });
	var frame = document.createElement('div');
	var style = document.createElement('style');
	style.textContent = CSS;
	root.appendChild(style);

	function el(tag, attrs, text) {
		var node = document.createElement(tag);
		for (var name in attrs) node.setAttribute(name, attrs[name]);
		if (text !== undefined) node.textContent = text;
		return node;
	}

	var panelId = 'agent-bridge-panel';
	var bubble = el('button', { type: 'button', class: 'bubble', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-controls': panelId });
	bubble.innerHTML =
		'<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
	var badge = el('span', { class: 'badge', hidden: '', 'aria-hidden': 'true' });
	bubble.appendChild(badge);

	var title = script.getAttribute('data-title') || 'Chat';
	var panel = el('section', { class: 'panel', id: panelId, role: 'dialog', 'aria-label': title, hidden: '' });
	var header = el('header');
	var avatar = el('img', { class: 'avatar', alt: '', hidden: '' });
	var heading = el('h2', {}, title);
	var close = el('button', { type: 'button', class: 'close', 'aria-label': 'Close chat' }, '\u00d7');
	header.appendChild(avatar);
	header.appendChild(heading);
	header.appendChild(close);
	var log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
	var status = el('div', { class: 'status', 'aria-live': 'polite' });
	var form = el('form');
	var label = el('label', { class: 'sr', for: 'agent-bridge-input' }, 'Type your message');
	var input = el('textarea', { id: 'agent-bridge-input', rows: '1', maxlength: '2000', placeholder: 'Type a message…', autocomplete: 'off' });
	var send = el('button', { type: 'submit', class: 'send' }, 'Send');
	form.appendChild(label);
	form.appendChild(input);
	form.appendChild(send);
	panel.appendChild(header);
	panel.appendChild(log);
	panel.appendChild(status);
	panel.appendChild(form);
	frame.appendChild(panel);
	frame.appendChild(bubble);
	root.appendChild(frame);
	setSide(script.getAttribute('data-position') === 'left' ? 'left' : 'right');

	var saved = read();
	var state = { token: saved.token, lastRead: saved.lastRead, cursor: '', seen: {}, unread: 0, sending: false, listening: false, timestamps: false };

	// The conversation survives reloads and returns after days: the token (a secret for this one conversation) is
	// kept in localStorage with when the visitor last wrote and the last message read, and dropped once the
	// server's session lifetime has passed since then.
	function read() {
		var none = { token: '', lastRead: '', lastActive: 0 };
		try {
			var raw = localStorage.getItem(storageKey);
			// A tab of an earlier version kept the token in sessionStorage: carry it over.
			var earlier = raw ? '' : sessionStorage.getItem(storageKey);
			var data = raw ? JSON.parse(raw) : earlier ? { token: earlier, lastActive: Date.now() } : none;
			if (!data.token) return none;
			if (Date.now() - (data.lastActive || 0) > lifetimeDays * DAY_MS) {
				localStorage.removeItem(storageKey);
				return none;
			}
			return { token: String(data.token), lastRead: String(data.lastRead || ''), lastActive: data.lastActive };
		} catch (e) {
			return none;
		}
	}
	function save(lastActive) {
		try {
			if (!state.token) return localStorage.removeItem(storageKey);
			var before = read();
			localStorage.setItem(storageKey, JSON.stringify({ token: state.token, lastRead: state.lastRead, lastActive: lastActive || before.lastActive || Date.now() }));
		} catch (e) {
			/* storage may be blocked; the session then lasts for this page only */
		}
	}
	function remember(token) {
		if ((token || '') !== state.token) state.lastRead = '';
		state.token = token || '';
		save(Date.now());
	}

	function setSide(side) {
		frame.className = side === 'left' ? 'left' : 'right';
	}
	function updateBadge() {
		badge.textContent = String(state.unread);
		badge.hidden = state.unread === 0;
		var what = panel.hidden ? 'Open chat' : 'Close chat';
		bubble.setAttribute('aria-label', state.unread && panel.hidden ? what + ', ' + state.unread + ' unread ' + (state.unread === 1 ? 'message' : 'messages') : what);
	}
	function markRead() {
		if (state.cursor > state.lastRead) state.lastRead = state.cursor;
		state.unread = 0;
		updateBadge();
		if (state.token) save();
	}
	function stamp(iso) {
		var d = new Date(iso);
		return el('time', { datetime: iso }, isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
	}

	/** The key's look from the server: colours, title, avatar, opening message, launcher side, timestamps. */
	function applyAppearance(config) {
		var a = config.appearance || {};
		if (config.sessionLifetimeDays) lifetimeDays = config.sessionLifetimeDays;
		if (a.accentColor) host.style.setProperty('--accent', a.accentColor);
		if (a.accentTextColor) host.style.setProperty('--on-accent', a.accentTextColor);
		if (!script.getAttribute('data-title')) {
			var name = a.title || config.name;
			if (name) {
				heading.textContent = name;
				panel.setAttribute('aria-label', name);
			}
		}
		if (!script.getAttribute('data-position') && a.position) setSide(a.position === 'bottom-left' ? 'left' : 'right');
		if (a.avatarPath) {
			avatar.src = server + a.avatarPath;
			avatar.hidden = false;
		}
		state.timestamps = !!a.timestamps;
		if (a.openingMessage && !log.querySelector('.msg')) {
			// Said by the widget before the visitor writes; not part of the stored conversation.
			log.appendChild(el('div', { class: 'msg agent opening' }, a.openingMessage));
		}
	}

	function show(messages) {
		for (var i = 0; i < messages.length; i++) {
			var m = messages[i];
			if (m.id > state.cursor) state.cursor = m.id;
			if (state.seen[m.id]) continue;
			state.seen[m.id] = true;
			var node = el('div', { class: 'msg ' + m.role, 'data-id': m.id }, m.text);
			if (m.role === 'human') node.setAttribute('data-who', 'Team member');
			if (state.timestamps && m.createdAt) node.appendChild(stamp(m.createdAt));
			log.appendChild(node);
			// Unread: what the agent or a person said since the visitor last had the chat open (kept across reloads).
			if (m.role !== 'contact' && panel.hidden && m.id > state.lastRead) state.unread += 1;
		}
		if (panel.hidden) updateBadge();
		else markRead();
		log.scrollTop = log.scrollHeight;
	}

	function api(method, path, body) {
		var headers = { 'content-type': 'application/json' };
		if (method === 'GET') {
			delete headers['content-type'];
			headers['x-widget-session'] = state.token;
		}
		return fetch(server + '/widget/v1' + path + (path.indexOf('?') < 0 ? '?' : '&') + 'key=' + encodeURIComponent(key), {
			method: method,
			headers: headers,
			body: body ? JSON.stringify(body) : undefined,
			credentials: 'omit',
		}).then(function (res) {
			return res.json().then(
				function (data) {
					return { status: res.status, data: data };
				},
				function () {
					return { status: res.status, data: {} };
				},
			);
		});
	}

	function sendMessage(text, retried) {
		state.sending = true;
		send.disabled = true;
		status.textContent = 'Typing…';
		var body = { agentId: agentId, text: text };
		if (state.token) body.sessionToken = state.token;
		return api('POST', '/messages', body)
			.then(function (r) {
				if (r.status === 404 && state.token && !retried) {
					// The session is gone (key rotated, data cleared): start a new one.
					remember('');
					return sendMessage(text, true);
				}
				if (r.status >= 400) {
					status.textContent = r.status === 429 ? 'You are sending messages too quickly. Please wait a moment.' : 'Sorry, the message could not be sent.';
					return;
				}
				status.textContent = '';
				remember(r.data.sessionToken);
				show(r.data.messages || []);
				listen();
			})
			.catch(function () {
				status.textContent = 'Connection problem. Please try again.';
			})
			.then(function () {
				state.sending = false;
				send.disabled = false;
			});
	}

	// One live stream (server-sent events, read with fetch so the session token goes in a header, never in the URL)
	// for messages a workflow or a person sends later, typing and status. A dropped stream reconnects with the last
	// message id it saw and catches up.
	function listen(delay) {
		if (state.listening || !state.token) return;
		state.listening = true;
		setTimeout(function () {
			var headers = { accept: 'text/event-stream', 'x-widget-session': state.token };
			if (state.cursor) headers['last-event-id'] = state.cursor;
			fetch(server + '/widget/v1/live?key=' + encodeURIComponent(key), { headers: headers, credentials: 'omit' })
				.then(function (res) {
					if (res.status === 404) {
						remember('');
						return 'stop';
					}
					if (!res.ok || !res.body) throw new Error('live ' + res.status);
					var reader = res.body.getReader();
					var decoder = new TextDecoder();
					var buffer = '';
					function pump() {
						return reader.read().then(function (chunk) {
							if (chunk.done) return 'closed';
							buffer += decoder.decode(chunk.value, { stream: true });
							var at;
							while ((at = buffer.indexOf('\n\n')) >= 0) {
								liveEvent(buffer.slice(0, at));
								buffer = buffer.slice(at + 2);
							}
							return pump();
						});
					}
					return pump();
				})
				.then(
					function (how) {
						state.listening = false;
						if (how !== 'stop') listen(1000);
					},
					function () {
						state.listening = false;
						listen(Math.min((delay || 1000) * 2, 30000));
					},
				);
		}, delay || 0);
	}

	function liveEvent(block) {
		var name = 'message';
		var data = '';
		block.split('\n').forEach(function (line) {
			if (line.indexOf('event:') === 0) name = line.slice(6).trim();
			else if (line.indexOf('data:') === 0) data += line.slice(5).trim();
		});
		if (!data) return;
		var payload;
		try {
			payload = JSON.parse(data);
		} catch (e) {
			return;
		}
		if (name === 'message') {
			show([payload]);
			if (payload.role !== 'contact' && !state.sending) status.textContent = '';
		} else if (name === 'typing' && !state.sending) {
			status.textContent = payload.active ? (payload.who === 'human' ? 'A team member is typing…' : 'Typing…') : '';
		}
	}

	function open() {
		panel.hidden = false;
		bubble.setAttribute('aria-expanded', 'true');
		markRead();
		input.focus();
		log.scrollTop = log.scrollHeight;
	}
	function shut() {
		panel.hidden = true;
		bubble.setAttribute('aria-expanded', 'false');
		updateBadge();
		bubble.focus();
	}

	bubble.addEventListener('click', function () {
		if (panel.hidden) open();
		else shut();
	});
	close.addEventListener('click', shut);
	panel.addEventListener('keydown', function (e) {
		if (e.key === 'Escape') shut();
	});
	input.addEventListener('keydown', function (e) {
		// Enter sends, Shift+Enter starts a new line.
		if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
			e.preventDefault();
			form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
		}
	});
	form.addEventListener('submit', function (e) {
		e.preventDefault();
		var text = input.value.trim();
		if (!text || state.sending) return;
		input.value = '';
		sendMessage(text);
	});

	// The config first, so history shown on a reload already has the key's timestamps setting.
	var configured = api('GET', '/agents/' + encodeURIComponent(agentId)).then(
		function (r) {
			if (r.status === 200) applyAppearance(r.data);
		},
		function () {
			/* the defaults stay */
		},
	);

	function mount() {
		document.body.appendChild(host);
		configured.then(function () {
			listen();
		});
	}
	if (document.body) mount();
	else document.addEventListener('DOMContentLoaded', mount);
})();
