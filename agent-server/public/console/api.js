/* Agent Bridge console: one call to this server's /v1 API. The console's login cookie goes along (same origin);
 * a key kept in this tab by the inspector is sent as a bearer key. A 401 sends the page to the login. */
(function () {
	'use strict';
	var KEY = 'agent-bridge-inspector-key';
	window.consoleApi = function (method, path, body) {
		var headers = body ? { 'content-type': 'application/json' } : {};
		try {
			var key = sessionStorage.getItem(KEY);
			if (key) headers.authorization = 'Bearer ' + key;
		} catch (e) {
			/* storage blocked: the cookie alone */
		}
		return fetch('/v1' + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin' }).then(function (res) {
			if (res.status === 401) location.assign('/console/login');
			return res.text().then(function (raw) {
				var data = {};
				try {
					data = raw ? JSON.parse(raw) : {};
				} catch (e) {
					data = { message: raw };
				}
				if (!res.ok) {
					var err = new Error(data.message || res.statusText);
					err.status = res.status;
					throw err;
				}
				return data;
			});
		});
	};
})();
