/* Agent Bridge console inbox: conversations waiting for a person first, claim, reply as a person, hand back, end,
 * internal notes, and the contact's panel. Updated live from /v1/live. All text from the API is set with
 * textContent, never parsed as HTML. */
(function () {
	'use strict';
	var api = window.consoleApi;
	var $ = function (id) {
		return document.getElementById(id);
	};
	var state = { user: '', selected: '', detail: null, contact: null, agents: {}, typingSentAt: 0, refreshTimer: 0, typingTimer: 0 };

	function el(tag, attrs, children) {
		var node = document.createElement(tag);
		if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) node.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
		(children || []).forEach(function (c) {
			if (c === null || c === undefined) return;
			node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
		});
		return node;
	}
	function clear(node) {
		while (node.firstChild) node.removeChild(node.firstChild);
	}
	function announce(text) {
		$('announce').textContent = text;
	}
	function waited(since) {
		var minutes = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 60000));
		if (minutes < 1) return 'waiting < 1 min';
		if (minutes < 60) return 'waiting ' + minutes + ' min';
		var hours = Math.floor(minutes / 60);
		return 'waiting ' + hours + ' h ' + (minutes % 60) + ' min';
	}
	function when(iso) {
		var d = new Date(iso);
		return el('time', { datetime: iso }, [isNaN(d) ? '' : d.toLocaleTimeString()]);
	}
	function fail(err) {
		announce('Error: ' + err.message);
		var box = $('conversation').querySelector('.error');
		if (box) box.textContent = err.message;
	}
	function person() {
		return state.user || 'Team member';
	}

	// ---- the queue ----
	function item(c) {
		var name = c.contactName || c.contactId;
		var meta = [c.agentId, c.channel];
		var button = el('button', { type: 'button', 'data-id': c.id, 'aria-current': c.id === state.selected ? 'true' : 'false' }, [
			el('strong', {}, [name]),
			el('span', { class: 'meta' }, [meta.join(' · ') + ' · ', el('span', { class: 'pill ' + c.status }, [c.status])]),
			c.waitingSince ? el('span', { class: 'meta waiting' }, [waited(c.waitingSince)]) : null,
			c.assignee ? el('span', { class: 'meta assignee' }, ['claimed by ' + c.assignee]) : null,
			c.lastMessage ? el('span', { class: 'last' }, [c.lastMessage.role + ': ' + c.lastMessage.text]) : null,
		]);
		button.addEventListener('click', function () {
			select(c.id, true);
		});
		return el('li', {}, [button]);
	}
	function loadInbox() {
		return api('GET', '/inbox').then(function (data) {
			var needs = $('needs-human');
			var recent = $('recent');
			clear(needs);
			clear(recent);
			data.needsHuman.forEach(function (c) {
				needs.appendChild(item(c));
			});
			data.recent.forEach(function (c) {
				recent.appendChild(item(c));
			});
			if (!data.needsHuman.length) needs.appendChild(el('li', { class: 'muted' }, ['Nobody is waiting.']));
			if (!data.recent.length) recent.appendChild(el('li', { class: 'muted' }, ['No open conversations.']));
		}, fail);
	}
	// Many events in a burst make one refresh.
	function refreshSoon() {
		clearTimeout(state.refreshTimer);
		state.refreshTimer = setTimeout(function () {
			loadInbox();
			if (state.selected) loadConversation();
		}, 150);
	}

	// ---- one conversation ----
	function select(id, focus) {
		state.selected = id;
		history.replaceState(null, '', '/console?conversation=' + encodeURIComponent(id));
		Array.prototype.forEach.call(document.querySelectorAll('.queue button[data-id]'), function (b) {
			b.setAttribute('aria-current', b.getAttribute('data-id') === id ? 'true' : 'false');
		});
		return loadConversation().then(function () {
			if (focus) $('conversation').focus();
		});
	}

	function loadConversation() {
		var id = state.selected;
		return api('GET', '/conversations/' + encodeURIComponent(id)).then(function (detail) {
			if (id !== state.selected) return;
			state.detail = detail;
			renderConversation(detail);
			if (!state.contact || state.contact.id !== detail.contactId) loadContact(detail.contactId);
			return agentOf(detail.agentId).then(function (agent) {
				fillOutcomes(agent);
			});
		}, fail);
	}

	function agentOf(id) {
		if (state.agents[id]) return Promise.resolve(state.agents[id]);
		return api('GET', '/agents/' + encodeURIComponent(id)).then(
			function (agent) {
				state.agents[id] = agent;
				return agent;
			},
			function () {
				return { outcomes: ['booked', 'interested', 'browsing', 'negative'] };
			},
		);
	}

	function fillOutcomes(agent) {
		var select = $('end-outcome');
		if (!select) return;
		clear(select);
		(agent.outcomes || []).forEach(function (o) {
			select.appendChild(el('option', { value: o }, [o]));
		});
	}

	function messageRow(m) {
		var who = m.role === 'contact' ? 'Contact' : m.role === 'human' ? 'Person' : m.source === 'workflow' ? 'Workflow' : 'Agent';
		return el('li', { class: m.role === 'contact' ? 'contact-row' : '', 'data-message': m.id }, [
			el('span', { class: 'who' }, [who, when(m.createdAt)]),
			el('div', { class: 'bubble ' + m.role }, [m.text]),
			m.delivery ? el('span', { class: 'delivery ' + m.delivery.status }, [deliveryText(m.delivery)]) : null,
		]);
	}

	// What the channel reported for a message to the contact (a message without a report is still on its way).
	function deliveryText(d) {
		if (d.status === 'delivered') return 'Delivered' + (d.retries ? ' after ' + d.retries + (d.retries > 1 ? ' retries' : ' retry') : '');
		if (d.status === 'retrying') return 'Not delivered yet: ' + d.reason + ' (retry ' + d.retries + ' at ' + new Date(d.retryAt).toLocaleTimeString() + ')';
		return 'Not delivered: ' + d.reason;
	}

	var EXECUTION_WORDS = { claimed: 'taken by n8n', running: 'running in n8n', succeeded: 'succeeded in n8n', failed: 'failed in n8n', lost: 'lost in n8n' };

	// A workflow run for this conversation: its state, workflow and a link to the execution in n8n's editor.
	function executionRow(t) {
		var d = t.detail || {};
		var link = typeof d.url === 'string' && /^https?:\/\//.test(d.url) ? el('a', { href: d.url, target: '_blank', rel: 'noopener noreferrer', class: 'execution-link' }, [d.executionId ? 'execution ' + d.executionId : 'executions']) : null;
		return el('li', { class: 'execution ' + (d.state || ''), 'data-kind': 'execution' }, [
			el('span', { class: 'who' }, ['Workflow ' + (d.workflowName || d.workflowId || '') + ' ' + (EXECUTION_WORDS[d.state] || d.state), when(t.at)]),
			el('div', {}, [d.error ? String(d.error) + ' ' : '', link]),
		]);
	}

	function entries(detail) {
		// Messages and internal notes in time order.
		var list = detail.messages.map(function (m) {
			return { at: m.createdAt, node: messageRow(m) };
		});
		detail.timeline.forEach(function (t) {
			if (t.kind === 'execution') return list.push({ at: t.at, node: executionRow(t) });
			if (t.kind !== 'note') return;
			list.push({
				at: t.at,
				node: el('li', { class: 'note', 'data-kind': 'note' }, [el('span', { class: 'who' }, ['Internal note by ' + (t.detail.author || 'someone'), when(t.at)]), el('div', {}, [String(t.detail.text)])]),
			});
		});
		return list
			.sort(function (a, b) {
				return a.at < b.at ? -1 : a.at > b.at ? 1 : 0;
			})
			.map(function (e) {
				return e.node;
			});
	}

	function renderConversation(d) {
		var pane = $('conversation');
		var keep = {
			reply: $('reply-text') ? $('reply-text').value : '',
			note: $('note-text') ? $('note-text').value : '',
			focus: document.activeElement && document.activeElement.id,
		};
		clear(pane);
		var open = d.status !== 'ended';
		var mine = d.assignee === person();
		pane.appendChild(
			el('h2', {}, [
				'Conversation ',
				el('code', {}, [d.id]),
				el('span', { class: 'pill ' + d.status }, [d.status]),
				d.assignee ? el('span', { class: 'assignee' }, ['claimed by ' + d.assignee]) : null,
			]),
		);
		pane.appendChild(el('p', { class: 'muted' }, ['Agent ' + d.agentId + ' · channel ' + d.channel + ' · ' + d.turns + ' turns', d.ending ? ' · ended: ' + d.ending.outcome : '']));

		var actions = el('div', { class: 'actions' });
		if (open && !mine) actions.appendChild(button('Claim', d.assignee ? 'Claimed by ' + d.assignee : '', claim, Boolean(d.assignee)));
		if (open && d.status === 'human') actions.appendChild(button('Hand back to the agent', '', handBack));
		if (open) {
			var outcome = el('select', { id: 'end-outcome', 'aria-label': 'Outcome' });
			actions.appendChild(el('label', { for: 'end-outcome', class: 'muted' }, ['Outcome']));
			actions.appendChild(outcome);
			actions.appendChild(button('End conversation', '', end));
		}
		pane.appendChild(actions);
		pane.appendChild(el('p', { class: 'error', role: 'alert' }));

		var log = el('ol', { class: 'log', id: 'messages', 'aria-label': 'Messages and notes' }, entries(d));
		pane.appendChild(log);
		pane.appendChild(el('p', { class: 'typing', id: 'typing', 'aria-live': 'polite' }));

		if (open) {
			var reply = el('form', { class: 'compose', id: 'reply-form' }, [
				el('label', { for: 'reply-text' }, ['Reply to the contact as ' + person()]),
				el('textarea', { id: 'reply-text', maxlength: '4000', required: true }),
				el('div', { class: 'row' }, [el('button', { type: 'submit' }, ['Send reply'])]),
			]);
			reply.addEventListener('submit', sendReply);
			pane.appendChild(reply);
			var text = reply.querySelector('textarea');
			text.value = keep.reply;
			text.addEventListener('input', typing);
			text.addEventListener('keydown', function (e) {
				if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) sendReply(e);
			});
		}
		var note = el('form', { class: 'compose', id: 'note-form' }, [
			el('label', { for: 'note-text' }, ['Internal note (never shown to the contact)']),
			el('textarea', { id: 'note-text', maxlength: '4000', required: true }),
			el('div', { class: 'row' }, [el('button', { type: 'submit', class: 'secondary' }, ['Add note'])]),
		]);
		note.addEventListener('submit', addNote);
		pane.appendChild(note);
		note.querySelector('textarea').value = keep.note;
		if (keep.focus && $(keep.focus)) $(keep.focus).focus();
		log.scrollTop = log.scrollHeight;
	}

	function button(label, title, onClick, disabled) {
		var b = el('button', { type: 'button', title: title || undefined, disabled: disabled ? true : undefined }, [label]);
		b.addEventListener('click', onClick);
		return b;
	}

	function act(method, path, body, done) {
		return api(method, '/conversations/' + encodeURIComponent(state.selected) + path, body).then(function (r) {
			if (done) announce(done);
			refreshSoon();
			return r;
		}, fail);
	}
	function claim() {
		act('POST', '/claim', { assignee: person() }, 'You claimed the conversation.');
	}
	function handBack() {
		act('POST', '/release', undefined, 'Handed back to the agent.');
	}
	function end() {
		var outcome = $('end-outcome') && $('end-outcome').value;
		act('POST', '/end', outcome ? { outcome: outcome } : undefined, 'Conversation ended.');
	}
	function sendReply(e) {
		e.preventDefault();
		var box = $('reply-text');
		var text = box.value.trim();
		if (!text) return;
		act('POST', '/human-replies', { text: text, author: person() }, 'Reply sent.').then(function (r) {
			if (r) box.value = '';
		});
		stopTyping();
	}
	function addNote(e) {
		e.preventDefault();
		var box = $('note-text');
		var text = box.value.trim();
		if (!text) return;
		act('POST', '/notes', { text: text, author: person() }, 'Note added.').then(function (r) {
			if (r) box.value = '';
		});
	}
	// The contact sees "a team member is typing" while a person writes: at most one signal every 3 s.
	function typing() {
		var now = Date.now();
		if (now - state.typingSentAt > 3000) {
			state.typingSentAt = now;
			api('POST', '/conversations/' + encodeURIComponent(state.selected) + '/typing', { active: true }).catch(function () {});
		}
		clearTimeout(state.typingTimer);
		state.typingTimer = setTimeout(stopTyping, 5000);
	}
	function stopTyping() {
		clearTimeout(state.typingTimer);
		if (!state.typingSentAt || !state.selected) return;
		state.typingSentAt = 0;
		api('POST', '/conversations/' + encodeURIComponent(state.selected) + '/typing', { active: false }).catch(function () {});
	}

	// ---- the contact panel ----
	var STANDARD = [
		['firstName', 'First name'],
		['lastName', 'Last name'],
		['email', 'Email'],
		['phone', 'Phone'],
	];
	function loadContact(id) {
		return Promise.all([
			api('GET', '/contacts/' + encodeURIComponent(id)),
			api('GET', '/contacts/' + encodeURIComponent(id) + '/identities'),
			api('GET', '/contacts/' + encodeURIComponent(id) + '/conversations'),
		]).then(function (r) {
			state.contact = r[0];
			renderContact(r[0], r[1].data, r[2].data);
		}, fail);
	}

	function renderContact(c, identities, past) {
		var panel = $('contact');
		clear(panel);
		panel.appendChild(el('h2', {}, [[c.firstName, c.lastName].filter(Boolean).join(' ') || 'Contact ' + c.id]));
		var form = el('form', { id: 'contact-form', 'aria-label': 'Contact fields' });
		STANDARD.forEach(function (f) {
			form.appendChild(el('label', { for: 'contact-' + f[0] }, [f[1]]));
			form.appendChild(el('input', { id: 'contact-' + f[0], name: f[0], value: c[f[0]] || '' }));
		});
		Object.keys(c.customFields || {}).forEach(function (name) {
			form.appendChild(el('label', { for: 'custom-' + name }, [name]));
			form.appendChild(el('input', { id: 'custom-' + name, 'data-custom': name, value: String(c.customFields[name] === null ? '' : c.customFields[name]) }));
		});
		form.appendChild(el('label', { for: 'custom-new-name' }, ['New field (name and value)']));
		form.appendChild(el('input', { id: 'custom-new-name', placeholder: 'field_name', pattern: '[a-z][a-z0-9_]*' }));
		form.appendChild(el('input', { id: 'custom-new-value', 'aria-label': 'New field value' }));
		form.appendChild(el('button', { type: 'submit' }, ['Save fields']));
		form.addEventListener('submit', saveContact);
		panel.appendChild(form);

		panel.appendChild(el('h3', { class: 'section-title', id: 'tags-title' }, ['Tags']));
		var tags = el('ul', { class: 'tags', 'aria-labelledby': 'tags-title' });
		(c.tags || []).forEach(function (t) {
			var remove = el('button', { type: 'button', class: 'secondary', 'aria-label': 'Remove tag ' + t }, [t + ' ×']);
			remove.addEventListener('click', function () {
				api('DELETE', '/contacts/' + encodeURIComponent(c.id) + '/tags/' + encodeURIComponent(t)).then(function () {
					announce('Tag ' + t + ' removed.');
					loadContact(c.id);
				}, fail);
			});
			tags.appendChild(el('li', {}, [remove]));
		});
		panel.appendChild(tags);
		var addTag = el('form', { class: 'search', id: 'tag-form' }, [
			el('label', { for: 'tag-new' }, ['Add a tag']),
			el('input', { id: 'tag-new', required: true, maxlength: '100' }),
			el('button', { type: 'submit' }, ['Add']),
		]);
		addTag.addEventListener('submit', function (e) {
			e.preventDefault();
			var tag = $('tag-new').value.trim();
			if (!tag) return;
			api('POST', '/contacts/' + encodeURIComponent(c.id) + '/tags', { tags: [tag] }).then(function () {
				announce('Tag ' + tag + ' added.');
				loadContact(c.id);
			}, fail);
		});
		panel.appendChild(addTag);

		panel.appendChild(el('h3', { class: 'section-title' }, ['Identities']));
		panel.appendChild(
			el(
				'ul',
				{ class: 'plain', 'aria-label': 'Identities' },
				identities.length
					? identities.map(function (i) {
							return el('li', {}, [i.channel + ': ' + i.address]);
						})
					: [el('li', { class: 'muted' }, ['None'])],
			),
		);
		panel.appendChild(el('h3', { class: 'section-title' }, ['Conversations']));
		panel.appendChild(
			el(
				'ul',
				{ class: 'plain', 'aria-label': 'Past conversations' },
				past.map(function (p) {
					var open = el('button', { type: 'button' }, [new Date(p.createdAt).toLocaleDateString() + ' · ' + p.agentId + ' · ' + p.status + (p.outcome ? ' (' + p.outcome + ')' : '')]);
					open.addEventListener('click', function () {
						select(p.id, true);
					});
					return el('li', { 'aria-current': p.id === state.selected ? 'true' : undefined }, [open]);
				}),
			),
		);
	}

	function saveContact(e) {
		e.preventDefault();
		var c = state.contact;
		var body = { customFields: {} };
		STANDARD.forEach(function (f) {
			var value = $('contact-' + f[0]).value.trim();
			if (value !== (c[f[0]] || '')) body[f[0]] = value || null;
		});
		Array.prototype.forEach.call($('contact-form').querySelectorAll('[data-custom]'), function (input) {
			var name = input.getAttribute('data-custom');
			if (input.value !== String(c.customFields[name] === null ? '' : c.customFields[name])) body.customFields[name] = input.value;
		});
		var newName = $('custom-new-name').value.trim();
		if (newName) body.customFields[newName] = $('custom-new-value').value;
		api('PATCH', '/contacts/' + encodeURIComponent(c.id), body).then(function () {
			announce('Contact saved.');
			loadContact(c.id);
		}, fail);
	}

	// ---- search ----
	$('search').addEventListener('submit', function (e) {
		e.preventDefault();
		var q = $('search-q').value.trim();
		var list = $('search-results');
		clear(list);
		if (!q) {
			list.hidden = true;
			return;
		}
		api('GET', '/contacts/search?q=' + encodeURIComponent(q) + '&limit=20').then(function (r) {
			list.hidden = false;
			if (!r.data.length) list.appendChild(el('li', { class: 'muted' }, ['No contact found.']));
			r.data.forEach(function (c) {
				var b = el('button', { type: 'button' }, [
					el('strong', {}, [[c.firstName, c.lastName].filter(Boolean).join(' ') || c.id]),
					el('span', { class: 'meta' }, [[c.email, c.phone].filter(Boolean).join(' · ')]),
				]);
				b.addEventListener('click', function () {
					loadContact(c.id).then(function () {
						$('contact').focus();
					});
				});
				list.appendChild(el('li', {}, [b]));
			});
			announce(r.data.length + ' contacts found.');
		}, fail);
	});
	$('contact').setAttribute('tabindex', '-1');

	// ---- live ----
	function onEvent(name, data) {
		if (name === 'typing') {
			if (data.conversationId === state.selected && $('typing')) {
				var who = data.who === 'human' ? (data.by && data.by !== person() ? data.by : '') : 'The agent';
				if (who) $('typing').textContent = data.active ? who + ' is typing…' : '';
			}
			return;
		}
		if (name === 'message' && data.conversationId === state.selected && $('messages') && state.detail) {
			if (!$('messages').querySelector('[data-message="' + data.message.id + '"]')) {
				$('messages').appendChild(messageRow(data.message));
				$('messages').scrollTop = $('messages').scrollHeight;
				if (data.message.role !== 'contact') $('typing').textContent = '';
				if (data.message.role === 'contact') announce('New message from the contact.');
			}
		}
		refreshSoon();
	}

	// ---- start ----
	$('logout').addEventListener('click', function () {
		fetch('/console/logout', { method: 'POST', headers: { 'x-agent-bridge-console': '1' }, credentials: 'same-origin' }).then(function () {
			location.assign('/console/login');
		});
	});

	function start(session) {
		state.user = session.user;
		$('who').textContent = session.workspace + ' · ' + session.user;
		var wanted = new URLSearchParams(location.search).get('conversation');
		loadInbox().then(function () {
			if (wanted) select(wanted, false);
		});
		window.consoleLive('/live', { onEvent: onEvent, onOpen: refreshSoon });
		setInterval(loadInbox, 30000);
	}

	fetch('/console/session', { credentials: 'same-origin' })
		.then(function (res) {
			return res.ok ? res.json() : null;
		})
		.then(function (session) {
			if (session) return start({ workspace: session.workspace.name, user: session.user });
			// A key the inspector keeps in this tab works too.
			if (!api.headers().authorization) return api.toLogin();
			return api('GET', '/workspace').then(function (w) {
				start({ workspace: w.name, user: 'Team member' });
			});
		});
})();
