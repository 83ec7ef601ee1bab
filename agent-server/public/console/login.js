/* Agent Bridge console login: the API key is sent once to POST /console/login, which sets an HttpOnly session cookie. */
(function () {
	'use strict';
	var form = document.getElementById('login');
	var status = document.getElementById('login-status');
	function next() {
		var target = new URLSearchParams(location.search).get('next') || '/console';
		// Only a path on this server.
		return /^\/(?!\/)/.test(target) ? target : '/console';
	}
	form.addEventListener('submit', function (e) {
		e.preventDefault();
		status.textContent = '';
		fetch('/console/login', {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-agent-bridge-console': '1' },
			credentials: 'same-origin',
			body: JSON.stringify({ key: document.getElementById('login-key').value.trim(), name: document.getElementById('login-name').value.trim() }),
		})
			.then(function (res) {
				return res.json().then(function (data) {
					if (!res.ok) throw new Error(data.message || res.statusText);
					location.assign(next());
				});
			})
			.catch(function (err) {
				status.textContent = 'Could not log in: ' + err.message;
				document.getElementById('login-key').focus();
			});
	});
	document.getElementById('login-key').focus();
})();
