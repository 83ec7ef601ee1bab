/* Agent Bridge console, management: widget keys and their appearance, subscriptions with their health, failed
 * deliveries with a replay button, agents with their validation errors, API keys. Each section calls the /v1 routes
 * of its own; one that the key may not call says so and the others still load. */
(function () {
	'use strict';
	var P = window.consolePages;
	var el = P.el;
	var api = window.consoleApi;
	var $ = function (id) {
		return document.getElementById(id);
	};
	var state = { editing: null, avatar: undefined };

	function button(label, onClick, attrs) {
		var b = el('button', Object.assign({ type: 'button' }, attrs || {}), [label]);
		b.addEventListener('click', onClick);
		return b;
	}
	function pill(text) {
		return el('span', { class: 'pill ' + text }, [text]);
	}
	function failed(container, err) {
		P.clear(container);
		container.appendChild(el('p', { class: 'errors' }, [err.status === 403 ? 'This key may not see this (an admin key may).' : 'Could not load: ' + err.message]));
	}

	// ---- widget keys: origins and appearance ----
	function loadWidgetKeys() {
		return api('GET', '/widget-keys').then(
			function (res) {
				var box = $('widget-keys');
				P.clear(box);
				box.appendChild(
					P.table(
						'',
						['Name', 'Key', 'Allowed origins', 'Created', ''],
						res.data.map(function (k) {
							return [
								k.name,
								el('code', null, [k.key]),
								el('ul', null, k.allowedOrigins.map(function (o) { return el('li', null, [o]); })),
								P.when(k.createdAt),
								el('span', null, [
									button('Settings', function () { editAppearance(k); }, { 'aria-label': 'Settings of ' + k.name }),
									' ',
									button('Revoke', function () { revokeWidgetKey(k); }, { class: 'secondary', 'aria-label': 'Revoke widget key ' + k.name }),
								]),
							];
						}),
						{ id: 'widget-keys-table', 'aria-label': 'Widget keys' },
					),
				);
			},
			function (err) {
				failed($('widget-keys'), err);
			},
		);
	}
	function revokeWidgetKey(k) {
		if (!confirm('Revoke widget key ' + k.name + '? Its widgets stop working at once.')) return;
		P.attempt(api('DELETE', '/widget-keys/' + encodeURIComponent(k.id)), 'Could not revoke').then(function () {
			P.status('Widget key ' + k.name + ' revoked.');
			loadWidgetKeys();
		});
	}
	$('widget-create').addEventListener('submit', function (e) {
		e.preventDefault();
		var origins = $('widget-origins').value.split(/[\s,]+/).filter(Boolean);
		var body = { allowedOrigins: origins };
		if ($('widget-name').value.trim()) body.name = $('widget-name').value.trim();
		P.attempt(api('POST', '/widget-keys', body), 'Could not create the widget key').then(function (k) {
			$('widget-origins').value = '';
			$('widget-name').value = '';
			P.status('Widget key ' + k.name + ' created.');
			loadWidgetKeys();
		});
	});

	function preview() {
		var header = $('ap-preview');
		header.style.background = $('ap-accent').value;
		header.style.color = $('ap-accent-text').value;
		$('ap-preview-title').textContent = $('ap-title').value || 'Chat';
	}
	function editAppearance(k) {
		P.attempt(api('GET', '/widget-keys/' + encodeURIComponent(k.id) + '/appearance'), 'Could not read the appearance').then(function (a) {
			state.editing = k;
			state.avatar = undefined;
			$('appearance-title').textContent = 'Settings of ' + k.name;
			$('ap-origins').value = k.allowedOrigins.join('\n');
			$('ap-title').value = a.title || '';
			$('ap-accent').value = a.accentColor;
			$('ap-accent-text').value = a.accentTextColor;
			$('ap-opening').value = a.openingMessage || '';
			$('ap-position').value = a.position;
			$('ap-timestamps').checked = a.timestamps;
			$('ap-avatar').value = '';
			$('ap-avatar-remove').checked = false;
			$('ap-preview-avatar').hidden = !a.avatar;
			if (a.avatar) $('ap-preview-avatar').src = a.avatar;
			$('appearance').hidden = false;
			preview();
			$('ap-title').focus();
		});
	}
	['ap-title', 'ap-accent', 'ap-accent-text'].forEach(function (id) {
		$(id).addEventListener('input', preview);
	});
	$('ap-avatar').addEventListener('change', function () {
		var file = $('ap-avatar').files[0];
		if (!file) return;
		var reader = new FileReader();
		reader.onload = function () {
			state.avatar = reader.result;
			$('ap-preview-avatar').src = reader.result;
			$('ap-preview-avatar').hidden = false;
		};
		reader.readAsDataURL(file);
	});
	$('ap-cancel').addEventListener('click', function () {
		$('appearance').hidden = true;
		state.editing = null;
	});
	$('appearance').addEventListener('submit', function (e) {
		e.preventDefault();
		var k = state.editing;
		if (!k) return;
		var body = {
			title: $('ap-title').value.trim() || null,
			accentColor: $('ap-accent').value,
			accentTextColor: $('ap-accent-text').value,
			openingMessage: $('ap-opening').value.trim() || null,
			position: $('ap-position').value,
			timestamps: $('ap-timestamps').checked,
		};
		if ($('ap-avatar-remove').checked) body.avatar = null;
		else if (state.avatar) body.avatar = state.avatar;
		var origins = $('ap-origins').value.split(/[\s,]+/).filter(Boolean);
		var path = '/widget-keys/' + encodeURIComponent(k.id);
		P.attempt(
			api('PATCH', path, { allowedOrigins: origins }).then(function () {
				return api('PATCH', path + '/appearance', body);
			}),
			'Not saved',
		).then(function () {
			P.status('Settings of ' + k.name + ' saved.');
			loadWidgetKeys();
		});
	});

	// ---- subscriptions and their health ----
	function loadSubscriptions() {
		return Promise.all([api('GET', '/subscriptions'), api('GET', '/subscriptions/health')]).then(
			function (res) {
				var health = {};
				res[1].data.forEach(function (h) {
					health[h.subscriptionId] = h;
				});
				var box = $('subscriptions');
				P.clear(box);
				if (!res[0].data.length) return box.appendChild(el('p', { class: 'muted' }, ['No subscriptions: activate a workflow with an Agent Bridge trigger.']));
				box.appendChild(
					P.table(
						'',
						['URL', 'Events', 'Health', 'Last delivery', 'Last failure', 'Failures in a row', 'Pending', 'Failed', ''],
						res[0].data.map(function (s) {
							var h = health[s.id] || {};
							return [
								el('code', null, [s.url]),
								s.events.join(', '),
								pill(h.status || 'healthy'),
								P.when(h.lastSuccessAt) || 'never',
								h.lastFailureAt ? P.when(h.lastFailureAt) + (h.lastFailure ? ' (' + h.lastFailure + ')' : '') : '',
								h.consecutiveFailures || 0,
								h.pending || 0,
								h.failed || 0,
								h.failed ? button('Replay failed', function () { replaySubscription(s); }, { class: 'secondary', 'aria-label': 'Replay the failed deliveries to ' + s.url }) : '',
							];
						}),
						{ id: 'subscriptions-table', 'aria-label': 'Subscriptions' },
					),
				);
			},
			function (err) {
				failed($('subscriptions'), err);
			},
		);
	}

	/** Every failed delivery of one subscription, queued again (same webhook-ids). */
	function replaySubscription(s) {
		P.attempt(api('POST', '/deliveries/replay', { subscriptionId: s.id }), 'Not replayed').then(function (r) {
			P.status(r.replayed + ' failed deliveries to ' + s.url + ' queued again.');
			setTimeout(function () {
				loadFailed();
				loadSubscriptions();
			}, 1500);
		});
	}

	// ---- failed deliveries ----
	function loadFailed() {
		// Failed deliveries, and delivered ones whose n8n execution failed or was lost (a redelivery runs them again).
		return Promise.all([
			api('GET', '/deliveries?status=failed&limit=200'),
			api('GET', '/subscriptions'),
			api('GET', '/deliveries?execution=failed&limit=200'),
			api('GET', '/deliveries?execution=lost&limit=200'),
		]).then(
			function (res) {
				var urls = {};
				res[1].data.forEach(function (s) {
					urls[s.id] = s.url;
				});
				var seen = {};
				var rows = res[0].data.concat(res[2].data, res[3].data).filter(function (d) {
					if (seen[d.id]) return false;
					seen[d.id] = true;
					return true;
				});
				var box = $('failed');
				P.clear(box);
				if (!rows.length) return box.appendChild(el('p', { class: 'muted', id: 'no-failed' }, ['No failed deliveries or executions.']));
				box.appendChild(
					P.table(
						'Failed deliveries and n8n executions',
						['Event', 'Destination', 'Attempts', 'What failed', 'At', 'Action'],
						rows.map(function (d) {
							var execution = d.execution && (d.execution.state === 'failed' || d.execution.state === 'lost') ? d.execution : null;
							var label = execution ? 'Redeliver' : 'Replay';
							var replay = button(label, function () {
								replayDelivery(d, replay);
							}, { 'aria-label': label + ' delivery ' + d.id, 'data-delivery': d.id });
							var what = execution
								? 'n8n execution ' + execution.state + ' (workflow ' + (execution.workflowName || execution.workflowId) + ')'
								: d.lastError || '';
							return [el('span', null, [d.eventType, el('br'), el('code', null, [d.eventId])]), el('code', null, [urls[d.subscriptionId] || d.subscriptionId]), d.attempts, what, P.when(d.updatedAt), replay];
						}),
						{ id: 'failed-table', 'aria-label': 'Failed deliveries and n8n executions' },
					),
				);
			},
			function (err) {
				failed($('failed'), err);
			},
		);
	}
	/**
	 * Queues the delivery again (a failed one with its webhook-id, one whose execution failed or was lost under a new one);
	 * the button stays disabled so a second click sends nothing twice.
	 */
	function replayDelivery(d, replay) {
		replay.disabled = true;
		api('POST', '/deliveries/' + encodeURIComponent(d.id) + '/replay').then(
			function () {
				replay.textContent = 'Queued';
				P.status('Delivery ' + d.id + ' queued again.');
				setTimeout(function () {
					loadFailed();
					loadSubscriptions();
				}, 1500);
			},
			function (err) {
				replay.disabled = err.status !== 409;
				P.status('Not replayed: ' + err.message);
			},
		);
	}

	// ---- agents and their validation errors ----
	function loadAgents() {
		return api('GET', '/agent-validation').then(
			function (res) {
				var box = $('agents');
				P.clear(box);
				box.appendChild(
					P.table(
						'',
						['Agent', 'Name', 'Source', 'In use', 'Problems'],
						res.data.map(function (a) {
							return [
								el('code', null, [a.agentId]),
								a.name || '',
								a.source === 'file' ? 'file' : 'API',
								a.inUse ? 'yes' : 'no',
								a.errors.length ? el('ul', { class: 'errors' }, a.errors.map(function (m) { return el('li', null, [m]); })) : 'none',
							];
						}),
						{ id: 'agents-table', 'aria-label': 'Agents' },
					),
				);
			},
			function (err) {
				failed($('agents'), err);
			},
		);
	}

	// ---- API keys ----
	function loadApiKeys() {
		return api('GET', '/api-keys').then(
			function (res) {
				var box = $('api-keys');
				P.clear(box);
				box.appendChild(
					P.table(
						'',
						['Name', 'Prefix', 'Scopes', 'Created', 'Revoked', ''],
						res.data.map(function (k) {
							return [
								k.name,
								el('code', null, [k.prefix + '…']),
								k.scopes.join(', '),
								P.when(k.createdAt),
								P.when(k.revokedAt),
								k.revokedAt ? '' : button('Revoke', function () { revokeApiKey(k); }, { class: 'secondary', 'aria-label': 'Revoke API key ' + k.name }),
							];
						}),
						{ id: 'api-keys-table', 'aria-label': 'API keys' },
					),
				);
			},
			function (err) {
				failed($('api-keys'), err);
			},
		);
	}
	function revokeApiKey(k) {
		if (!confirm('Revoke API key ' + k.name + '? Whatever uses it stops working at once.')) return;
		P.attempt(api('DELETE', '/api-keys/' + encodeURIComponent(k.id)), 'Could not revoke').then(function () {
			P.status('API key ' + k.name + ' revoked.');
			loadApiKeys();
		});
	}
	$('key-create').addEventListener('submit', function (e) {
		e.preventDefault();
		var scopes = Array.prototype.slice.call(document.querySelectorAll('input[name=scope]:checked')).map(function (i) {
			return i.value;
		});
		P.attempt(api('POST', '/api-keys', { name: $('key-name').value.trim(), scopes: scopes }), 'Could not create the key').then(function (k) {
			var out = $('new-key');
			out.hidden = false;
			out.textContent = 'New key ' + k.name + ' (shown once, copy it now): ' + k.key;
			$('key-name').value = '';
			loadApiKeys();
		});
	});

	Promise.all([loadWidgetKeys(), loadSubscriptions(), loadFailed(), loadAgents(), loadApiKeys()]).then(function () {
		document.body.setAttribute('data-loaded', 'true');
	});
})();
