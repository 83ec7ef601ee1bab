/* Agent Bridge console: the live stream (GET /v1/live, server-sent events) read with fetch, so the same session
 * cookie or key as every other call goes along. window.consoleLive(path, handlers) -> { close() }.
 * handlers: { onEvent(name, data), onOpen(), onUnauthorized()? }. onOpen runs after every (re)connect: refetch what
 * the page shows. Without onUnauthorized a 401 sends the page to the login. */
(function () {
	'use strict';

	function parse(block) {
		var event = 'message';
		var data = [];
		block.split('\n').forEach(function (line) {
			if (!line || line.charAt(0) === ':') return;
			var at = line.indexOf(':');
			var field = at < 0 ? line : line.slice(0, at);
			var value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
			if (field === 'event') event = value;
			else if (field === 'data') data.push(value);
		});
		if (!data.length) return null;
		try {
			return { event: event, data: JSON.parse(data.join('\n')) };
		} catch (e) {
			return null;
		}
	}

	window.consoleLive = function (path, handlers) {
		var stopped = false;
		var controller = null;
		var delay = 1000;

		function connect() {
			if (stopped) return;
			controller = new AbortController();
			fetch('/v1' + path, { headers: Object.assign({ accept: 'text/event-stream' }, window.consoleApi.headers()), credentials: 'same-origin', signal: controller.signal })
				.then(function (res) {
					if (res.status === 401) {
						stopped = true;
						(handlers.onUnauthorized || window.consoleApi.toLogin)();
						return;
					}
					if (!res.ok || !res.body) throw new Error('live stream answered ' + res.status);
					var reader = res.body.getReader();
					var decoder = new TextDecoder();
					var buffer = '';
					function pump() {
						return reader.read().then(function (chunk) {
							if (chunk.done) throw new Error('live stream closed');
							buffer += decoder.decode(chunk.value, { stream: true });
							var at;
							while ((at = buffer.indexOf('\n\n')) >= 0) {
								var e = parse(buffer.slice(0, at));
								buffer = buffer.slice(at + 2);
								if (!e) continue;
								if (e.event === 'ready') {
									delay = 1000;
									if (handlers.onOpen) handlers.onOpen();
								} else if (e.event === 'reset') {
									if (handlers.onOpen) handlers.onOpen();
								} else handlers.onEvent(e.event, e.data);
							}
							return pump();
						});
					}
					return pump();
				})
				.catch(function () {
					/* reconnect below */
				})
				.then(function () {
					if (stopped) return;
					setTimeout(connect, delay);
					delay = Math.min(delay * 2, 30000);
				});
		}
		connect();
		return {
			close: function () {
				stopped = true;
				if (controller) controller.abort();
			},
		};
	};
})();
