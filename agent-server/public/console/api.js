/* Agent Bridge console: one way to call this server's /v1 API from every console page.
 * window.consoleApi(method, path, body) -> Promise of the parsed JSON. The session cookie goes along; a key the
 * inspector keeps in this tab is sent as a bearer key instead. On 401 the page goes to the login. */
(function () {
	'use strict';
	var INSPECTOR_KEY = 'agent-bridge-inspector-key';

	function storedKey() {
		try {
			return sessionStorage.getItem(INSPECTOR_KEY) || '';
		} catch (e) {
			return '';
		}
	}

	function toLogin() {
		if (location.pathname !== '/console/login') location.assign('/console/login?next=' + encodeURIComponent(location.pathname + location.search));
	}

	window.consoleApi = function (method, path, body) {
		var headers = { 'x-agent-bridge-console': '1' };
		var key = storedKey();
		if (key) headers.authorization = 'Bearer ' + key;
		if (body !== undefined) headers['content-type'] = 'application/json';
		return fetch('/v1' + path, {
			method: method,
			headers: headers,
			body: body !== undefined ? JSON.stringify(body) : undefined,
			credentials: 'same-origin',
		}).then(function (res) {
			return res.text().then(function (raw) {
				var data = {};
				try {
					data = raw ? JSON.parse(raw) : {};
				} catch (e) {
					data = { message: raw };
				}
				if (res.status === 401) toLogin();
				if (!res.ok) {
					var err = new Error(data.message || res.statusText);
					err.status = res.status;
					throw err;
				}
				return data;
			});
		});
	};
	/** The headers consoleApi sends, for a stream opened with fetch (live.js). */
	window.consoleApi.headers = function () {
		var key = storedKey();
		return key ? { authorization: 'Bearer ' + key } : {};
	};
	window.consoleApi.toLogin = toLogin;
})();
