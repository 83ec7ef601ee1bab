/* Agent Bridge console: what the numbers and management pages share. Text from the API is set with textContent,
 * never parsed as HTML. */
(function () {
	'use strict';
	function el(tag, attrs, children) {
		var node = document.createElement(tag);
		if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) node.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
		(children || []).forEach(function (c) {
			if (c === null || c === undefined) return;
			node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
		});
		return node;
	}
	function clear(node) {
		while (node.firstChild) node.removeChild(node.firstChild);
	}
	/** A table with a caption, header cells and rows of cells (strings, numbers or nodes). */
	function table(caption, headers, rows, attrs) {
		return el('table', attrs, [
			caption ? el('caption', null, [caption]) : null,
			el('thead', null, [el('tr', null, headers.map(function (h) { return el('th', { scope: 'col' }, [h]); }))]),
			el('tbody', null, rows.map(function (cells) {
				return el('tr', null, cells.map(function (c) { return el('td', null, [c === null || c === undefined ? '' : c]); }));
			})),
		]);
	}
	function when(iso) {
		if (!iso) return '';
		var d = new Date(iso);
		return isNaN(d) ? '' : d.toLocaleString();
	}
	function status(message) {
		var node = document.getElementById('page-status');
		if (node) node.textContent = message || '';
	}
	/** Runs a call; its error is shown in the page's status line. */
	function attempt(promise, doing) {
		return promise.catch(function (err) {
			status((doing ? doing + ': ' : '') + err.message);
			throw err;
		});
	}
	window.consolePages = { el: el, clear: clear, table: table, when: when, status: status, attempt: attempt };
})();
