// A small OpenAI-compatible server for tests: real HTTP on an ephemeral port, scripted answers per request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeAnswer =
	| { content: string; delayMs?: number }
	| { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
	| { delayMs: number };

export interface FakeRequest {
	method: string;
	path: string;
	headers: http.IncomingHttpHeaders;
	body: any;
}

export interface FakeOpenAI {
	url: string; // base URL including /v1
	requests: FakeRequest[]; // chat completion requests received, oldest first
	close(): Promise<void>;
}

function completion(body: any, content: string) {
	return {
		id: `chatcmpl-fake-${Date.now()}`,
		object: 'chat.completion',
		created: Math.floor(Date.now() / 1000),
		model: body?.model ?? 'fake-model',
		choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
		usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
	};
}

/**
 * Starts the server. `respond` gets the parsed request body and returns the answer: `{ content }` for a normal
 * completion, `{ status, body }` for an error, `{ delayMs }` (alone or with the others) to answer late.
 */
export async function startFakeOpenAI(options: {
	respond: (requestBody: any, index: number) => FakeAnswer | Promise<FakeAnswer>;
}): Promise<FakeOpenAI> {
	const requests: FakeRequest[] = [];
	const timers = new Set<NodeJS.Timeout>();
	const send = (res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) => {
		if (res.destroyed || res.writableEnded) return;
		res.writeHead(status, { 'content-type': 'application/json', ...headers });
		res.end(JSON.stringify(payload));
	};
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', async () => {
			const url = new URL(req.url ?? '/', 'http://localhost');
			if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
				send(res, 404, { error: { message: `no route ${req.method} ${url.pathname}`, type: 'invalid_request_error' } });
				return;
			}
			let body: any;
			try {
				body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
			} catch {
				send(res, 400, { error: { message: 'invalid JSON body', type: 'invalid_request_error' } });
				return;
			}
			const index = requests.length;
			requests.push({ method: req.method, path: url.pathname, headers: req.headers, body });
			let answer: FakeAnswer;
			try {
				answer = await options.respond(body, index);
			} catch (e) {
				send(res, 500, { error: { message: `fake respond() threw: ${(e as Error).message}`, type: 'server_error' } });
				return;
			}
			const reply = () => {
				if ('status' in answer) {
					send(res, answer.status, answer.body ?? { error: { message: `fake error ${answer.status}`, type: 'server_error' } }, answer.headers);
				} else if ('content' in answer) send(res, 200, completion(body, answer.content));
				else send(res, 200, completion(body, '{}'));
			};
			if (answer.delayMs) {
				const t = setTimeout(() => {
					timers.delete(t);
					reply();
				}, answer.delayMs);
				timers.add(t);
			} else reply();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/v1`,
		requests,
		close: () =>
			new Promise<void>((resolve) => {
				for (const t of timers) clearTimeout(t);
				timers.clear();
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
