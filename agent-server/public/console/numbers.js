/* Agent Bridge console, numbers: per agent and day from GET /v1/stats, as totals, charts (uPlot, served by this
 * server) and the same numbers in tables; the CSV export is the server's own (?format=csv). */
(function () {
	'use strict';
	var P = window.consolePages;
	var el = P.el;
	var $ = function (id) {
		return document.getElementById(id);
	};
	var DAY = 86400000;
	var charts = (window.consoleCharts = {});

	var TOTALS = [
		['conversations', 'Conversations'],
		['ended', 'Ended'],
		['fieldsCollected', 'Fields collected'],
		['actionsFired', 'Actions fired'],
		['roundTrips', 'Round trips'],
		['roundTripAvgMs', 'Round trip, average (ms)'],
		['fallbacks', 'Fallbacks'],
		['handoffs', 'Handoffs'],
		['deliveryFailures', 'Delivery failures'],
	];

	function isoDay(d) {
		return d.toISOString().slice(0, 10);
	}
	function query() {
		var q = '?from=' + encodeURIComponent($('from').value) + '&to=' + encodeURIComponent($('to').value);
		if ($('agent').value) q += '&agentId=' + encodeURIComponent($('agent').value);
		return q;
	}
	function value(v) {
		return v === null || v === undefined ? '–' : String(v);
	}

	function showTotals(stats) {
		var dl = $('totals');
		P.clear(dl);
		TOTALS.forEach(function (t) {
			dl.appendChild(el('div', { 'data-metric': t[0] }, [el('dt', null, [t[1]]), el('dd', null, [value(stats.totals[t[0]])])]));
		});
	}

	/** One uPlot chart per figure; its aria-label says in words what it draws (the table below holds every number). */
	function chart(id, stats, series, options) {
		var figure = $(id);
		if (charts[id]) charts[id].destroy();
		var old = figure.querySelector('.chart-summary');
		if (old) figure.removeChild(old);
		var xs = stats.days.map(function (d) {
			return Date.parse(d.day + 'T00:00:00Z') / 1000;
		});
		var data = [xs].concat(
			series.map(function (s) {
				return stats.days.map(function (d) {
					return d[s.key];
				});
			}),
		);
		var width = Math.max(320, figure.clientWidth - 20);
		var u = new uPlot(
			{
				width: width,
				height: 220,
				tzDate: function (ts) {
					return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');
				},
				scales: { x: { time: true, range: [xs[0] - DAY / 2000, xs[xs.length - 1] + DAY / 2000] }, y: { range: function (_u, min, max) { return [0, Math.max(1, max || 0)]; } } },
				series: [{}].concat(
					series.map(function (s) {
						return { label: s.label, stroke: s.color, spanGaps: true, fill: options && options.bars ? s.color + '55' : undefined, width: 2, points: { show: true }, paths: options && options.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined };
					}),
				),
				axes: [{}, { size: 50 }],
			},
			data,
			figure,
		);
		charts[id] = u;
		var canvas = figure.querySelector('canvas');
		var words = series
			.map(function (s) {
				var sum = stats.totals[s.key];
				return s.label + ' ' + value(sum);
			})
			.join(', ');
		figure.setAttribute('aria-label', figure.querySelector('figcaption').textContent + ', ' + stats.from + ' to ' + stats.to + ': ' + words);
		if (canvas) canvas.setAttribute('aria-hidden', 'true');
		figure.appendChild(el('p', { class: 'chart-summary sr' }, [words]));
	}

	function showTables(stats) {
		var outcomes = $('outcomes');
		P.clear(outcomes);
		outcomes.appendChild(
			stats.outcomes.length
				? P.table('Outcomes of the conversations that ended', ['Outcome', 'Conversations'], stats.outcomes.map(function (o) { return [o, stats.totals.outcomes[o]]; }), { id: 'outcomes-table' })
				: el('p', { class: 'muted' }, ['No conversation ended in this period.']),
		);
		var agents = $('agents');
		P.clear(agents);
		agents.appendChild(
			P.table(
				'Per agent',
				['Agent', 'Conversations', 'Ended', 'Fields', 'Actions', 'Round trip avg (ms)', 'Fallbacks', 'Handoffs', 'Delivery failures'],
				stats.agents.map(function (a) {
					return [a.agentId || '(no agent)', a.conversations, a.ended, a.fieldsCollected, a.actionsFired, value(a.roundTripAvgMs), a.fallbacks, a.handoffs, a.deliveryFailures];
				}),
				{ id: 'agents-table' },
			),
		);
		var days = $('days');
		P.clear(days);
		days.appendChild(
			P.table(
				'Every day of the period',
				['Day', 'Conversations', 'Ended', 'Fields', 'Actions', 'Round trips', 'Round trip avg (ms)', 'Fallbacks', 'Handoffs', 'Delivery failures'],
				stats.days.map(function (d) {
					return [d.day, d.conversations, d.ended, d.fieldsCollected, d.actionsFired, d.roundTrips, value(d.roundTripAvgMs), d.fallbacks, d.handoffs, d.deliveryFailures];
				}),
				{ id: 'days-table' },
			),
		);
	}

	function load() {
		P.status('Loading…');
		return P.attempt(window.consoleApi('GET', '/stats' + query()), 'Could not load the numbers').then(function (stats) {
			showTotals(stats);
			chart('chart-activity', stats, [
				{ key: 'conversations', label: 'Conversations', color: '#2f5bea' },
				{ key: 'handoffs', label: 'Handoffs', color: '#b7791f' },
				{ key: 'fallbacks', label: 'Fallbacks', color: '#b42318' },
			]);
			chart(
				'chart-actions',
				stats,
				[
					{ key: 'actionsFired', label: 'Actions fired', color: '#13733a' },
					{ key: 'roundTrips', label: 'Round trips', color: '#2f5bea' },
					{ key: 'deliveryFailures', label: 'Delivery failures', color: '#b42318' },
				],
				{ bars: true },
			);
			chart('chart-roundtrip', stats, [{ key: 'roundTripAvgMs', label: 'Round trip avg (ms)', color: '#6941c6' }]);
			showTables(stats);
			P.status('Numbers for ' + stats.from + ' to ' + stats.to + (stats.agentId ? ' (' + stats.agentId + ')' : ''));
			document.body.setAttribute('data-loaded', stats.from + '/' + stats.to);
		});
	}

	/** The server's CSV, saved as a file: the same rows as the JSON. */
	function downloadCsv() {
		var headers = {};
		try {
			var key = sessionStorage.getItem('agent-bridge-inspector-key');
			if (key) headers.authorization = 'Bearer ' + key;
		} catch (e) {
			/* the cookie alone */
		}
		return fetch('/v1/stats' + query() + '&format=csv', { headers: headers, credentials: 'same-origin' })
			.then(function (res) {
				if (!res.ok) throw new Error('HTTP ' + res.status);
				var name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '');
				return res.blob().then(function (blob) {
					var a = el('a', { href: URL.createObjectURL(blob), download: name ? name[1] : 'numbers.csv' });
					document.body.appendChild(a);
					a.click();
					setTimeout(function () {
						URL.revokeObjectURL(a.href);
						a.remove();
					}, 1000);
				});
			})
			.catch(function (err) {
				P.status('Could not download the CSV: ' + err.message);
			});
	}

	var now = new Date();
	$('to').value = isoDay(now);
	$('from').value = isoDay(new Date(now.getTime() - 13 * DAY));
	$('period').addEventListener('submit', function (e) {
		e.preventDefault();
		load();
	});
	$('csv').addEventListener('click', downloadCsv);
	window.consoleApi('GET', '/agents').then(function (res) {
		res.data.forEach(function (a) {
			$('agent').appendChild(el('option', { value: a.id }, [a.name + ' (' + a.id + ')']));
		});
	});
	load();
})();
