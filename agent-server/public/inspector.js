/* Agent Bridge inspector: recent conversations, one conversation's timeline, and a test panel.
 * The API key stays in this tab's sessionStorage; every call goes to this server's /v1 API.
 * All text from the API is set with textContent, never parsed as HTML. */
(function () {
	'use strict';
	var KEY = 'agent-bridge-inspector-key';
	var $ = function (id) {
		return document.getElementById(id);
	};
	var state = { selected: '', agents: [], subscriptions: [], test: { conversationId: '' }, refreshTimer: 0 };

	function el(tag, attrs, children) {
		var node = document.createElement(tag);
		if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]);
		(children || []).forEach(function (c) {
			if (c === null || c === undefined) return;
			node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
		});
		return node;
	}
	var text = function (tag, value, attrs) {
		return el(tag, attrs, [String(value)]);
	};
	function clear(node) {
		while (node.firstChild) node.removeChild(node.firstChild);
	}
	function time(iso) {
		var d = new Date(iso);
		return text('time', isNaN(d) ? '' : d.toLocaleTimeString(), { datetime: iso });
	}

	function apiKey() {
		try {
			return sessionStorage.getItem(KEY) || '';
		} catch (e) {
			return '';
		}
	}

	function api(method, path, body) {
		return fetch('/v1' + path, {
			method: method,
			headers: Object.assign({ authorization: 'Bearer ' + apiKey() }, body ? { 'content-type': 'application/json' } : {}),
			body: body ? JSON.stringify(body) : undefined,
		}).then(function (res) {
			return res.text().then(function (raw) {
				var data = raw ? JSON.parse(raw) : {};
				if (!res.ok) {
					var err = new Error(data.message || res.statusText);
					err.status = res.status;
					throw err;
				}
				return data;
			});
		});
	}

	// ---- API key ----
	function connect() {
		return api('GET', '/workspace')
			.then(function (ws) {
				$('key-status').textContent = 'Workspace: ' + ws.name;
				$('forget').hidden = false;
				$('api-key').value = '';
				listen();
				return Promise.all([loadAgents(), loadSubscriptions()]).then(loadConversations);
			})
			.catch(function (err) {
				$('key-status').textContent = err.status === 401 ? 'That API key was refused.' : 'Could not reach the server: ' + err.message;
			});
	}
	$('key-form').addEventListener('submit', function (e) {
		e.preventDefault();
		var value = $('api-key').value.trim();
		if (!value) return;
		sessionStorage.setItem(KEY, value);
		connect();
	});
	// New messages and status changes are pushed by the server (/v1/live): the list and the open timeline follow them.
	var live = null;
	var liveTimer = 0;
	function listen() {
		if (live || !window.consoleLive) return;
		live = window.consoleLive('/live', {
			onEvent: function (name, data) {
				if (name === 'typing') return;
				clearTimeout(liveTimer);
				liveTimer = setTimeout(function () {
					loadConversations();
					if (data.conversationId === state.selected && !$('view-conversations').hidden) renderDetail(state.selected);
				}, 150);
			},
			onOpen: function () {
				loadConversations();
			},
			onUnauthorized: function () {
				live = null;
			},
		});
	}
	$('forget').addEventListener('click', function () {
		if (live) live.close();
		live = null;
		sessionStorage.removeItem(KEY);
		$('forget').hidden = true;
		$('key-status').textContent = 'Key forgotten.';
		clear($('conversation-list'));
		clear($('detail'));
	});

	// ---- tabs ----
	['conversations', 'test'].forEach(function (name) {
		$('tab-' + name).addEventListener('click', function () {
			['conversations', 'test'].forEach(function (other) {
				var on = other === name;
				$('tab-' + other).setAttribute('aria-selected', String(on));
				$('tab-' + other).tabIndex = on ? 0 : -1;
				$('view-' + other).hidden = !on;
			});
			if (name === 'conversations') loadConversations();
		});
	});

	// ---- agents and subscriptions ----
	function loadAgents() {
		return api('GET', '/agents').then(function (res) {
			state.agents = res.data;
			[$('filter-agent'), $('test-agent')].forEach(function (select, i) {
				clear(select);
				if (i === 0) select.appendChild(text('option', 'All', { value: '' }));
				res.data.forEach(function (a) {
					select.appendChild(text('option', a.name + ' (' + a.id + ')', { value: a.id }));
				});
			});
		});
	}
	function loadSubscriptions() {
		return api('GET', '/subscriptions').then(function (res) {
			state.subscriptions = res.data;
		});
	}
	var isTestUrl = function (url) {
		return url.indexOf('/webhook-test/') >= 0;
	};

	// ---- conversation list ----
	function loadConversations() {
		if (!apiKey()) return Promise.resolve();
		var q = [];
		if ($('filter-agent').value) q.push('agentId=' + encodeURIComponent($('filter-agent').value));
		if ($('filter-status').value) q.push('status=' + encodeURIComponent($('filter-status').value));
		q.push('limit=50');
		return api('GET', '/conversations?' + q.join('&')).then(function (res) {
			var list = $('conversation-list');
			clear(list);
			if (!res.data.length) list.appendChild(text('li', 'No conversations yet.', { class: 'empty' }));
			res.data.forEach(function (c) {
				var button = el('button', { type: 'button', 'data-id': c.id, 'aria-current': String(c.id === state.selected) }, [
					el('span', { class: 'meta' }, [c.agentId + ' · ' + c.channel + ' · ', text('span', c.status, { class: 'pill ' + c.status }), ' · ' + c.turns + (c.turns === 1 ? ' turn' : ' turns')]),
					text('span', c.lastMessage ? c.lastMessage.role + ': ' + c.lastMessage.text : '(no messages)', { class: 'last' }),
					text('span', c.id, { class: 'meta' }),
				]);
				button.addEventListener('click', function () {
					showConversation(c.id);
				});
				list.appendChild(el('li', null, [button]));
			});
		});
	}
	$('filters').addEventListener('submit', function (e) {
		e.preventDefault();
		loadConversations();
	});

	// ---- one conversation ----
	function showConversation(id) {
		state.selected = id;
		Array.prototype.forEach.call(document.querySelectorAll('.conversation-list button'), function (b) {
			b.setAttribute('aria-current', String(b.getAttribute('data-id') === id));
		});
		return renderDetail(id);
	}

	function renderDetail(id) {
		return Promise.all([api('GET', '/conversations/' + encodeURIComponent(id)), api('GET', '/conversations/' + encodeURIComponent(id) + '/deliveries')])
			.then(function (res) {
				if (state.selected !== id) return;
				drawDetail(res[0], res[1].data);
				clearTimeout(state.refreshTimer);
				// Workflow replies and delivery results arrive after the fact; keep the open timeline fresh.
				state.refreshTimer = setTimeout(function () {
					if (state.selected === id && !$('view-conversations').hidden) renderDetail(id);
				}, 4000);
			})
			.catch(function (err) {
				var detail = $('detail');
				clear(detail);
				detail.appendChild(text('p', 'Could not load ' + id + ': ' + err.message, { class: 'empty' }));
			});
	}

	function fact(label, value) {
		return el('div', null, [text('dt', label), el('dd', null, [value])]);
	}

	function drawDetail(c, deliveries) {
		var detail = $('detail');
		var scroll = detail.scrollTop;
		clear(detail);
		detail.appendChild(text('h2', 'Conversation ' + c.id));
		var facts = el('dl', { class: 'facts' }, [
			fact('Agent', c.agentId),
			fact('Channel', c.channel),
			fact('Status', text('span', c.status, { class: 'pill ' + c.status })),
			fact('Contact', c.contactId),
			fact('Turns', String(c.turns)),
			c.intent ? fact('Intent', c.intent) : null,
			c.ending ? fact('Ended', c.ending.reason + ' → ' + c.ending.outcome) : null,
		]);
		detail.appendChild(facts);
		var collected = Object.keys(c.collected || {});
		if (collected.length) {
			detail.appendChild(
				text(
					'p',
					'Collected: ' +
						collected
							.map(function (k) {
								return k + ' = ' + c.collected[k];
							})
							.join(', '),
					{ class: 'muted' },
				),
			);
		}
		(c.waits || []).forEach(function (w) {
			detail.appendChild(text('p', 'Waiting (' + w.state + ') for ' + w.fields.join(', ') + ' from ' + w.actionId + ' until ' + w.deadline, { class: 'muted' }));
		});

		var byEvent = {};
		deliveries.forEach(function (d) {
			(byEvent[d.eventId] = byEvent[d.eventId] || []).push(d);
		});
		detail.appendChild(text('h3', 'Timeline', { class: 'section-title' }));
		var list = el('ol', { class: 'timeline', 'aria-label': 'Timeline' });
		c.timeline.forEach(function (entry) {
			list.appendChild(timelineItem(entry, byEvent));
		});
		detail.appendChild(list);

		detail.appendChild(text('h3', 'Deliveries', { class: 'section-title' }));
		if (!deliveries.length) detail.appendChild(text('p', 'No deliveries for this conversation.', { class: 'muted' }));
		else {
			var table = el('table', { 'aria-label': 'Deliveries' }, [
				el('thead', null, [el('tr', null, ['Event', 'Destination', 'Status', 'Attempts', 'Last result', 'Next attempt', ''].map(function (h) {
					return text('th', h, { scope: 'col' });
				}))]),
			]);
			var body = el('tbody');
			deliveries.forEach(function (d) {
				body.appendChild(
					el('tr', null, [
						el('td', null, [d.eventType, el('br'), text('code', d.eventId)]),
						el('td', null, [text('code', d.url), d.testUrl ? ' (test URL)' : null]),
						el('td', null, [text('span', d.status, { class: 'pill ' + d.status })]),
						text('td', d.attempts),
						text('td', d.lastStatusCode ? 'HTTP ' + d.lastStatusCode : d.lastError || ''),
						el('td', null, d.status === 'pending' ? [time(d.nextAttemptAt), ' ', text('span', NEXT_ATTEMPT_WHY[d.nextAttemptReason] || '', { class: 'muted' })] : []),
						el('td', null, [d.status === 'delivered' ? null : retryButton(c.id, d)]),
					]),
				);
			});
			table.appendChild(body);
			detail.appendChild(table);
		}
		detail.appendChild(sendToTestSection(c.id));
		detail.scrollTop = scroll;
	}

	// Why a pending delivery is due when it is (docs/delivery.md, "When a pending delivery is tried next").
	var NEXT_ATTEMPT_WHY = {
		new: 'first attempt',
		schedule: 'retry schedule',
		'retry-after': 'receiver asked to wait',
		replay: 'replayed',
		'retry-now': 'retry now',
		'subscription-checked': 'n8n checked its subscription',
		'destination-delivered': 'destination accepted another delivery',
		probe: 'destination answers again',
	};

	// Retry now: a pending delivery goes at once, a failed one is reopened with the same webhook-id.
	function retryButton(conversationId, d) {
		var button = text('button', 'Retry now', { type: 'button', class: 'retry', 'data-delivery': d.id });
		button.addEventListener('click', function () {
			button.disabled = true;
			api('POST', '/deliveries/' + encodeURIComponent(d.id) + '/retry')
				.then(function () {
					return renderDetail(conversationId);
				})
				.catch(function (err) {
					button.disabled = false;
					button.title = err.message;
					button.textContent = 'Retry failed: ' + err.message;
				});
		});
		return button;
	}

	var EXECUTION_TITLES = { claimed: 'Taken by n8n', running: 'n8n execution running', succeeded: 'n8n execution succeeded', failed: 'n8n execution failed', lost: 'n8n execution lost' };
	function executionTitle(state) {
		return EXECUTION_TITLES[state] || 'n8n execution ' + state;
	}

	/** "workflow Lead Scoring · execution 42" with the execution's link into n8n's editor (http and https only). */
	function executionSummary(d) {
		var label = 'workflow ' + (d.workflowName || d.workflowId) + (d.executionId ? ' · execution ' + d.executionId : '');
		var safe = typeof d.url === 'string' && /^https?:\/\//.test(d.url);
		return el('span', { class: 'execution' }, [
			label + ' ',
			safe ? text('a', d.executionId ? 'open in n8n' : "open the workflow's executions", { href: d.url, target: '_blank', rel: 'noopener noreferrer', class: 'execution-link' }) : null,
		]);
	}

	function eventRow(cls, kind, summary, why, at) {
		return el('div', { class: 'event ' + cls }, [text('span', kind, { class: 'kind' }), summary, why ? text('span', ' — ' + why, { class: 'why' }) : null, time(at)]);
	}

	function describeFields(d) {
		var parts = [];
		Object.keys(d.collected || {}).forEach(function (k) {
			parts.push(k + ' = ' + d.collected[k]);
		});
		var contact = d.contact || {};
		['standard', 'custom'].forEach(function (group) {
			Object.keys(contact[group] || {}).forEach(function (k) {
				parts.push((group === 'custom' ? 'custom_field.' : 'contact.') + k + ' = ' + JSON.stringify(contact[group][k]));
			});
		});
		Object.keys(d.fields || {}).forEach(function (k) {
			parts.push(k + ' = ' + JSON.stringify(d.fields[k]));
		});
		return parts.join(', ') || JSON.stringify(d);
	}

	function timelineItem(entry, byEvent) {
		var d = entry.detail || {};
		var k = entry.kind;
		var li = el('li', { 'data-kind': k });
		if (k === 'message' || k === 'workflow.reply') {
			var role = d.role || 'agent';
			var who = role === 'contact' ? 'Contact' : role === 'human' ? 'Human' + (d.author ? ' (' + d.author + ')' : '') : k === 'workflow.reply' ? 'Agent (workflow reply)' : 'Agent' + (d.source && d.source !== 'engine' ? ' (' + d.source + ')' : '');
			li.className = role + '-row';
			li.appendChild(el('span', { class: 'who' }, [who, time(entry.at)]));
			li.appendChild(text('div', d.text || '', { class: 'bubble ' + role }));
			if (d.botQuiet) li.appendChild(text('span', 'bot quiet: ' + d.botQuiet, { class: 'who' }));
			return li;
		}
		var row;
		switch (k) {
			case 'action.fired': {
				var ds = byEvent[d.eventId] || [];
				row = eventRow('fired', '✓ Action fired: ' + (d.name || d.actionId), '', d.reason, entry.at);
				row.appendChild(
					text(
						'div',
						'event ' + d.eventId + ' · ' + (ds.length ? ds.map(function (x) {
							return x.status + (x.testUrl ? ' (test)' : '');
						}).join(', ') : (d.deliveries || 0) + ' deliveries') + (d.awaits ? ' · waits for ' + d.awaits.join(', ') : ''),
						{ class: 'why' },
					),
				);
				break;
			}
			case 'action.not_fired':
				row = eventRow('not-fired', '✗ Not fired: ' + (d.name || d.actionId), '', d.reason, entry.at);
				break;
			case 'action.suppressed':
				row = eventRow('not-fired', '⊘ Suppressed: ' + (d.name || d.actionId), '', d.reason, entry.at);
				break;
			case 'fields.updated':
				row = eventRow('info', 'Fields updated' + (d.by ? ' by ' + d.by : ''), describeFields(d), '', entry.at);
				break;
			case 'fields.rejected':
				row = eventRow(
					'warn',
					'Model values rejected',
					(d.rejected || []).map(function (r) {
						return r.field + ' = ' + JSON.stringify(r.value);
					}).join(', '),
					(d.rejected || []).map(function (r) {
						return r.reason;
					}).join('; '),
					entry.at,
				);
				break;
			case 'tag.added':
			case 'tag.removed':
				row = eventRow('info', (k === 'tag.added' ? 'Tag added: ' : 'Tag removed: ') + d.tag, d.addedBy ? 'by ' + d.addedBy : '', d.why || d.suppressed, entry.at);
				break;
			case 'loop.blocked':
				row = eventRow('warn', '🔒 Loop locked: ' + (d.actionId || d.eventType), 'depth ' + d.depth, d.reason, entry.at);
				break;
			case 'delivery':
				row = eventRow(
					d.status === 'failed' ? 'warn' : 'info',
					'Delivery ' + d.status,
					d.eventType + ' attempt ' + d.attempt + (d.attemptedEarly ? ' (early: ' + d.attemptedEarly + ')' : ''),
					[d.error || (d.statusCode ? 'HTTP ' + d.statusCode : ''), d.nextAttemptAt ? 'next attempt ' + new Date(d.nextAttemptAt).toLocaleTimeString() + ': ' + d.nextAttemptWhy : '']
						.filter(Boolean)
						.join('; '),
					entry.at,
				);
				break;
			case 'execution':
				row = eventRow(
					d.state === 'failed' || d.state === 'lost' ? 'warn' : 'info',
					executionTitle(d.state),
					executionSummary(d),
					d.error || (d.stoppedAt ? 'ended ' + new Date(d.stoppedAt).toLocaleTimeString() : ''),
					entry.at,
				);
				break;
			case 'message.delivery':
				row = eventRow(
					d.status === 'delivered' ? 'info' : 'warn',
					d.status === 'failed' ? 'Not delivered to the contact' : d.status === 'retrying' ? 'Refused for now, sent again' : 'Delivered to the contact',
					'on ' + d.channel + ' · message ' + d.messageId + (d.previously ? ' (was ' + d.previously + ')' : ''),
					[d.reason, d.retry ? 'retry ' + d.retry + ' at ' + new Date(d.retryAt).toLocaleTimeString() : '', d.notRetried ? 'not retried: ' + d.notRetried : '']
						.filter(Boolean)
						.join('; '),
					entry.at,
				);
				break;
			case 'wait.fulfilled':
			case 'wait.timed_out':
			case 'wait.late_result':
				row = eventRow(k === 'wait.timed_out' ? 'warn' : 'info', k === 'wait.fulfilled' ? 'Wait fulfilled' : k === 'wait.timed_out' ? 'Wait timed out' : 'Late result sent', 'fields ' + (d.fields || []).join(', '), d.waitedMs !== undefined ? d.waitedMs + ' ms' : '', entry.at);
				break;
			case 'handoff':
				row = eventRow('warn', 'Handed off to a human', d.by ? 'by ' + d.by : '', d.reason, entry.at);
				break;
			case 'handoff.released':
				row = eventRow('info', 'Bot resumed', d.by ? 'by ' + d.by : '', d.reason, entry.at);
				break;
			case 'handoff.claimed':
				row = eventRow('info', 'Claimed', 'by ' + d.assignee, '', entry.at);
				break;
			case 'note':
				row = eventRow('info', 'Internal note', d.author ? 'by ' + d.author : '', d.text, entry.at);
				break;
			case 'conversation.ended':
				row = eventRow('info', 'Conversation ended', d.reason + ' → ' + d.outcome, d.outcomeRule, entry.at);
				break;
			case 'conversation.started':
				row = eventRow('info', 'Conversation started', 'by ' + d.by, '', entry.at);
				break;
			case 'engine.failed':
			case 'engine.fallback':
				row = eventRow('warn', k === 'engine.failed' ? 'Engine failed, fallback reply' : 'Fallback reply', '', d.error || d.reason, entry.at);
				break;
			case 'disclosure.blocked':
				row = eventRow('warn', 'Disclosure blocked', JSON.stringify(d.fields), '', entry.at);
				break;
			case 'workflow.reply_skipped':
				row = eventRow('not-fired', 'Workflow reply skipped', '', d.reason, entry.at);
				break;
			case 'events.sent_to_test':
				row = eventRow('info', 'Events sent to test URL', d.deliveries + ' to ' + d.url, '', entry.at);
				break;
			default:
				row = eventRow('info', k, JSON.stringify(d), '', entry.at);
		}
		li.appendChild(row);
		return li;
	}

	function sendToTestSection(conversationId) {
		var section = el('section', { 'aria-label': 'Send to a workflow test URL' });
		section.appendChild(text('h3', "Send this conversation's events to a workflow test URL", { class: 'section-title' }));
		var tests = state.subscriptions.filter(function (s) {
			return isTestUrl(s.url);
		});
		if (!tests.length) {
			section.appendChild(
				text('p', 'No test URL is listening. In n8n, open the workflow and click "Listen for test event" on its Agent Bridge trigger, then refresh.', { class: 'muted' }),
			);
		}
		var select = el('select', { id: 'test-subscription', 'aria-label': 'Test subscription' });
		tests.forEach(function (s) {
			select.appendChild(text('option', s.url + ' (' + s.events.join(', ') + ')', { value: s.id }));
		});
		var button = text('button', 'Send events', { type: 'button', id: 'send-events' });
		var refresh = text('button', 'Refresh list', { type: 'button', class: 'secondary' });
		var result = el('span', { role: 'status', class: 'muted' });
		button.disabled = !tests.length;
		select.hidden = !tests.length;
		button.hidden = !tests.length;
		button.addEventListener('click', function () {
			button.disabled = true;
			api('POST', '/conversations/' + encodeURIComponent(conversationId) + '/events/send', { subscriptionId: select.value })
				.then(function (r) {
					result.textContent = r.queued + ' event(s) queued for the test URL.';
				})
				.catch(function (err) {
					result.textContent = err.message;
				})
				.then(function () {
					button.disabled = false;
				});
		});
		refresh.addEventListener('click', function () {
			loadSubscriptions().then(function () {
				renderDetail(conversationId);
			});
		});
		section.appendChild(el('div', { class: 'send-test' }, [select, button, refresh, result]));
		return section;
	}

	// ---- test panel ----
	function resetTest() {
		state.test.conversationId = '';
		clear($('test-log'));
		$('test-conversation').textContent = 'A new conversation starts with the next message.';
	}
	$('test-new').addEventListener('click', resetTest);
	$('test-agent').addEventListener('change', resetTest);
	$('test-text').addEventListener('keydown', function (e) {
		if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
			e.preventDefault();
			$('test-send').requestSubmit();
		}
	});
	$('test-send').addEventListener('submit', function (e) {
		e.preventDefault();
		var message = $('test-text').value.trim();
		if (!message) return;
		var log = $('test-log');
		var body = { agentId: $('test-agent').value, text: message, channel: 'test' };
		if (state.test.conversationId) body.conversationId = state.test.conversationId;
		$('test-text').value = '';
		log.appendChild(text('div', message, { class: 'bubble contact' }));
		$('test-status').textContent = 'Waiting for the agent…';
		api('POST', '/chat', body)
			.then(function (r) {
				state.test.conversationId = r.conversation.id;
				var link = text('button', 'Open timeline of ' + r.conversation.id, { type: 'button', class: 'secondary' });
				link.addEventListener('click', function () {
					$('tab-conversations').click();
					showConversation(r.conversation.id);
				});
				clear($('test-conversation'));
				$('test-conversation').appendChild(link);
				var actions = el('ul', { class: 'turn-actions', 'aria-label': 'Actions this turn' });
				r.actions.forEach(function (a) {
					actions.appendChild(text('li', (a.fired ? '✓ fired: ' : '✗ not fired: ') + a.name + ' — ' + a.reason, { class: a.fired ? 'fired' : 'not-fired' }));
				});
				log.appendChild(actions);
				if (r.waited) log.appendChild(text('div', 'waited ' + r.waited.waitedMs + ' ms for ' + r.waited.fields.join(', ') + (r.waited.arrived ? '' : ' (timed out)'), { class: 'muted' }));
				log.appendChild(text('div', r.reply ? r.reply.text : '(no reply: ' + r.conversation.status + ')', { class: 'bubble agent' }));
				log.scrollTop = log.scrollHeight;
				$('test-status').textContent = '';
			})
			.catch(function (err) {
				$('test-status').textContent = 'Error: ' + err.message;
			});
	});

	// Save as test: the conversation, with its outcomes as expectations, downloaded as a file for `agent-bridge test`.
	$('test-save').addEventListener('click', function () {
		var id = state.test.conversationId;
		if (!id) {
			$('test-status').textContent = 'Talk to the agent first: there is no conversation to save yet.';
			return;
		}
		api('GET', '/conversations/' + encodeURIComponent(id) + '/test')
			.then(function (saved) {
				var link = el('a', { href: URL.createObjectURL(new Blob([saved.yaml], { type: 'application/yaml' })), download: saved.fileName });
				document.body.appendChild(link);
				link.click();
				link.remove();
				$('test-status').textContent = 'Saved ' + saved.fileName + ': put it beside the agent files and run agent-bridge test.';
			})
			.catch(function (err) {
				$('test-status').textContent = 'Error: ' + err.message;
			});
	});

	if (apiKey()) connect();
	resetTest();
})();
